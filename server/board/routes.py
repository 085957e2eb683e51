"""The ``/board`` pages: proposals waiting, diff, checks, decisions, history, log browser, export.

Thin handlers over ``server.board.service``: they check the role, parse the form, call the
service and render a page (303 back to the page after a successful change). Every form carries
the session's CSRF token (checked by the web area's middleware and again here). A refused step
re-renders the page with the rule's message and a 4xx status.
"""

from __future__ import annotations

import asyncio
import hmac
import io
import json
import logging
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from sqlmodel import select

from ethics.checks import CHECKS
from ethics.review import RULES
from server import content_api
from server.auth import current_csrf, current_staff
from server.board import service, witnesses
from server.board.service import BoardError, Staff
from server.storage.models import StaffAccount
from server.storage.types import utcnow

HERE = Path(__file__).resolve().parent
log = logging.getLogger("crossroads.board")
BOARD_JINJA: web.AppKey[jinja2.Environment] = web.AppKey(
    "crossroads_board_jinja", jinja2.Environment
)
VIEW_ROLES = ("reviewer", "author")
PAGE_SIZE = 50
MAX_BUNDLE_BYTES = 16 * 1024 * 1024

MESSAGES = {
    "proposed": "Proposal recorded; the automated checks ran and are logged below.",
    "revised": "New revision recorded. Earlier approvals no longer count.",
    "rebased": "Rebased onto the published bundle; see the three-way view. Earlier approvals "
    "no longer count.",
    "reviewed": "Your decision is recorded in the log.",
    "acknowledged": "Acknowledgement recorded in the log.",
    "published": "Published. Players now receive this bundle; a checkpoint was signed.",
    "unpublished": "Unpublished. Players get the previously published bundle again.",
}


def _settings(request: web.Request) -> Any:
    from server.app import SETTINGS

    return request.app[SETTINGS]


def _db(request: web.Request) -> Any:
    from server.app import DB

    return request.app[DB]


async def _staff(request: web.Request, *roles: str) -> tuple[StaffAccount, Staff]:
    """The signed-in account holding one of ``roles``: redirect to sign-in or a 403 page."""
    account = await current_staff(request)
    if account is None:
        from urllib.parse import urlencode

        raise web.HTTPSeeOther("/login?" + urlencode({"next": request.path_qs}))
    if not account.has_role(*roles):
        page = await _render(
            request,
            "board/error.html",
            {
                "title": "Not for your role",
                "message": "The ethics board pages are for board "
                "members and authors. Ask an administrator if you need access.",
            },
            status=403,
        )
        raise web.HTTPForbidden(text=page.text, content_type="text/html")
    assert account.id is not None
    return account, Staff(id=account.id, roles=list(account.roles))


async def _form(request: web.Request) -> Any:
    """The posted form, after checking its CSRF token (defence in depth)."""
    form = await request.post()
    expected = await current_csrf(request)
    given = str(form.get("csrf_token", ""))
    if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
        raise web.HTTPForbidden(text="Missing or wrong security token (CSRF). Reload the page.")
    return form


async def _render(
    request: web.Request, template: str, context: dict[str, Any], *, status: int = 200
) -> web.Response:
    account = await current_staff(request)
    async with _db(request).session() as session:
        keys = await service.public_keys(session)
    log_key = service.verifier_of(keys[0]) if keys else None
    base = {
        "log_key": log_key,
        "staff": account,
        "csrf_token": await current_csrf(request) or "",
        "path": request.path,
        "dev_mode": _settings(request).dev_mode,
        "short": service.short_hash,
        "message": MESSAGES.get(request.query.get("done", ""), ""),
    }
    base.update(context)
    return aiohttp_jinja2.render_template(
        template, request, base, app_key=BOARD_JINJA, status=status
    )


async def _names(request: web.Request) -> dict[int, str]:
    async with _db(request).session() as session:
        rows = (await session.exec(select(StaffAccount))).all()
    return {r.id: r.display_name for r in rows if r.id is not None}


