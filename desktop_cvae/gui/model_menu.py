"""The Model menu and what it does to the catalog of models: every shipped model and the person's own to pick
from, opening a model file, renaming or removing one's own models, and the switch to the plain VAE (and back)
beside the latent plot. Loading itself goes through the window, which owns the model thread."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenu, QMessageBox

from ..catalog import default_model_path, list_models
from ..storage import remove_model, rename_model

if TYPE_CHECKING:
    from .main_window import MainWindow


class ModelMenu(QObject):
    def __init__(self, window: "MainWindow", menu: QMenu, fixed_actions: list[QAction]):
        """`fixed_actions` (train, compare) follow the list of models in the menu."""
        super().__init__(window)
        self.window = window
        self.menu = menu
        self.fixed_actions = fixed_actions
        self.group = QActionGroup(self)
        self.group.setExclusive(True)
        self.cvae_before_plain: str | None = None  # where "Back to …" returns from the plain VAE
        self._made: list[QAction] = []  # the actions the last fill made
        menu.aboutToShow.connect(self.fill)
        self.fill()

    def fill(self) -> None:
        """The menu as the catalog is now, the active model checked."""
        w = self.window
        self.menu.clear()
        for a in self.group.actions():
            self.group.removeAction(a)
        # Later, not now: rename and remove fill the menu again from inside their own action's signal.
        for a in self._made:
            a.deleteLater()
        active = (w.state.model_info or {}).get("path")
        for entry in list_models(w.models_dir):
            a = QAction(f"{entry.name}  —  {entry.summary}" + ("" if entry.shipped else "  (yours)"), self)
            a.setCheckable(True)
            a.setChecked(active is not None and Path(active) == entry.path)
            a.setData(str(entry.path))
            a.triggered.connect(lambda _=False, p=str(entry.path): w.load_model(p))
            self.group.addAction(a)
            self.menu.addAction(a)
        self.menu.addSeparator()
        for a in self.fixed_actions:
            self.menu.addAction(a)
        open_model = QAction("Open model file…", self)
        open_model.triggered.connect(self.open_file_dialog)
        self.menu.addAction(open_model)
        # The models a person trained pile up: the active one, if it is theirs, can be renamed or removed.
        mine = self.own_active_model() is not None
        self.rename_action = QAction("&Rename this model…", self, enabled=mine)
        self.rename_action.triggered.connect(self.rename_active)
        self.remove_action = QAction("Re&move this model…", self, enabled=mine)
        self.remove_action.triggered.connect(self.remove_active)
        self.menu.addSeparator()
        self.menu.addAction(self.rename_action)
        self.menu.addAction(self.remove_action)
        self._made = [*self.group.actions(), open_model, self.rename_action, self.remove_action]

    def open_file_dialog(self) -> None:
        w = self.window
        path, _ = QFileDialog.getOpenFileName(w, "Open a model", str(w.models_dir), "Keras models (*.keras)")
        if path:
            w.load_model(path)

    def own_active_model(self):
        """The catalog entry of the active model if the person trained it (in the models folder), else None."""
        active = (self.window.state.model_info or {}).get("path")
        if active is None:
            return None
        for entry in list_models(self.window.models_dir):
            if not entry.shipped and Path(active) == entry.path:
                return entry
        return None

    def rename_active(self) -> None:
        w = self.window
        entry = self.own_active_model()
        if entry is None:
            return
        name, ok = QInputDialog.getText(w, "Rename model", "Name shown for this model:", text=entry.name)
        if not ok:
            return
        try:
            rename_model(entry.path, name)
        except (ValueError, OSError) as e:
            w.show_error(f"Could not rename the model: {e}")
            return
        info = dict(w.state.model_info)
        info["meta"] = {**(info.get("meta") or {}), "display_name": " ".join(name.split())}
        w.state.model_info = info  # the status bar and the menus show the new name at once
        w.refresh_model_status()
        self.fill()

    def remove_active(self) -> None:
        w = self.window
        entry = self.own_active_model()
        if entry is None:
            return
        if w.training_dialog is not None and w.training_dialog.running:
            w.show_error("A model is training: remove models once it has finished.")
            return
        answer = QMessageBox.question(w, "Remove model?",
                                      f"Delete “{entry.name}” ({entry.path.name}) from your models? "
                                      "The default model takes its place. This cannot be undone.")
        if answer != QMessageBox.StandardButton.Yes:
            return
        w.load_model(str(default_model_path()))
        try:
            remove_model(entry.path)
        except OSError as e:
            w.show_error(f"Could not remove {entry.path.name}: {e.strerror or e}")
        self.fill()

    # -- the plain VAE ---------------------------------------------------------------------------
    def offer_plain_vae_switch(self, info: dict) -> None:
        """Beside a CVAE, the switch to the plain VAE; beside the plain VAE, the way back to the CVAE that was
        active before it (the default model, if none was)."""
        if (info.get("config") or {}).get("conditional", True):
            self.cvae_before_plain = info["path"]
            self.window.latent_tab.offer_plain_vae(True)
        else:
            back = self.cvae_before_plain or str(default_model_path())
            self.window.latent_tab.offer_plain_vae(False, self.name_of(back))

    def name_of(self, path: str) -> str:
        for entry in list_models(self.window.models_dir):
            if str(entry.path) == path:
                return entry.name
        return Path(path).stem

    def toggle_plain_vae(self) -> None:
        w = self.window
        if not ((w.state.model_info or {}).get("config") or {}).get("conditional", True):
            w.load_model(self.cvae_before_plain or str(default_model_path()))
            return
        for entry in list_models(w.models_dir):
            if entry.shipped and not (entry.meta.get("config") or {}).get("conditional", True):
                w.load_model(str(entry.path))
                return
        w.show_error("No plain VAE model is installed.")
