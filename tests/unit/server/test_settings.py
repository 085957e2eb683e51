"""Settings: development defaults, and refusing to run production on default secrets."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from server.settings import DEV_SECRET_KEY, InsecureSettingsError, Settings


def test_environment_variables_configure_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """An operator configures address, database and origins through CROSSROADS_* variables."""
    monkeypatch.setenv("CROSSROADS_HOST", "0.0.0.0")
    monkeypatch.setenv("CROSSROADS_PORT", "9000")
    monkeypatch.setenv("CROSSROADS_DATABASE_URL", "postgresql+asyncpg://u:p@db/crossroads")
    monkeypatch.setenv("CROSSROADS_ALLOWED_ORIGINS", "https://a.example, https://b.example/")
    settings = Settings()
    assert (settings.host, settings.port) == ("0.0.0.0", 9000)
    assert settings.database_url.startswith("postgresql+asyncpg")
    assert settings.allowed_origins == ["https://a.example", "https://b.example"]


def test_production_refuses_missing_secrets_and_names_each_one() -> None:
    """Starting outside development mode without secrets fails with a message naming them."""
    with pytest.raises(InsecureSettingsError) as info:
        Settings(dev_mode=False).check_production_ready()
    message = str(info.value)
    assert "CROSSROADS_SECRET_KEY" in message
    assert "CROSSROADS_TRANSCRIPT_KEY" in message
    assert "CROSSROADS_PUBLIC_URL" in message
    assert "CROSSROADS_ETHICS_LOG_ORIGIN" in message


def test_production_refuses_the_public_development_secret() -> None:
    """The development secret, which is public, is never accepted in production."""
    settings = Settings(
        dev_mode=False,
        secret_key=DEV_SECRET_KEY,
        transcript_key=Fernet.generate_key().decode(),
        public_url="https://chat.example.org",
    )
    with pytest.raises(InsecureSettingsError, match="CROSSROADS_SECRET_KEY"):
        settings.check_production_ready()


def test_production_accepts_real_secrets_and_sets_secure_cookies() -> None:
    """With real secrets the server starts, and its cookies are marked Secure."""
    settings = Settings(
        dev_mode=False,
        secret_key="x" * 48,
        transcript_key=Fernet.generate_key().decode(),
        public_url="https://chat.example.org",
        ethics_log_origin="chat.example.org/ethics-log",
    )
    settings.check_production_ready()
    assert settings.secure_cookies


def test_development_mode_fills_safe_local_defaults() -> None:
    """A developer gets working secrets, local origins and plain-http cookies without setup."""
    settings = Settings(dev_mode=True, port=8123)
    settings.check_production_ready()
    assert settings.secret_key and settings.transcript_key
    assert "http://127.0.0.1:8123" in settings.allowed_origins
    assert not settings.secure_cookies


def test_a_quorum_of_one_is_refused() -> None:
    """Nobody may publish content alone, so a quorum below two is a configuration error."""
    with pytest.raises(ValueError, match="ethics_quorum"):
        Settings(dev_mode=True, ethics_quorum=1)


def test_rotated_out_transcript_keys_come_comma_separated_and_are_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CROSSROADS_TRANSCRIPT_KEYS_PREVIOUS takes a list of keys; a malformed one stops the
    server at start with the entry named, not at the first chat it cannot read."""
    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("CROSSROADS_TRANSCRIPT_KEYS_PREVIOUS", f" {first} ,{second}")
    assert Settings(dev_mode=True).transcript_keys_previous == [first, second]
    monkeypatch.setenv("CROSSROADS_TRANSCRIPT_KEYS_PREVIOUS", f"{first},not-a-key")
    with pytest.raises(ValidationError, match="entry 2 of CROSSROADS_TRANSCRIPT_KEYS_PREVIOUS"):
        Settings(dev_mode=True)


def test_metrics_token_and_log_format_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """A guessable metrics token or an unknown log format stops the server at start."""
    monkeypatch.setenv("CROSSROADS_METRICS_TOKEN", "short")
    with pytest.raises(ValidationError, match="metrics_token"):
        Settings(dev_mode=True)
    monkeypatch.setenv("CROSSROADS_METRICS_TOKEN", "a-long-enough-scrape-token")
    monkeypatch.setenv("CROSSROADS_LOG_FORMAT", "xml")
    with pytest.raises(ValidationError, match="log_format"):
        Settings(dev_mode=True)
    monkeypatch.setenv("CROSSROADS_LOG_FORMAT", "json")
    settings = Settings(dev_mode=True)
    assert settings.metrics_token == "a-long-enough-scrape-token"
    assert settings.log_format == "json"
