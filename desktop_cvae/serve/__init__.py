"""The web service (`desktop-cvae serve`, the optional `.[serve]` extra): seed 001's upload page done properly.

A FastAPI app served by uvicorn. Pages are rendered on the server (Jinja2, auto-escaped) with a little
JavaScript for drag-and-drop, paste and the drawing pad; the JSON API under /api is described by /openapi.json.
Requests that arrive together go through the model as one batch (`batcher`), results are kept in an archive
(`archive`: SQLite by default, any SQLAlchemy URL such as PostgreSQL), and uploads are capped, decoded by the
app's safe decoder and stored re-encoded. Nothing here imports Qt; the model is reached through the core's
Engine and number reader.
"""

from .settings import Settings, SettingsError

__all__ = ["Settings", "SettingsError", "create_app"]


def create_app(*args, **kwargs):
    """The FastAPI application (see app.create_app); imported lazily so `Settings` needs no web framework."""
    from .app import create_app as make

    return make(*args, **kwargs)
