"""Serving what players read: the published content bundle and the organisation profile.

Bundles are immutable and addressed by hash. Publication is a stack: publish pushes a bundle,
an emergency unpublish pops back to the previous one. Only the ethics board's service calls
``publish_bundle`` (after quorum); this module only stores and serves.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from datetime import datetime

from aiohttp import web
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.rota import Rota, next_open, service_open
from server.storage.models import ContentBundle, Organisation, OrganisationPublic, Publication
from server.storage.types import utcnow


class NothingPublished(LookupError):
    """There is no published bundle to serve or roll back (an operator state, not a bug)."""


async def store_bundle(session: AsyncSession, *, body: bytes, now: datetime) -> str:
    """Store canonical bundle bytes (idempotent) and return their SHA-256 hex."""
    digest = hashlib.sha256(body).hexdigest()
    if await session.get(ContentBundle, digest) is None:
        session.add(ContentBundle(hash=digest, body=body, created_at=now))
        await session.flush()
    return digest


async def _publication_stack(session: AsyncSession) -> list[Publication]:
    rows = (await session.exec(select(Publication).order_by(col(Publication.id)))).all()
    stack: list[Publication] = []
    for row in rows:
        if row.action == "publish":
            stack.append(row)
        elif row.action == "unpublish" and stack:
            stack.pop()
    return stack


async def published_hash(session: AsyncSession) -> str | None:
    """The hash of the bundle players get now, or None."""
    stack = await _publication_stack(session)
    return stack[-1].bundle_hash if stack else None


async def publish_bundle(
    session: AsyncSession,
    *,
    bundle_hash: str,
    by_staff_id: int | None,
    now: datetime,
    note: str = "",
) -> Publication:
    """Make a stored bundle the one players get (the caller has checked quorum)."""
    if await session.get(ContentBundle, bundle_hash) is None:
        raise LookupError(f"no stored bundle with hash {bundle_hash}")
    row = Publication(
        bundle_hash=bundle_hash, action="publish", at=now, by_staff_id=by_staff_id, note=note
    )
    session.add(row)
    await session.flush()
    return row


async def unpublish_latest(
    session: AsyncSession, *, by_staff_id: int | None, now: datetime, note: str
) -> tuple[Publication, str | None]:
    """Withdraw the current bundle; returns the row and the hash now served (or None)."""
    stack = await _publication_stack(session)
    if not stack:
        raise NothingPublished("nothing is published, so nothing can be unpublished")
    row = Publication(
        bundle_hash=stack[-1].bundle_hash,
        action="unpublish",
        at=now,
        by_staff_id=by_staff_id,
        note=note,
    )
    session.add(row)
    await session.flush()
    return row, stack[-2].bundle_hash if len(stack) > 1 else None


async def load_bundle(session: AsyncSession, bundle_hash: str) -> bytes | None:
    """The canonical bytes of a stored bundle."""
    row = await session.get(ContentBundle, bundle_hash)
    return row.body if row else None


async def get_organisation(session: AsyncSession) -> Organisation | None:
    """The operating organisation (the first row; one per deployment)."""
    return (await session.exec(select(Organisation).order_by(col(Organisation.id)))).first()


def organisation_public(
    org: Organisation,
    *,
    now: datetime,
    kinds_available: list[str],
    rota: Rota | None = None,
    retention_days: int | None = None,
) -> OrganisationPublic:
    """The public profile with the live ``open_now`` and ``kinds_available_now``.

    ``rota`` is the counsellors' rota: open means the hours are open and someone is rostered
    (without a defined rota the hours alone decide).
    """
    open_now = service_open(org.service_hours, org.timezone, rota, now)
    opening = None if open_now else next_open(org.service_hours, org.timezone, rota, now)
    return OrganisationPublic(
        name=org.name,
        funder=org.funder,
        contact_url=org.contact_url,
        description=org.description,
        timezone=org.timezone,
        service_hours=org.service_hours,
        open_now=open_now,
        kinds_available_now=sorted(set(kinds_available)) if open_now else [],
        next_opening=opening.isoformat() if opening else None,
        emergency_contact=org.emergency_contact,
        shares_identifying_details=org.shares_identifying_details,
        tells_player_first=org.tells_player_first,
        retention_days=retention_days,
    )


# --- HTTP --------------------------------------------------------------------------------------

KindsProvider = Callable[[], list[str]]
#: Set by the handoff gateways: which counsellor kinds are signed in and available right now.
KINDS_AVAILABLE: web.AppKey[KindsProvider] = web.AppKey("crossroads_kinds_available", object)  # type: ignore[arg-type]


async def content_handler(request: web.Request) -> web.StreamResponse:
    """``GET /api/v1/content``: the published bundle, cacheable by its hash.

    ``X-Ethics-Proof`` carries the offline proof (C2SP tlog-proof, base64) that the ethics
    board published exactly this bundle: the publish entry, its inclusion proof and the newest
    checkpoint with its witness cosignatures. The game checks it against its pinned key
    before showing anything and keeps it with its cached copy.
    """
    from server.app import DB, json_error
    from server.board.proofs import content_proof

    async with request.app[DB].session() as session:
        digest = await published_hash(session)
        if digest is None:
            return json_error(
                503, "no_published_content", "No content has been approved and published yet."
            )
        etag = f'"{digest}"'
        headers = {"ETag": etag, "X-Content-Hash": digest, "Cache-Control": "no-cache"}
        if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
            return web.Response(status=304, headers=headers)
        body = await load_bundle(session, digest)
        proof = await content_proof(session, digest)
    if proof is not None:
        headers["X-Ethics-Proof"] = base64.b64encode(proof.encode()).decode()
    assert body is not None
    return web.Response(body=body, content_type="application/json", headers=headers)


async def organisation_handler(request: web.Request) -> web.Response:
    """``GET /api/v1/organisation``: who runs this, who funds it, when someone is there."""
    from server.app import DB, SETTINGS, json_error
    from server.chat.rota_repo import load_rota

    async with request.app[DB].session() as session:
        org = await get_organisation(session)
        rota = await load_rota(session) if org is not None else None
    if org is None:
        return json_error(503, "no_organisation", "The operator has not set up the organisation.")
    provider = request.app.get(KINDS_AVAILABLE)
    kinds = provider() if provider else []
    public = organisation_public(
        org,
        now=utcnow(),
        kinds_available=kinds,
        rota=rota,
        retention_days=request.app[SETTINGS].retention_days,
    )
    return web.json_response(public.model_dump())


def setup(app: web.Application) -> None:
    """Register the public read-only API."""
    app.router.add_get("/api/v1/content", content_handler, name="content")
    app.router.add_get("/api/v1/organisation", organisation_handler, name="organisation")
