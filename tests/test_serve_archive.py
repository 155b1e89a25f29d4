"""The archive on both of its databases: SQLite (always) and a real PostgreSQL server that this module starts
itself from Debian's postgresql package (skipped, with the reason, only where none can be started)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy")
from desktop_cvae.serve.archive import IMAGE_KINDS, Archive, ArchiveError, default_url  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    """A throw-away PostgreSQL server on a Unix socket in a temporary folder, stopped after the module."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    initdb = bins[-1] if bins else shutil.which("initdb")
    if not initdb:
        pytest.skip("no PostgreSQL server here (Debian: apt-get install postgresql; .ci/run installs it)")
    pg_ctl = str(Path(initdb).with_name("pg_ctl"))
    folder = Path(tempfile.mkdtemp(prefix="desktop-cvae-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: run the server as the package's own user
        if shutil.which("runuser") is None or subprocess.run(["id", "postgres"], capture_output=True).returncode:
            pytest.skip("running as root without a 'postgres' user to run the server as")
        shutil.chown(folder, "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", _free_port()
    try:
        subprocess.run(run_as + [initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync"],
                       check=True, capture_output=True, timeout=120)
        subprocess.run(run_as + [pg_ctl, "-D", str(data), "-l", str(folder / "log"), "-w", "-t", "60", "-o",
                                 f"-p {port} -k {folder} -c listen_addresses='' -c fsync=off", "start"],
                       check=True, capture_output=True, timeout=120)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as e:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"a PostgreSQL server could not be started here: {getattr(e, 'stderr', b'') or e}")
    try:
        yield f"postgresql+psycopg://postgres@/postgres?host={folder}&port={port}"
    finally:
        subprocess.run(run_as + [pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'archive.sqlite3'}"
    url = request.getfixturevalue("postgres_url")
    with Archive(url).db.begin() as c:  # each test starts from an empty table
        import sqlalchemy as sa

        c.execute(sa.text("DELETE FROM results"))
    return url


def _add(archive: Archive, label: int) -> int:
    return archive.add(label=label, probabilities=[0.1] * 10, neg_elbo=80.5 + label, not_a_digit=label == 9,
                       noise=0.1 * label, notes=["inverted"], number={"number": str(label) * 2, "digits": []},
                       images={k: f"PNG {k} {label}".encode() for k in IMAGE_KINDS})


def test_entries_are_kept_listed_newest_first_and_deleted(url):
    archive = Archive(url)
    ids = [_add(archive, label) for label in range(5)]
    assert archive.count() == 5
    page = archive.page(0, 3)
    assert [e.id for e in page] == ids[::-1][:3] and [e.label for e in page] == [4, 3, 2]
    assert [e.id for e in archive.page(3, 3)] == ids[:2][::-1]
    entry = archive.get(ids[2])
    assert entry.neg_elbo == 82.5 and entry.notes == ["inverted"] and entry.number["number"] == "22"
    assert entry.created_at.tzinfo is not None and entry.to_json()["images"]["input"] == f"/images/{ids[2]}/input.png"
    assert archive.image(ids[3], "reconstruction") == b"PNG reconstruction 3"
    assert archive.image(ids[3], "no such column") is None
    assert archive.delete(ids[3]) and not archive.delete(ids[3])
    assert archive.get(ids[3]) is None and archive.image(ids[3], "input") is None and archive.count() == 4
    archive.close()


def test_two_servers_share_one_archive(url):
    """Several server processes or machines on one --db: what one keeps, the other lists and can delete."""
    first, second = Archive(url), Archive(url)
    kept = _add(first, 7)
    assert [e.id for e in second.page(0, 10)] == [kept]
    assert second.delete(kept) and first.get(kept) is None
    first.close()
    second.close()


def test_the_default_archive_is_sqlite_in_the_user_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    monkeypatch.delenv("DESKTOP_CVAE_DATA", raising=False)
    assert default_url() == f"sqlite:///{tmp_path}/share/desktop-cvae/Desktop CVAE/archive.sqlite3"
    archive = Archive()  # zero set-up: the folder is made
    _add(archive, 1)
    assert (tmp_path / "share" / "desktop-cvae" / "Desktop CVAE" / "archive.sqlite3").is_file()
    archive.close()


def test_a_wrong_database_url_is_a_clear_error(tmp_path):
    with pytest.raises(ArchiveError, match="not an SQLAlchemy URL"):
        Archive("this is not a url")
    with pytest.raises(ArchiveError, match="cannot open the archive"):
        Archive(f"postgresql+psycopg://nobody@/nothing?host={tmp_path}&port=1")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ArchiveError, match="cannot open the archive"):
        Archive(f"sqlite:///{tmp_path / 'file' / 'under-a-file.sqlite3'}")


def test_the_service_keeps_results_in_postgresql(postgres_url, default_engine):
    """The whole app on PostgreSQL: a page upload is archived there and listed by the API."""
    import io

    import numpy as np
    from fastapi.testclient import TestClient
    from PIL import Image

    from desktop_cvae.serve import Settings, create_app

    digit = Image.new("L", (120, 120), 250)
    digit.paste(20, (55, 20, 65, 100))  # a plain 1
    buf = io.BytesIO()
    digit.save(buf, "PNG")
    app = create_app(Settings(db_url=postgres_url), engine=default_engine)
    with TestClient(app) as c:
        assert c.get("/healthz").json()["archive"] == "postgresql"
        r = c.post("/recognize", files={"file": ("one.png", buf.getvalue())}, follow_redirects=False)
        assert r.status_code == 303
        entry_id = int(r.headers["location"].rsplit("/", 1)[1])
        listed = c.get("/api/archive").json()["entries"]
        assert listed[0]["id"] == entry_id and listed[0]["label"] == 1
        thumb = Image.open(io.BytesIO(c.get(f"/images/{entry_id}/thumbnail.png").content))
        assert max(thumb.size) <= 96 and np.asarray(thumb.convert("L")).min() < 100
