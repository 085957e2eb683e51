"""Publish the shipped story for the demo, through the same governance path as real content.

The demo author proposes the bundle built from ``assets/story``; the automated checks run;
the two demo board members review it with the full checklist; one of them publishes once the
quorum holds. Every step lands in the ethics log, so even demo content is verifiable.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from server.settings import Settings
from server.storage.db import Database
from server.storage.models import StaffAccount

DEMO_MESSAGE = (
    "Demo: the shipped story 'Static'\n\n"
    "Seeded by `crossroads demo seed` so a development server has approved content."
)


async def _staff(db: Database, username: str) -> StaffAccount:
    async with db.session() as session:
        account = (
            await session.exec(select(StaffAccount).where(StaffAccount.username == username))
        ).one()
    return account


async def publish_demo_content(
    settings: Settings, db: Database, now: datetime
) -> tuple[str | None, str]:
    """Propose, review and publish the shipped story if nothing is published yet."""
    from ethics.review import CHECKLIST
    from game.narrative import Bundle, load_story
    from server import content_api
    from server.board import service
    from server.demo import STORY_DIR

    async with db.session() as session:
        current = await content_api.published_hash(session)
    if current is not None:
        return current, "content already published; left as it is"

    bundle = Bundle.from_story(load_story(STORY_DIR))
    author, first, second = [await _staff(db, name) for name in ("author1", "board1", "board2")]
    assert author.id is not None and first.id is not None and second.id is not None
    proposal = await service.propose(
        db,
        settings,
        actor=service.Staff(author.id, list(author.roles)),
        bundle_bytes=bundle.to_bytes(),
        message=DEMO_MESSAGE,
        now=now,
    )
    assert proposal.id is not None
    view = await service.proposal_view(db, settings, proposal.id)
    digest = bundle.sha256
    for flag in view.unacknowledged:
        await service.acknowledge(
            db,
            settings,
            actor=service.Staff(first.id, list(first.roles)),
            proposal_id=proposal.id,
            bundle_hash=digest,
            check_id=flag["id"],
            location=flag["location"],
            rationale="Demo content: flag read and accepted by the demo board.",
            now=now,
        )
    for member in (first, second):
        assert member.id is not None
        await service.review(
            db,
            settings,
            actor=service.Staff(member.id, list(member.roles)),
            proposal_id=proposal.id,
            bundle_hash=digest,
            decision="approve",
            rationale="Demo review: read the diff and every check; approved for the demo.",
            checklist={item: True for item in CHECKLIST},
            now=now,
        )
    await service.publish(
        db,
        settings,
        actor=service.Staff(first.id, list(first.roles)),
        proposal_id=proposal.id,
        now=now,
        note="demo seed",
    )
    return digest, f"proposed by author1, approved by board1 and board2, published (#{proposal.id})"
