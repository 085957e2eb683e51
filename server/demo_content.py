"""Publish the shipped story for the demo, through the same governance path as real content.

The demo author proposes the bundle built from ``assets/story``; the two demo board members
review it; it is published once the quorum holds. Nothing reaches players without that.
"""

from __future__ import annotations

from datetime import datetime

from server.settings import Settings
from server.storage.db import Database


async def publish_demo_content(
    settings: Settings, db: Database, now: datetime
) -> tuple[str | None, str]:
    """Make the shipped story the published bundle if nothing is published yet."""
    from game.narrative import Bundle, load_story
    from server import content_api
    from server.demo import STORY_DIR

    bundle = Bundle.from_story(load_story(STORY_DIR))
    async with db.session() as session:
        current = await content_api.published_hash(session)
        if current is not None:
            return current, "content already published; left as it is"
        digest = await content_api.store_bundle(session, body=bundle.to_bytes(), now=now)
        await content_api.publish_bundle(
            session, bundle_hash=digest, by_staff_id=None, now=now, note="demo seed"
        )
        await session.commit()
    return digest, "published the shipped story"
