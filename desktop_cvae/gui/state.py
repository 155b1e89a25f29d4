"""The one object that holds what the user has chosen; panels listen to its signals and redraw."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class AppState(QObject):
    input_changed = Signal()  # the canvas content changed
    noise_changed = Signal()
    label_changed = Signal()  # None = Auto (the recognised label)
    sample_seed_changed = Signal()
    model_changed = Signal(object)  # the active model's info (dict), once loaded
    mode_changed = Signal(str)  # "digit" (one digit) or "number" (a whole number)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._sigma = 0.0
        self._salt_pepper = 0.0
        self._noise_seed = 0
        self._label: int | None = None
        self._sample_seed = 0
        self.model_info: dict | None = None  # path, config, meta of the active model
        self.recognised: int | None = None  # from the newest result
        self._mode = "digit"

    # noise -------------------------------------------------------------------------------------
    @property
    def sigma(self) -> float:
        return self._sigma

    @property
    def salt_pepper(self) -> float:
        return self._salt_pepper

    @property
    def noise_seed(self) -> int:
        return self._noise_seed

    def set_noise(self, sigma: float | None = None, salt_pepper: float | None = None) -> None:
        sigma = self._sigma if sigma is None else min(max(float(sigma), 0.0), 1.0)
        salt_pepper = self._salt_pepper if salt_pepper is None else min(max(float(salt_pepper), 0.0), 1.0)
        if (sigma, salt_pepper) != (self._sigma, self._salt_pepper):
            self._sigma, self._salt_pepper = sigma, salt_pepper
            self.noise_changed.emit()

    def reroll_noise(self) -> None:
        self._noise_seed += 1
        self.noise_changed.emit()

    # label -------------------------------------------------------------------------------------
    @property
    def label(self) -> int | None:
        return self._label

    def set_label(self, label: int | None) -> None:
        if label is not None and not 0 <= int(label) <= 9:
            raise ValueError("label must be 0-9 or None")
        label = None if label is None else int(label)
        if label != self._label:
            self._label = label
            self.label_changed.emit()

    @property
    def effective_label(self) -> int:
        """The label the samples and traversal use: the chosen one, else the recognised one, else 0."""
        if self._label is not None:
            return self._label
        return self.recognised if self.recognised is not None else 0

    # samples -----------------------------------------------------------------------------------
    @property
    def sample_seed(self) -> int:
        return self._sample_seed

    def reroll_samples(self) -> None:
        self._sample_seed += 1
        self.sample_seed_changed.emit()

    # mode --------------------------------------------------------------------------------------
    MODES = ("digit", "number")

    @property
    def mode(self) -> str:
        return self._mode

    def set_mode(self, mode: str) -> None:
        if mode not in self.MODES:
            raise ValueError(f"mode must be one of {self.MODES}")
        if mode != self._mode:
            self._mode = mode
            self.mode_changed.emit(mode)

    def set_model(self, info: dict) -> None:
        self.model_info = info
        self.recognised = None
        self.model_changed.emit(info)
