"""Demo data for development mode: an organisation, staff of every role, published content.

Idempotent: running it again changes nothing that exists. Refuses to run outside
development mode, because demo accounts have public passwords (``demo-<username>``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import select

from game.paths import STORY
from server.auth import hash_password
from server.settings import Settings
from server.storage.db import Database
from server.storage.models import Organisation, StaffAccount

#: The story the demo publishes: the one the installed game ships.
STORY_DIR = STORY


class DemoRefused(RuntimeError):
    """Demo data was requested outside development mode (the operator's mistake)."""


@dataclass(frozen=True)
class DemoStaff:
    """One demo account; its password is ``demo-<username>``."""

    username: str
    display_name: str
    roles: tuple[str, ...]
    kind: str | None = None
    languages: tuple[str, ...] = ("en",)
    gender: str | None = None
    age_band: str | None = None
    capacity: int = 0

    @property
    def password(self) -> str:
        return f"demo-{self.username}"


DEMO_STAFF: tuple[DemoStaff, ...] = (
    DemoStaff(
        "counsellor1",
        "Sam (professional)",
        ("counsellor",),
        "professional",
        ("en", "de"),
        "female",
        "26-40",
        3,
    ),
    DemoStaff(
        "counsellor2", "Jonas (former)", ("counsellor",), "former", ("en", "de"), "male", "26-40", 2
    ),
    DemoStaff(
        "counsellor3", "Miriam (survivor)", ("counsellor",), "survivor", ("en",), "female", "41+", 2
    ),
    DemoStaff(
        "counsellor4", "Alex (peer)", ("counsellor",), "peer", ("de", "en"), "nonbinary", "18-25", 2
    ),
    DemoStaff(
        "supervisor1",
        "Dana (supervisor)",
        ("supervisor", "counsellor"),
        "professional",
        ("en", "de"),
        "female",
        "41+",
        1,
    ),
    DemoStaff("board1", "Board member Ayse", ("reviewer",)),
    DemoStaff("board2", "Board member Piotr", ("reviewer",)),
    DemoStaff("author1", "Author Lena", ("author",)),
    DemoStaff("admin1", "Admin Chris", ("admin",)),
)

DEMO_HOURS = {
    day: [["00:00", "23:59"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}


@dataclass
class SeedReport:
    """What ``seed`` did, for the CLI to print."""

    created_staff: list[str]
    organisation_created: bool
    published_hash: str | None
    content_note: str


async def seed_organisation(db: Database, now: datetime) -> bool:
    """Create the demo organisation if there is none; True when created."""
    async with db.session() as session:
        if (await session.exec(select(Organisation))).first() is not None:
            return False
        session.add(
            Organisation(
                name="Crossroads Exit Network (demo)",
                funder="Demo Foundation for Civic Education",
                contact_url="https://crossroads.example.org/contact",
                description=(
                    "A demonstration deployment of Crossroads: counsellors who help young people "
                    "step away from extremist groups. This demo is open around the clock."
                ),
                timezone="Europe/Berlin",
                service_hours=DEMO_HOURS,
                updated_at=now,
            )
        )
        await session.commit()
        return True


async def seed_staff(db: Database, now: datetime) -> list[str]:
    """Create missing demo accounts; returns the usernames created."""
    created: list[str] = []
    async with db.session() as session:
        existing = set((await session.exec(select(StaffAccount.username))).all())
        for staff in DEMO_STAFF:
            if staff.username in existing:
                continue
            session.add(
                StaffAccount(
                    username=staff.username,
                    display_name=staff.display_name,
                    password_hash=hash_password(staff.password),
                    roles=list(staff.roles),
                    kind=staff.kind,
                    languages=list(staff.languages),
                    gender=staff.gender,
                    age_band=staff.age_band,
                    capacity=staff.capacity,
                    created_at=now,
                )
            )
            created.append(staff.username)
        await session.commit()
    return created


async def seed(settings: Settings, db: Database, now: datetime) -> SeedReport:
    """Seed everything the demo needs; safe to run again."""
    if not settings.dev_mode:
        raise DemoRefused(
            "Demo data has public passwords and is only seeded in development mode "
            "(CROSSROADS_DEV_MODE=true)."
        )
    org_created = await seed_organisation(db, now)
    created = await seed_staff(db, now)
    from server.web.demo import seed_web_demo

    await seed_web_demo(db, now)  # partner organisations and shared canned responses
    from server.demo_content import publish_demo_content

    published, note = await publish_demo_content(settings, db, now)
    return SeedReport(created, org_created, published, note)