def _int(value: str, what: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise web.HTTPNotFound(text=f"There is no {what} {value!r}.") from None
    if number < 0:
        raise web.HTTPNotFound(text=f"There is no {what} {value!r}.")
    return number


# --- index -----------------------------------------------------------------------------------


async def index(request: web.Request, *, error: str = "", status: int = 200) -> web.Response:
    """``GET /board``: proposals waiting, recently published, current bundle, forms."""
    account, _ = await _staff(request, *VIEW_ROLES)
    db = _db(request)
    proposals = await service.list_proposals(db)
    settings = _settings(request)
    states = {
        p.id: await service.proposal_view(db, settings, p.id)
        for p in proposals
        if p.status == "open" and p.id is not None
    }
    async with db.session() as session:
        published = await content_api.published_hash(session)
        size = await service.log_size(session)
        checkpoint = await service.latest_checkpoint(session)
    try:
        witness_policy, witness_states = await witnesses.status(db, settings)
    except BoardError as exc:
        witness_policy, witness_states, error = None, [], error or exc.message
    return await _render(
        request,
        "board/index.html",
        {
            "witness_policy": witness_policy,
            "witness_states": witness_states,
            "cosigned_ok": (
                witness_policy is None
                or checkpoint is None
                or witness_policy.check(checkpoint.note) is None
            ),
            "waiting": [p for p in proposals if p.status == "open"],
            "states": states,
            "closed": [p for p in proposals if p.status != "open"],
            "published": published,
            "log_size": size,
            "checkpoint": checkpoint,
            "names": await _names(request),
            "can_propose": account.has_role("author", "reviewer"),
            "can_review": account.has_role("reviewer"),
            "error": error,
        },
        status=status,
    )


async def _bundle_upload(form: Any) -> bytes:
    field = form.get("bundle")
    if field is None or not hasattr(field, "file"):
        raise BoardError(422, "bundle_required", "Choose the bundle file (.json) to propose.")
    data = field.file.read(MAX_BUNDLE_BYTES + 1)
    if len(data) > MAX_BUNDLE_BYTES:
        raise BoardError(413, "bundle_too_large", "The bundle file is larger than 16 MiB.")
    return bytes(data)


async def create_proposal(request: web.Request) -> web.Response:
    """``POST /board/proposals``: an author proposes a bundle file with a rationale."""
    _, actor = await _staff(request, "author", "reviewer")
    form = await _form(request)
    try:
        prop = await service.propose(
            _db(request),
            _settings(request),
            actor=actor,
            bundle_bytes=await _bundle_upload(form),
            message=str(form.get("message", "")),
            now=utcnow(),
        )
    except BoardError as exc:
        return await index(request, error=exc.message, status=exc.status)
    raise web.HTTPSeeOther(f"/board/proposals/{prop.id}?done=proposed")


async def unpublish(request: web.Request) -> web.Response:
    """``POST /board/unpublish``: emergency withdrawal by one board member."""
    _, actor = await _staff(request, "reviewer")
    form = await _form(request)
    try:
        await service.unpublish(
            _db(request),
            _settings(request),
            actor=actor,
            rationale=str(form.get("rationale", "")),
            now=utcnow(),
        )
    except BoardError as exc:
        return await index(request, error=exc.message, status=exc.status)
    _cosign_soon(request)
    raise web.HTTPSeeOther("/board?done=unpublished")


# --- one proposal ----------------------------------------------------------------------------


async def proposal(request: web.Request, *, error: str = "", status: int = 200) -> web.Response:
    """``GET /board/proposals/{id}``: diff, checks, reviews, decision form and history."""
    account, actor = await _staff(request, *VIEW_ROLES)
    pid = _int(request.match_info["id"], "proposal")
    try:
        view = await service.proposal_view(_db(request), _settings(request), pid)
    except BoardError as exc:
        raise web.HTTPNotFound(text=exc.message) from exc
    current = view.current
    conflicted = actor.id in view.excluded
    acked = {(a.revision, a.check_id, a.location): a for a in view.acknowledgements}
    checks = [c for c in view.checks if c.revision == current.number]
    diff = current.diff
    locale = request.query.get("locale", "")
    locales = list(diff.get("locales", {}))
    if locale not in locales:
        locale = locales[0] if locales else ""
    return await _render(
        request,
        "board/proposal.html",
        {
            "view": view,
            "p": view.proposal,
            "current": current,
            "checks": checks,
            "acked": acked,
            "diff": diff,
            "locale": locale,
            "locales": locales,
            "changes": diff.get("locales", {}).get(locale, []),
            "names": await _names(request),
            "conflicted": conflicted,
            "can_review": account.has_role("reviewer") and view.proposal.status == "open",
            "can_revise": account.has_role("author", "reviewer") and view.proposal.status == "open",
            "checklist": service.checklist_items(),
            "check_info": CHECKS,
            "rules": RULES,
            "error": error,
        },
        status=status,
    )


async def _proposal_action(request: web.Request, action: str) -> web.Response:
    roles = ("author", "reviewer") if action in ("revise", "rebase") else ("reviewer",)
    _, actor = await _staff(request, *roles)
    pid = _int(request.match_info["id"], "proposal")
    form = await _form(request)
    db, settings, now = _db(request), _settings(request), utcnow()
    try:
        if action == "review":
            checklist = {
                item: form.get(f"check_{item}") == "on" for item in service.checklist_items()
            }
            await service.review(
                db,
                settings,
                actor=actor,
                proposal_id=pid,
                bundle_hash=str(form.get("bundle_hash", "")),
                decision=str(form.get("decision", "")),
                rationale=str(form.get("rationale", "")),
                checklist=checklist,
                now=now,
            )
            done = "reviewed"
        elif action == "acknowledge":
            await service.acknowledge(
                db,
                settings,
                actor=actor,
                proposal_id=pid,
                bundle_hash=str(form.get("bundle_hash", "")),
                check_id=str(form.get("check_id", "")),
                location=str(form.get("location", "")),
                rationale=str(form.get("rationale", "")),
                now=now,
            )
            done = "acknowledged"
        elif action == "publish":
            await service.publish(
                db, settings, actor=actor, proposal_id=pid, now=now, note=str(form.get("note", ""))
            )
            done = "published"
        elif action == "rebase":
            upload = form.get("bundle")  # optional: an empty file field keeps the bundle
            merged = await _bundle_upload(form) if getattr(upload, "filename", "") else None
            await service.rebase(
                db,
                settings,
                actor=actor,
                proposal_id=pid,
                message=str(form.get("message", "")),
                now=now,
                bundle_bytes=merged,
            )
            done = "rebased"
        else:
            await service.propose(
                db,
                settings,
                actor=actor,
                bundle_bytes=await _bundle_upload(form),
                message=str(form.get("message", "")),
                now=now,
                proposal_id=pid,
            )
            done = "revised"
    except BoardError as exc:
        if exc.status == 404:
            raise web.HTTPNotFound(text=exc.message) from exc
        return await proposal(request, error=exc.message, status=exc.status)
    if done == "published":
        _cosign_soon(request)
    raise web.HTTPSeeOther(f"/board/proposals/{pid}?done={done}")


_BACKGROUND: web.AppKey[set[asyncio.Task[Any]]] = web.AppKey("crossroads_board_tasks", set)


def _cosign_soon(request: web.Request) -> None:
    """Ask the witnesses to cosign the new checkpoint, after the response, never blocking it."""
    from server.board.witnesses import collect

    tasks = request.app.get(_BACKGROUND)
    if tasks is None:
        return
    db, settings = _db(request), _settings(request)

    async def run() -> None:
        try:
            await collect(db, settings, utcnow())
        except BoardError as exc:  # a broken policy file: the board page shows it too
            log.error("witness cosignatures not collected: %s", exc.message)

    task = asyncio.create_task(run())
    tasks.add(task)
    task.add_done_callback(tasks.discard)


async def review(request: web.Request) -> web.Response:
    """``POST /board/proposals/{id}/review``: approve, reject or veto."""
    return await _proposal_action(request, "review")


async def acknowledge(request: web.Request) -> web.Response:
    """``POST /board/proposals/{id}/acknowledge``: acknowledge one flag."""
    return await _proposal_action(request, "acknowledge")


async def publish(request: web.Request) -> web.Response:
    """``POST /board/proposals/{id}/publish``: publish once quorum holds."""
    return await _proposal_action(request, "publish")


async def revise(request: web.Request) -> web.Response:
    """``POST /board/proposals/{id}/revise``: a new revision (dismisses approvals)."""
    return await _proposal_action(request, "revise")


async def rebase(request: web.Request) -> web.Response:
    """``POST /board/proposals/{id}/rebase``: move onto the published bundle (three-way view)."""
    return await _proposal_action(request, "rebase")


# --- the log ---------------------------------------------------------------------------------


async def log_browser(request: web.Request) -> web.Response:
    """``GET /board/log``: every entry, newest first, with links to its inclusion proof."""
    await _staff(request, *VIEW_ROLES)
    page = _int(request.query.get("page", "0") or "0", "page")
    rows, size = await service.log_page(_db(request), offset=page * PAGE_SIZE, limit=PAGE_SIZE)
    async with _db(request).session() as session:
        checkpoint = await service.latest_checkpoint(session)
    entries = [(r, json.loads(r.body)) for r in rows]
    return await _render(
        request,
        "board/log.html",
        {
            "entries": entries,
            "size": size,
            "page": page,
            "pages": max(1, -(-size // PAGE_SIZE)),
            "checkpoint": checkpoint,
            "names": await _names(request),
        },
    )


async def log_entry(request: web.Request) -> web.Response:
    """``GET /board/log/{index}``: one entry with its inclusion proof against the checkpoint."""
    await _staff(request, *VIEW_ROLES)
    index = _int(request.match_info["index"], "log entry")
    try:
        proof = await service.inclusion(_db(request), index)
    except BoardError as exc:
        raise web.HTTPNotFound(text=exc.message) from exc
    pretty = json.dumps(json.loads(proof.entry), indent=2, ensure_ascii=False)
    return await _render(
        request, "board/entry.html", {"proof": proof, "pretty": pretty, "index": index}
    )


async def log_entry_json(request: web.Request) -> web.Response:
    """``GET /board/log/{index}/proof.json``: the proof for scripts and outside verifiers."""
    await _staff(request, *VIEW_ROLES)
    try:
        index = service.parse_size(request.match_info["index"], "index")
        proof = await service.inclusion(_db(request), index)
    except BoardError as exc:
        return _error(exc)
    return web.json_response(proof.to_dict())


async def export_download(request: web.Request) -> web.StreamResponse:
    """``GET /board/export``: the whole log as a .tar.gz export to verify offline."""
    await _staff(request, *VIEW_ROLES)
    now = utcnow()
    with tempfile.TemporaryDirectory(prefix="ethics-export-") as tmp:
        out = Path(tmp) / "ethics-export"
        await service.export(_db(request), _settings(request), out, now)
        data = await asyncio.to_thread(_tar, out)
    name = f"crossroads-ethics-{now:%Y%m%dT%H%M%SZ}.tar.gz"
    return web.Response(
        body=data,
        content_type="application/gzip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _tar(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(folder, arcname=folder.name)
    return buffer.getvalue()


def _error(exc: BoardError) -> web.Response:
    return web.json_response(
        {"error": {"code": exc.code, "message": exc.message}}, status=exc.status
    )


async def public_checkpoint(request: web.Request) -> web.Response:
    """``GET /api/v1/ethics/checkpoint``: the newest checkpoint with every witness cosignature."""
    async with _db(request).session() as session:
        checkpoint = await service.latest_checkpoint(session)
    if checkpoint is None:
        return _error(BoardError(404, "no_checkpoint", "No checkpoint has been signed yet."))
    return web.Response(text=checkpoint.note, content_type="text/plain", charset="utf-8")


async def public_key(request: web.Request) -> web.Response:
    """``GET /api/v1/ethics/key``: the log origin and its verifier keys, unauthenticated.

    The first key line is the active key; later lines are keys it replaced. Compare the
    fingerprint with the one the programme publishes out of band before pinning it.
    """
    async with _db(request).session() as session:
        keys = await service.public_keys(session)
    if not keys:
        return _error(BoardError(404, "no_key", "No signing key has been created yet."))
    lines = [_settings(request).ethics_log_origin, *(k.vkey for k in keys)]
    fingerprint = service.verifier_of(keys[0]).fingerprint
    return web.Response(
        text="\n".join(lines) + "\n",
        content_type="text/plain",
        charset="utf-8",
        headers={"X-Key-Fingerprint": fingerprint, "Cache-Control": "no-cache"},
    )


async def public_consistency(request: web.Request) -> web.Response:
    """``GET /api/v1/ethics/consistency?from=N``: proof that the log only grew since size N."""
    try:
        old = service.parse_size(request.query.get("from"), "from")
        body = await service.consistency(_db(request), old)
    except BoardError as exc:
        return _error(exc)
    return web.json_response(body)


async def public_inclusion(request: web.Request) -> web.Response:
    """``GET /api/v1/ethics/inclusion?index=N``: entry N with its proof to the checkpoint."""
    try:
        index = service.parse_size(request.query.get("index"), "index")
        proof = await service.inclusion(_db(request), index)
    except BoardError as exc:
        return _error(exc)
    return web.json_response(proof.to_dict())


async def public_entries(request: web.Request) -> web.Response:
    """``GET /api/v1/ethics/entries?start=N&count=M``: entries as lines, for monitors."""
    try:
        start = service.parse_size(request.query.get("start"), "start")
        count = service.parse_size(request.query.get("count", "100"), "count")
        body = await service.entries(_db(request), start, count)
    except BoardError as exc:
        return _error(exc)
    return web.Response(body=body, content_type="application/jsonl")


def setup_routes(app: web.Application) -> None:
    """Register every board route."""
    app[_BACKGROUND] = set()
    app.router.add_get("/board", index, name="board")
    app.router.add_post("/board/proposals", create_proposal)
    app.router.add_post("/board/unpublish", unpublish)
    app.router.add_get("/board/proposals/{id}", proposal, name="board_proposal")
    app.router.add_post("/board/proposals/{id}/review", review)
    app.router.add_post("/board/proposals/{id}/acknowledge", acknowledge)
    app.router.add_post("/board/proposals/{id}/publish", publish)
    app.router.add_post("/board/proposals/{id}/revise", revise)
    app.router.add_post("/board/proposals/{id}/rebase", rebase)
    app.router.add_get("/board/log", log_browser, name="board_log")
    app.router.add_get("/board/log/{index}", log_entry)
    app.router.add_get("/board/log/{index}/proof.json", log_entry_json)
    app.router.add_get("/board/export", export_download)
    app.router.add_get("/api/v1/ethics/checkpoint", public_checkpoint)
    app.router.add_get("/api/v1/ethics/consistency", public_consistency)
    app.router.add_get("/api/v1/ethics/inclusion", public_inclusion)
    app.router.add_get("/api/v1/ethics/entries", public_entries)
    app.router.add_get("/api/v1/ethics/key", public_key)
