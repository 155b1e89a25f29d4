"""ModelConfig: every hyperparameter of a model, saved inside the .keras file and its sidecar.

Kept free of TensorFlow so the GUI can read model metadata without loading a model.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

# The seed papers' architectures, plus our own improved default.
ARCHITECTURES = {
    "conv": "Seed 001 convolutional (Conv16-pool-Conv8-pool / Dense-Conv8-up-Conv16-up-Conv1)",
    "mlp": "Seed 000/001 multilayer (Dense 256/128, dropout + batch norm)",
    "deepconv": "Improved: strided convs, wider dense layers, denoising + discriminative training",
}

# Learning-rate schedules: Adam at a constant rate (as the seeds trained), or cosine decay to 5 % of it.
LR_SCHEDULES = ("constant", "cosine")
# Per architecture, measured on the full MNIST: the seed models reach a better test -ELBO at a constant
# rate in their 10 epochs (conv z=2: 137.38 against 138.31 nats; docs/MODELS.md); deepconv's long runs
# were tuned with cosine decay.
DEFAULT_LR_SCHEDULE = {"conv": "constant", "mlp": "constant", "deepconv": "cosine"}

# What a model is, as opposed to how it is trained: training that starts from a saved model keeps these.
ARCHITECTURE_FIELDS = ("arch", "conditional", "label_in_encoder", "label_in_decoder", "label_prior", "latent_dim",
                       "widths", "refine_layers", "pixel_context", "dropout", "fused_upsampling")
# Architecture a continued model may gain: the part starts out as the identity, so the grown model starts as
# exactly the model it continues (model.PixelContext's output layer starts at zero).
GROWABLE_FIELDS = ("pixel_context",)
FREEZABLE_PARTS = ("encoder", "decoder")
MAX_SEED = 2**31 - 1  # what every random generator a seed reaches accepts (NumPy's refuse negative ones)
PIXEL_CONTEXT_CHANNELS = 16  # the shipped default's head; what the training dialog gives a model

# Default widths per architecture; a config may override them.
DEFAULT_WIDTHS = {
    "conv": (16, 8),
    "mlp": (256, 128),
    "deepconv": (32, 64, 512),
}


@dataclass
class ModelConfig:
    arch: str = "deepconv"  # one of ARCHITECTURES
    conditional: bool = True  # one-hot label into the decoder (CVAE) or plain VAE
    label_in_encoder: bool = True  # CVAE: the encoder sees the label too (the seeds); False: q(z|x) holds style only
    label_prior: bool = False  # CVAE: a learnt Gaussian prior p(z|y) per label instead of N(0, I)
    # CVAE with a per-label prior: the decoder sees the label too (p(x|z,y)); False: p(x|z), the label only in
    # p(z|y), so the ten labels' evidence bounds share one decoder pass and differ in their KL terms alone
    label_in_decoder: bool = True
    # label_prior: after training, p(z|y) becomes a full-covariance Gaussian fitted to each label's training
    # codes (the best Gaussian prior for the evidence bound of a trained encoder and decoder)
    fitted_prior: bool = False
    latent_dim: int = 16  # size of z
    widths: tuple[int, ...] = ()  # layer widths; () means DEFAULT_WIDTHS[arch]
    refine_layers: int = 0  # deepconv: extra 3x3 convolutions at 28x28 before the decoder's logits
    # deepconv: channels of the decoder's pixel-context head (model.PixelContext), which predicts each pixel
    # also from neighbouring pixels earlier in a fixed three-group order; 0: pixels independent given z
    pixel_context: int = 0
    dropout: float = 0.3  # mlp only: rate in the seed's dropout_and_batch block
    beta: float = 1.0  # weight of the KL term during training
    learning_rate: float = 1e-3  # Adam
    lr_schedule: str = ""  # one of LR_SCHEDULES; "" means DEFAULT_LR_SCHEDULE[arch]
    train_noise: float = 0.0  # denoising: per-image Gaussian sigma drawn from U(0, train_noise)
    classifier_weight: float = 0.0  # weight of the cross-entropy on the per-label evidence bounds
    train_shift: int = 0  # augmentation: shift each training image by up to this many pixels
    # augmentation: rotate each training image by up to this many degrees and scale it by up to this fraction
    # about its centre (input and target alike: a slanted or larger digit is a new digit)
    train_rotate: float = 0.0
    train_scale: float = 0.0
    # corruption like train_noise, of the input only: half the training images blurred by a Gaussian of sigma
    # drawn from U(0, train_blur) pixels, as a photo out of focus is
    train_blur: float = 0.0
    # augmentation: this share of the training digits of each national style's label (styles.VARIANTS: a flagged
    # 1, a crossed 7, a long-tailed 9, an opened 4) is added again in that style
    train_styles: float = 0.0
    # augmentation: this share of all training digits is added again written with another pen and normalised by
    # the app (pens.redraw), as people's digits come to the model
    train_pens: float = 0.0
    fused_upsampling: bool = True  # conv: each upsample + conv pair as one faster layer (same function)
    # parts of the model this training leaves as they are (FREEZABLE_PARTS): e.g. a head grown onto a trained
    # model learns against the model's fixed encoder and decoder first
    frozen: tuple[str, ...] = ()
    epochs: int = 10
    batch_size: int = 128
    seed: int = 0
    name: str = ""  # shown in the Model menu
    extra: dict = field(default_factory=dict)  # free-form notes carried along

    def __post_init__(self) -> None:
        if self.arch not in ARCHITECTURES:
            raise ValueError(f"unknown architecture {self.arch!r}; choose one of {', '.join(ARCHITECTURES)}")
        if not self.widths:
            self.widths = DEFAULT_WIDTHS[self.arch]
        self.widths = tuple(int(w) for w in self.widths)
        self.lr_schedule = self.lr_schedule or DEFAULT_LR_SCHEDULE[self.arch]
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"unknown learning-rate schedule {self.lr_schedule!r}; "
                             f"choose one of {', '.join(LR_SCHEDULES)}")
        if len(self.widths) != len(DEFAULT_WIDTHS[self.arch]):
            raise ValueError(f"{self.arch} takes {len(DEFAULT_WIDTHS[self.arch])} widths, got {self.widths}")
        if self.latent_dim < 1 or self.latent_dim > 512:
            raise ValueError("latent_dim must be between 1 and 512")
        numbers = {"beta": self.beta, "learning_rate": self.learning_rate, "train_noise": self.train_noise,
                   "classifier_weight": self.classifier_weight, "dropout": self.dropout,
                   "train_rotate": self.train_rotate, "train_scale": self.train_scale, "train_blur": self.train_blur,
                   "train_styles": self.train_styles, "train_pens": self.train_pens}
        for name, value in numbers.items():
            if not math.isfinite(value):  # NaN passes every comparison below
                raise ValueError(f"{name} must be a finite number, not {value}")
        if self.beta < 0 or self.learning_rate <= 0 or self.epochs < 1 or self.batch_size < 1:
            raise ValueError("beta must be >= 0; learning_rate, epochs and batch_size must be positive")
        if self.classifier_weight < 0:
            raise ValueError("classifier_weight must be >= 0")
        if not 0 <= self.dropout < 1:
            raise ValueError("dropout must be in [0, 1)")
        if not 0 <= self.seed <= MAX_SEED:
            raise ValueError(f"seed must be between 0 and {MAX_SEED}")
        if not 0 <= self.train_noise <= 1:
            raise ValueError("train_noise must be in [0, 1]")
        if not 0 <= self.train_shift <= 4:
            raise ValueError("train_shift must be 0-4 pixels")
        if not 0 <= self.train_rotate <= 45 or not 0 <= self.train_scale <= 0.3:
            raise ValueError("train_rotate must be 0-45 degrees and train_scale 0-0.3")
        if not 0 <= self.train_blur <= 3:
            raise ValueError("train_blur must be 0-3 pixels")
        if not 0 <= self.train_styles <= 1:
            raise ValueError("train_styles must be a share between 0 and 1")
        if not 0 <= self.train_pens <= 1:
            raise ValueError("train_pens must be a share between 0 and 1")
        if self.classifier_weight and not self.conditional:
            raise ValueError("classifier_weight needs a conditional model")
        if self.label_prior and not self.conditional:
            raise ValueError("a per-label prior needs a conditional model")
        if self.conditional and not self.label_in_decoder and (self.label_in_encoder or not self.label_prior):
            raise ValueError("a decoder without the label needs a per-label prior and an encoder without the label "
                             "(label_prior, not label_in_encoder): the label must enter the model somewhere")
        if self.fitted_prior and not self.label_prior:
            raise ValueError("a fitted prior replaces the learnt per-label prior: it needs label_prior")
        if not 0 <= self.refine_layers <= 4 or (self.refine_layers and self.arch != "deepconv"):
            raise ValueError("refine_layers must be 0-4, and only deepconv has them")
        self.frozen = tuple(self.frozen)
        if set(self.frozen) - set(FREEZABLE_PARTS):
            raise ValueError(f"only these parts can be frozen: {', '.join(FREEZABLE_PARTS)}")
        if not 0 <= self.pixel_context <= 128 or (self.pixel_context and self.arch != "deepconv"):
            raise ValueError("pixel_context must be 0-128 channels, and only deepconv has the head")

    def continued(self, **training) -> "ModelConfig":
        """The config for training that starts from this model: its architecture and its seed, which chose
        the validation hold-out, with `training`'s settings (epochs, learning rate, noise, ...). A fitted
        prior stays fitted: the learnt prior it replaced is gone. A model may gain a part it lacks
        (GROWABLE_FIELDS: a pixel-context head), which starts out as the identity."""
        grown = {k: v for k, v in training.items() if k in GROWABLE_FIELDS and v != getattr(self, k)}
        if any(getattr(self, k) for k in grown):
            raise ValueError(f"training that continues a model can add, not change, its {', '.join(sorted(grown))}")
        kept = set(training) & ((set(ARCHITECTURE_FIELDS) | {"seed"}) - set(GROWABLE_FIELDS))
        if kept:
            raise ValueError(f"training that continues a model keeps its {', '.join(sorted(kept))}")
        training.setdefault("frozen", ())  # what one training froze, the next trains unless told otherwise
        cfg = dataclasses.replace(self, **training)
        cfg.fitted_prior = cfg.fitted_prior or self.fitted_prior
        return cfg

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["widths"] = list(self.widths)
        d["frozen"] = list(self.frozen)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        d = {k: v for k, v in d.items() if k in known}
        # Models saved before fused_upsampling existed have separate UpSampling2D and Conv2D layers.
        d.setdefault("fused_upsampling", False)
        d.setdefault("lr_schedule", "cosine")  # every model trained before the field existed used it
        return cls(**d)

    @property
    def display_name(self) -> str:
        kind = "CVAE" if self.conditional else "VAE"
        return self.name or f"{self.arch} {kind} z={self.latent_dim}"
