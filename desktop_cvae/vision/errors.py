"""The one error of reading a picture that is the picture's fault, not the file's (imageio.ImageError)."""


class NoInkError(ValueError):
    """The image holds no ink to recognise (blank, or too faint)."""
