"""Demo data for the staff pages: partner organisations and canned responses (dev mode only).

``await seed_web_demo(db, now)`` is idempotent; ``server.demo.seed`` calls it so the demo
console has something to refer to and to insert, and so the demo counsellors are on the rota
around the clock (``make run`` works at any hour).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select

from server.storage.db import Database
from server.web.models import CannedResponse, PartnerOrganisation

DEMO_PARTNERS = (
    {
        "key": "exit-north",
        "name": "Exit North (demo partner)",
        "description": "Long-term exit support with personal mentors; also for families.",
        "contact": "+49 30 0000000 (Mon-Fri 9-17)",
        "url": "https://exit-north.example.org",
        "languages": ["de", "en"],
    },
    {
        "key": "youth-line",
        "name": "Youth Line (demo partner)",
        "description": "Anonymous, free counselling for young people on any topic.",
        "contact": "116 111 (free, anonymous)",
        "url": "https://youth-line.example.org",
        "languages": ["de", "en"],
    },
)

DEMO_CANNED = (
    (
        "welcome",
        "Welcome",
        "Hi, thanks for writing. I'm a counsellor here, a real person. "
        "Take your time; you decide what you want to talk about.",
    ),
    (
        "confidential",
        "What stays confidential",
        "What you tell me stays within our service. The one exception: if you or someone "
        "else is in serious danger, we may need to get help. I would tell you first.",
    ),
    (
        "pause",
        "Taking a moment",
        "Thank you for telling me that. I'm taking a moment to think about it properly.",
    ),
    (
        "crisis",
        "Crisis numbers",
        "If you are in danger right now, please call 112. You can also call the free, "
        "anonymous number 116 111 at any time.",
    ),
)


async def seed_web_demo(db: Database, now: datetime) -> list[str]:
    """Add missing demo partners and organisation-wide canned responses; return what was added."""
    added: list[str] = []
    async with db.session() as session:
        for data in DEMO_PARTNERS:
            exists = (
                await session.exec(
                    select(PartnerOrganisation).where(PartnerOrganisation.key == data["key"])
                )
            ).first()
            if exists is None:
                session.add(PartnerOrganisation(**data, created_at=now))  # type: ignore[arg-type]
                added.append(f"partner {data['key']}")
        for shortcut, title, body in DEMO_CANNED:
            exists_canned = (
                await session.exec(
                    select(CannedResponse).where(
                        CannedResponse.shortcut == shortcut,
                        col(CannedResponse.owner_staff_id).is_(None),
                    )
                )
            ).first()
            if exists_canned is None:
                session.add(
                    CannedResponse(
                        owner_staff_id=None,
                        shortcut=shortcut,
                        title=title,
                        body=body,
                        language="en",
                        created_at=now,
                        updated_at=now,
                    )
                )
                added.append(f"canned /{shortcut}")
        await session.commit()
    added += await _seed_rota(db, now)
    return added


async def _seed_rota(db: Database, now: datetime) -> list[str]:
    """Roster every demo counsellor 00:00-24:00 every day, once (only on an empty rota)."""
    from server.chat.rota_models import RotaShift
    from server.storage.models import WEEKDAYS, StaffAccount

    async with db.session() as session:
        if (await session.exec(select(RotaShift))).first() is not None:
            return []
        accounts = (await session.exec(select(StaffAccount))).all()
        counsellors = [a for a in accounts if a.id is not None and "counsellor" in a.roles]
        for account in counsellors:
            assert account.id is not None
            for day in WEEKDAYS:
                session.add(
                    RotaShift(
                        staff_id=account.id, weekday=day, start="00:00", end="24:00", created_at=now
                    )
                )
        await session.commit()
    return [f"rota {a.username}" for a in counsellors]
