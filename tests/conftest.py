"""Shared fixtures: settings on a fresh SQLite file, the app, its test client, demo data.

Migrating and seeding cost about a second, so each is done once per test session into a
template file that every test copies; each test still gets its own database.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from aiohttp.test_utils import TestClient  # noqa: E402

from server.settings import Settings  # noqa: E402
from server.storage.db import Database  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent


def make_settings(db_file: Path, **overrides: object) -> Settings:
    """Development settings on ``db_file``, with the scheduler off unless asked for."""
    values: dict[str, object] = {
        "dev_mode": True,
        "database_url": f"sqlite+aiosqlite:///{db_file}",
        "scheduler_enabled": False,
        "ethics_key_dir": db_file.parent / "ethics-keys",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file migrated to head, made once per test session."""
    from server.storage.migrate import upgrade

    path = tmp_path_factory.mktemp("template") / "migrated.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def seeded_template(migrated_template: Path) -> Path:
    """A migrated database with the demo organisation, staff and published story."""
    from server.demo import seed
    from server.storage.types import utcnow

    path = migrated_template.with_name("seeded.db")
    shutil.copyfile(migrated_template, path)
    settings = make_settings(path)

    async def run() -> None:
        db = Database(settings.database_url)
        try:
            await seed(settings, db, utcnow())
        finally:
            await db.dispose()

    asyncio.run(run())
    return path


@pytest.fixture
def db_file(tmp_path: Path, migrated_template: Path) -> Path:
    """This test's own migrated, empty database file."""
    target = tmp_path / "crossroads.db"
    shutil.copyfile(migrated_template, target)
    return target


@pytest.fixture
def settings(db_file: Path) -> Settings:
    """Development settings on this test's migrated database."""
    return make_settings(db_file)


@pytest.fixture
def seeded_settings(tmp_path: Path, seeded_template: Path) -> Settings:
    """Development settings on a copy of the seeded demo database."""
    target = tmp_path / "crossroads.db"
    shutil.copyfile(seeded_template, target)
    # the demo's signing key goes with its log: a log whose key file is gone refuses to sign
    keys = seeded_template.parent / "ethics-keys"
    if keys.is_dir():
        shutil.copytree(keys, tmp_path / "ethics-keys", dirs_exist_ok=True)
    return make_settings(target)


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    """A database handle on this test's database."""
    database = Database(settings.database_url)
    yield database
    await database.dispose()


@pytest.fixture
async def client(
    aiohttp_client: Callable[..., Awaitable[TestClient]], settings: Settings
) -> TestClient:  # type: ignore[type-arg]
    """A test client of the whole app on an empty migrated database."""
    from server.app import create_app

    return await aiohttp_client(create_app(settings))


@pytest.fixture
async def seeded_client(
    aiohttp_client: Callable[..., Awaitable[TestClient]],  # type: ignore[type-arg]
    seeded_settings: Settings,
) -> TestClient:  # type: ignore[type-arg]
    """A test client of the whole app on the seeded demo database."""
    from server.app import create_app

    return await aiohttp_client(create_app(seeded_settings))


async def staff_login(client: TestClient, username: str, password: str | None = None) -> str:  # type: ignore[type-arg]
    """Sign ``username`` in on ``client`` (cookie kept by the client) and return the CSRF token."""
    response = await client.post(
        "/auth/login",
        json={"username": username, "password": password or f"demo-{username}"},
    )
    assert response.status == 200, await response.text()
    return str((await response.json())["csrf_token"])


@pytest.fixture(scope="session")
def postgres_base_url() -> Iterator[str]:
    """A private PostgreSQL cluster for this test session (skipped where unavailable)."""
    from tests.postgres import postgres_cluster, unavailable_reason

    reason = unavailable_reason()
    if reason is not None:
        if os.environ.get("CI"):
            # `make test` installs PostgreSQL; in CI a skip would hide a broken set-up.
            raise RuntimeError(f"PostgreSQL tests cannot run in CI: {reason}")
        pytest.skip(reason)
    with postgres_cluster() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def any_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated database URL: once SQLite, once PostgreSQL (the storage contract)."""
    import uuid

    from server.storage.migrate import upgrade

    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'contract.db'}"
    else:
        from tests.postgres import create_database

        base = request.getfixturevalue("postgres_base_url")
        url = create_database(base, f"t_{uuid.uuid4().hex[:12]}")
    upgrade(url)
    return url
