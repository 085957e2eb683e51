"""Consent proofs: what a consent record's player agreed to, and that the board approved it.

``prove_consent`` joins a consent record (chat area) with the publish entry of the bundle the
player saw, the offer's text in every locale, the reviews of the published revision, and an
inclusion proof of the publish entry against the newest signed checkpoint.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from ethics import entries as E
from game.narrative import Bundle, BundleError
from server import content_api
from server.board.logstore import BoardError, parse_proposal_key
from server.board.models import EthicsLogEntry
from server.board.proofs import inclusion
from server.board.views import proposal_view
from server.settings import Settings
from server.storage.db import Database


async def prove_consent(db: Database, settings: Settings, consent_id: int) -> dict[str, Any]:
    """The approved proposal, its reviews and an inclusion proof for one consent record."""
    from server.chat.models import ConsentRecord

    async with db.session() as session:
        consent = await session.get(ConsentRecord, consent_id)
        if consent is None:
            raise BoardError(404, "unknown_consent", f"There is no consent record {consent_id}.")
        stmt = (
            select(EthicsLogEntry)
            .where(
                EthicsLogEntry.kind == "publish", EthicsLogEntry.bundle_hash == consent.bundle_hash
            )
            .order_by(col(EthicsLogEntry.entry_index))
        )
        publish_row = (await session.exec(stmt)).first()
        body = await content_api.load_bundle(session, consent.bundle_hash)
    result: dict[str, Any] = {
        "consent": {
            "id": consent.id,
            "at": consent.at.isoformat(),
            "bundle_hash": consent.bundle_hash,
            "offer_id": consent.offer_id,
            "offer_version": consent.offer_version,
        },
        "offer_text": {},
        "published": publish_row is not None,
    }
    if body is not None:
        try:
            bundle = Bundle.from_bytes(body)
        except BundleError:
            bundle = None
        offer = bundle.offers.get(consent.offer_id) if bundle else None
        if bundle is not None and offer is not None:
            result["offer_text"] = {
                loc: {
                    name: bundle.text(getattr(offer, name), loc)
                    for name in ("title", "body", "stored", "confidentiality", "yes", "not_now")
                }
                for loc in bundle.locales
            }
            result["offer_version_matches"] = offer.version == consent.offer_version
    if publish_row is None:
        return result
    publish_entry = E.decode_entry(publish_row.body)
    assert isinstance(publish_entry, E.PublishEntry)
    pid = parse_proposal_key(publish_entry.proposal)
    if pid is not None:
        view = await proposal_view(db, settings, pid)
        rev = next((r for r in view.revisions if r.number == publish_entry.revision), view.current)
        result["proposal"] = {
            "id": publish_entry.proposal,
            "title": view.proposal.title,
            "revision": rev.number,
            "message": rev.message,
            "proposer_id": view.proposal.proposer_id,
        }
        result["reviews"] = [
            {
                "reviewer_id": r.reviewer_id,
                "decision": r.decision,
                "rationale": r.rationale,
                "at": r.created_at.isoformat(),
                "log_index": r.log_index,
            }
            for r in view.reviews
            if r.revision == rev.number
        ]
    result["approvals"] = publish_entry.approvals
    result["inclusion"] = (await inclusion(db, publish_row.entry_index)).to_dict()
    return result
