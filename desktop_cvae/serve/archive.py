"""The archive of earlier results: SQLite in the user's data folder by default, or any SQLAlchemy URL (a
PostgreSQL that several server processes or machines share). Pictures are kept as PNGs the server encoded
itself, never as the bytes a client sent, and nothing a client sends becomes a path."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa

from ..resources import user_data_dir
from ..vision.preprocess import SEVERAL_NOTE

IMAGE_KINDS = ("picture", "thumbnail", "input", "reconstruction")

metadata = sa.MetaData()
results = sa.Table(
    "results", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("label", sa.Integer, nullable=True),  # None: a plain VAE recognises nothing
    sa.Column("probabilities", sa.Text, nullable=False),  # JSON list of 10
    sa.Column("neg_elbo", sa.Float, nullable=False),
    sa.Column("not_a_digit", sa.Boolean, nullable=False),
    sa.Column("noise", sa.Float, nullable=False, default=0.0),
    sa.Column("notes", sa.Text, nullable=False, default="[]"),  # JSON list of what normalisation detected
    sa.Column("number", sa.Text, nullable=True),  # JSON: the number read, when the picture holds one
    sa.Column("picture", sa.LargeBinary, nullable=False),  # PNG, re-encoded and shrunk
    sa.Column("thumbnail", sa.LargeBinary, nullable=False),  # PNG
    sa.Column("input", sa.LargeBinary, nullable=False),  # PNG of the 28x28 model input
    sa.Column("reconstruction", sa.LargeBinary, nullable=False),  # PNG 28x28
)
_SUMMARY = [c for c in results.c if c.name not in IMAGE_KINDS]


class ArchiveError(Exception):
    """The archive's database cannot be opened or used; the message says which and why."""


def default_url() -> str:
    return "sqlite:///" + (user_data_dir() / "archive.sqlite3").as_posix()


@dataclass
class Entry:
    id: int
    created_at: datetime
    label: int | None
    probabilities: list[float]
    neg_elbo: float
    not_a_digit: bool
    noise: float
    notes: list[str]
    number: dict | None

    @property
    def several_digits(self) -> bool:
        """The picture holds several digits side by side: its one-digit reading is all of them squeezed into one."""
        return SEVERAL_NOTE in self.notes

    def to_json(self) -> dict:
        return {"id": self.id, "created_at": self.created_at.isoformat(), "label": self.label,
                "probabilities": self.probabilities, "neg_elbo": self.neg_elbo, "not_a_digit": self.not_a_digit,
                "noise": self.noise, "notes": self.notes, "number": self.number,
                "images": {k: f"/images/{self.id}/{k}.png" for k in IMAGE_KINDS}}


def _entry(row) -> Entry:
    created = row.created_at
    if created.tzinfo is None:  # SQLite keeps no zone; every time stored is UTC
        created = created.replace(tzinfo=timezone.utc)
    return Entry(row.id, created, row.label, json.loads(row.probabilities), row.neg_elbo, row.not_a_digit,
                 row.noise, json.loads(row.notes), json.loads(row.number) if row.number else None)


class Archive:
    def __init__(self, url: str | None = None):
        self.url = url or default_url()
        try:
            parsed = sa.engine.make_url(self.url)
        except sa.exc.ArgumentError as e:
            raise ArchiveError(f"--db {self.url!r} is not an SQLAlchemy URL ({e})") from None
        kwargs: dict = {"pool_pre_ping": True}
        if parsed.get_backend_name() == "sqlite":
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        try:
            if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            self.db = sa.create_engine(parsed, **kwargs)
            if parsed.get_backend_name() == "sqlite":
                sa.event.listen(self.db, "connect", _sqlite_pragmas)
            metadata.create_all(self.db)
        except (sa.exc.SQLAlchemyError, ImportError, OSError) as e:
            raise ArchiveError(f"cannot open the archive at {parsed.render_as_string(hide_password=True)}: "
                               f"{getattr(e, 'orig', None) or e}") from None
        self.backend = parsed.get_backend_name()

    def close(self) -> None:
        self.db.dispose()

    def add(self, *, label, probabilities, neg_elbo, not_a_digit, noise, notes, number, images: dict) -> int:
        row = {"created_at": datetime.now(timezone.utc), "label": label,
               "probabilities": json.dumps([round(float(p), 6) for p in probabilities]),
               "neg_elbo": float(neg_elbo), "not_a_digit": bool(not_a_digit), "noise": float(noise),
               "notes": json.dumps(list(notes)), "number": json.dumps(number) if number else None,
               **{k: images[k] for k in IMAGE_KINDS}}
        with self.db.begin() as c:
            return int(c.execute(results.insert().values(**row)).inserted_primary_key[0])

    def count(self) -> int:
        with self.db.connect() as c:
            return int(c.execute(sa.select(sa.func.count()).select_from(results)).scalar_one())

    def page(self, offset: int = 0, limit: int = 20) -> list[Entry]:
        """Entries newest first."""
        q = sa.select(*_SUMMARY).order_by(results.c.id.desc()).offset(max(offset, 0)).limit(max(limit, 0))
        with self.db.connect() as c:
            return [_entry(r) for r in c.execute(q)]

    def get(self, entry_id: int) -> Entry | None:
        with self.db.connect() as c:
            row = c.execute(sa.select(*_SUMMARY).where(results.c.id == entry_id)).first()
        return _entry(row) if row else None

    def image(self, entry_id: int, kind: str) -> bytes | None:
        if kind not in IMAGE_KINDS:
            return None
        with self.db.connect() as c:
            return c.execute(sa.select(results.c[kind]).where(results.c.id == entry_id)).scalar_one_or_none()

    def delete(self, entry_id: int) -> bool:
        with self.db.begin() as c:
            return c.execute(results.delete().where(results.c.id == entry_id)).rowcount > 0


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL: pages can read while a result is written; synchronous=NORMAL is still safe against a crash in WAL.
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()
