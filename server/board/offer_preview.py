"""``GET /board/proposals/{id}/offer``: the proposal's offer as a player would see it today.

The board reviews wording, but a player reads the wording with its slots filled: the operator
and funder, how long chats are kept, where confidentiality ends, who is on duty and the
opening hours. This page fills them from today's live facts (the organisation profile, the
server's settings, the rota and who is signed in), with the game's own functions and strings,
so what the board approves is what players are shown. Hours are given in the organisation's
time zone (players see them in their own).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from game.content import Organisation, availability_line, fill_slots, format_hours, opening_hours
from game.i18n import Translator
from game.narrative import Bundle
from server import content_api
from server.board import routes, service
from server.board.service import BoardError
from server.storage.types import utcnow


def render_offers(bundle: Bundle, org: Organisation | None, now: datetime) -> list[dict[str, Any]]:
    """Every offer of ``bundle`` in every locale, filled with ``org``'s facts at ``now``."""
    out: list[dict[str, Any]] = []
    for locale in bundle.locales:
        tr = Translator(locale)
        facts: list[str] = []
        if org is None:
            facts.append(tr("offer.kinds_unknown"))
        else:
            facts.append(availability_line(org, tr))
            zone = ZoneInfo(org.timezone)
            today = now.astimezone(zone).date()
            hours = opening_hours(org.service_hours, org.timezone, zone, today)
            if line := format_hours(hours, tr):
                facts.append(line)
        for offer in bundle.offers.values():

            def text(line: str, locale: str = locale, tr: Translator = tr) -> str:
                return fill_slots(bundle.text(line, locale), org, tr)

            out.append(
                {
                    "locale": locale,
                    "id": offer.id,
                    "version": offer.version,
                    "title": text(offer.title),
                    "body": text(offer.body),
                    "facts": facts,
                    "stored_heading": tr("offer.h_stored"),
                    "stored": text(offer.stored),
                    "confidentiality_heading": tr("offer.h_confidentiality"),
                    "confidentiality": text(offer.confidentiality),
                    "yes": text(offer.yes),
                    "not_now": text(offer.not_now),
                }
            )
    return out


async def offer_preview(request: web.Request) -> web.Response:
    """The current revision's offers, rendered with today's facts, for board members."""
    from server.app import DB, SETTINGS
    from server.chat.rota_repo import load_rota

    await routes._staff(request, *routes.VIEW_ROLES)
    pid = routes._int(request.match_info["id"], "proposal")
    db, settings = request.app[DB], request.app[SETTINGS]
    try:
        view = await service.proposal_view(db, settings, pid)
    except BoardError as exc:
        raise web.HTTPNotFound(text=exc.message) from exc
    now = utcnow()
    async with db.session() as session:
        body = await content_api.load_bundle(session, view.current.bundle_hash)
        row = await content_api.get_organisation(session)
        rota = await load_rota(session) if row is not None else None
    assert body is not None  # a revision always references a stored bundle
    org = None
    if row is not None:
        provider = request.app.get(content_api.KINDS_AVAILABLE)
        public = content_api.organisation_public(
            row,
            now=now,
            kinds_available=provider() if provider else [],
            rota=rota,
            retention_days=settings.retention_days,
        )
        org = Organisation.from_json(public.model_dump())
    return await routes._render(
        request,
        "board/offer_preview.html",
        {
            "p": view.proposal,
            "current": view.current,
            "offers": render_offers(Bundle.from_bytes(body), org, now),
            "now": now,
            "org": org,
        },
    )


def setup(app: web.Application) -> None:
    """Register the page (called from ``server.board.setup``)."""
    app.router.add_get("/board/proposals/{id}/offer", offer_preview, name="board_offer_preview")
