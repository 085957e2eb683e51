"""Runtime settings, read once from ``CROSSROADS_*`` environment variables.

One object for the whole process (pydantic-settings). Outside development mode it refuses to
start with default or missing secrets, so a production deployment can never run on demo keys.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

#: Development defaults. Public on purpose: they are refused unless ``dev_mode`` is on.
DEV_SECRET_KEY = "dev-only-secret-key-do-not-use-in-production-0000000000"
DEV_TRANSCRIPT_KEY = base64.urlsafe_b64encode(b"dev-only-transcript-key-32-bytes").decode()
DEV_LOG_ORIGIN = "crossroads.example/ethics-log"


class InsecureSettingsError(RuntimeError):
    """The operator started a non-development server with a default or missing secret."""


class Settings(BaseSettings):
    """Everything the server needs to know about its environment."""

    model_config = SettingsConfigDict(env_prefix="CROSSROADS_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/crossroads.db"
    host: str = "127.0.0.1"
    port: int = 8080
    dev_mode: bool = False
    public_url: str = ""
    secret_key: str = ""
    transcript_key: str = ""
    #: Keys rotated out of ``transcript_key``: never used to encrypt, still to decrypt what
    #: they encrypted (comma-separated in the environment). See docs/OPERATIONS.md.
    transcript_keys_previous: Annotated[list[str], NoDecode] = Field(default_factory=list)
    allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    retention_days: int = Field(default=30, ge=1, le=3650)
    # At least two: nobody may ever publish content alone.
    ethics_quorum: int = Field(default=2, ge=2, le=20)
    ethics_key_dir: Path = Path("var/ethics-keys")
    ethics_log_origin: str = DEV_LOG_ORIGIN
    session_hours: int = Field(default=12, ge=1, le=24 * 14)
    #: A staff session unused for this long ends (ASVS 3.3.2); open pages keep it alive.
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    max_frame_bytes: int = Field(default=16 * 1024, ge=1024)
    max_message_chars: int = Field(default=4000, ge=1)
    messages_per_second: float = Field(default=10.0, gt=0)
    max_connections_per_token: int = Field(default=3, ge=1)
    #: New anonymous sessions per client address per minute (bursts up to this many).
    sessions_per_minute: int = Field(default=10, ge=1)
    offer_timeout_seconds: float = Field(default=45.0, gt=0)
    grace_period_seconds: float = Field(default=60.0, gt=0)
    #: SQLite durability: FULL syncs the write-ahead log on every commit, so an acknowledged
    #: chat message survives a power cut, not only a crash (group commit keeps it cheap).
    #: NORMAL survives process crashes only; use it for throwaway test databases at most.
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL"
    scheduler_enabled: bool = True
    log_level: str = "INFO"
    #: Bearer token a Prometheus scraper sends to ``GET /metrics``; unset, /metrics is 404.
    metrics_token: str = Field(default="", pattern=r"^$|^\S{16,}$")
    #: Count handoff events and writer commits (off only to measure what counting costs).
    metrics_enabled: bool = True
    #: ``json`` (one object per line, for a log shipper) or ``console`` (for a terminal).
    log_format: Literal["json", "console"] = "console"

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        """Accept a comma-separated list in the environment."""
        if isinstance(value, str):
            return [item.strip().rstrip("/") for item in value.split(",") if item.strip()]
        return value

    @field_validator("transcript_keys_previous", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        """Accept a comma-separated list in the environment; each must be a transcript key."""
        if isinstance(value, str):
            value = [item.strip() for item in value.split(",") if item.strip()]
        if isinstance(value, list):
            for n, key in enumerate(value, start=1):
                if not _is_fernet_key(key):
                    raise ValueError(
                        f"entry {n} of CROSSROADS_TRANSCRIPT_KEYS_PREVIOUS is not a transcript "
                        "key (32 bytes in URL-safe base64, as CROSSROADS_TRANSCRIPT_KEY)"
                    )
        return value

    def model_post_init(self, __context: object) -> None:
        """Fill development secrets, or refuse to run without real ones."""
        if self.dev_mode:
            if not self.secret_key:
                self.secret_key = DEV_SECRET_KEY
            if not self.transcript_key:
                self.transcript_key = DEV_TRANSCRIPT_KEY
            if not self.public_url:
                self.public_url = f"http://{self.host}:{self.port}"
            if not self.allowed_origins:
                self.allowed_origins = [
                    f"http://{self.host}:{self.port}",
                    f"http://localhost:{self.port}",
                    f"http://127.0.0.1:{self.port}",
                ]

    def check_production_ready(self) -> None:
        """Raise :class:`InsecureSettingsError` naming every secret that must be set."""
        if self.dev_mode:
            return
        problems: list[str] = []
        if not self.secret_key or self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32:
            problems.append(
                "CROSSROADS_SECRET_KEY must be set to a random value of at least 32 characters"
            )
        if not self.transcript_key or self.transcript_key == DEV_TRANSCRIPT_KEY:
            problems.append(
                "CROSSROADS_TRANSCRIPT_KEY must be set to a Fernet key "
                "(python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')"
            )
        elif not _is_fernet_key(self.transcript_key):
            problems.append("CROSSROADS_TRANSCRIPT_KEY is not a valid Fernet key")
        if not self.public_url:
            problems.append(
                "CROSSROADS_PUBLIC_URL must be set (for example https://chat.example.org)"
            )
        if self.ethics_log_origin == DEV_LOG_ORIGIN:
            problems.append(
                "CROSSROADS_ETHICS_LOG_ORIGIN must name this deployment's ethics log once and "
                "for ever (for example chat.example.org/ethics-log)"
            )
        if problems:
            raise InsecureSettingsError(
                "Refusing to start outside development mode:\n  - "
                + "\n  - ".join(problems)
                + "\nSet CROSSROADS_DEV_MODE=true only on a developer machine."
            )

    @property
    def is_sqlite(self) -> bool:
        """True when the database is the embedded SQLite default."""
        return self.database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry ``Secure`` except on plain-http development servers."""
        return not (self.dev_mode and self.public_url.startswith("http://"))


def _is_fernet_key(value: object) -> bool:
    """32 bytes in URL-safe base64: the form of every transcript key."""
    if not isinstance(value, str):
        return False
    try:
        return len(base64.urlsafe_b64decode(value.encode())) == 32
    except ValueError:
        return False
