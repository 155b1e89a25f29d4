"""desktop-cvae: a Keras conditional VAE for handwritten digits, on the desktop."""

__version__ = "0.1.0"
