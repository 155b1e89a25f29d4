"""The service's settings in one object, built from the command line, checked before anything starts."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAX_UPLOAD = 10 * 1024 * 1024


class SettingsError(ValueError):
    """Settings that must not start a server; the message says what to change."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    model_path: Path | None = None  # None: the shipped default model
    db_url: str | None = None  # an SQLAlchemy URL; None: SQLite in the user's data folder
    token: str | None = None  # Bearer token every request but /healthz must carry
    no_auth: bool = False  # allow a non-loopback host without a token, knowingly
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD
    max_batch: int = 64  # requests that go through the model together, at most
    batch_wait_ms: float = 2.0  # how long the first request of a batch waits for others
    queue_size: int = 256  # requests waiting for the model; beyond this, 503 with Retry-After
    page_size: int = 20  # archive entries per page
    workers: int | None = None  # processes that decode and normalise uploads; None: one more than cores (up to 5)

    def check(self) -> "Settings":
        if not 0 < self.port < 65536:
            raise SettingsError(f"--port must be between 1 and 65535, not {self.port}")
        if self.token is not None and len(self.token) < 16:
            raise SettingsError("--token must be at least 16 characters")
        if not is_loopback(self.host) and not self.token and not self.no_auth:
            raise SettingsError(f"--host {self.host} lets other machines in: give --token T (clients send "
                                "'Authorization: Bearer T'), or --no-auth if anyone on that network may use it")
        if self.max_upload_bytes < 1024:
            raise SettingsError("the upload limit must be at least 1 KB")
        if self.workers is not None and not 1 <= self.workers <= 64:
            raise SettingsError(f"--workers must be between 1 and 64, not {self.workers}")
        if self.max_batch < 1 or self.queue_size < 1 or self.batch_wait_ms < 0:
            raise SettingsError("batch size and queue size must be positive, the wait not negative")
        return self
