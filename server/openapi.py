"""The HTTP API described as OpenAPI 3.1, generated from pydantic models, at
``GET /api/v1/openapi.json``.

Each operation below names the pydantic models of its request and responses; the document's
``components.schemas`` are those models' JSON Schemas (OpenAPI 3.1 uses JSON Schema 2020-12,
which is what pydantic writes), so the description cannot drift from the models. Where a
handler builds its answer from an existing model (``OrganisationPublic``,
``StaffAccountPublic``) that model is used; the rest are declared here. A schemathesis run
in the test suite checks real answers against this document (and that none is a 5xx).

The WebSocket protocols (``/ws/player``, ``/ws/staff``) are not HTTP operations; they are
described in docs/PROTOCOL.md. HTML pages of the staff area are not part of the API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

from server.storage.models import OrganisationPublic, StaffAccountPublic

API_VERSION = "1.0.0"
REF = "#/components/schemas/{model}"


class ErrorDetail(BaseModel):
    """What went wrong: a stable code for programs and a sentence for people."""

    model_config = ConfigDict(extra="allow")

    code: str = Field(description="Stable snake_case code (docs/PROTOCOL.md).")
    message: str


class ErrorBody(BaseModel):
    """Every JSON error of the API."""

    error: ErrorDetail


class PlayerSessionCreated(BaseModel):
    """A new anonymous player session; the token is shown once and stored only hashed."""

    session_id: str
    token: str = Field(description="Bearer token for /ws/player and the erasure endpoint.")


class ErasureReport(BaseModel):
    """How many rows of each kind were erased with the player's session."""

    erased: dict[str, int]


class Health(BaseModel):
    """``ok`` or ``degraded``, and the state of each part that can report trouble."""

    model_config = ConfigDict(extra="allow")

    status: str = Field(pattern="^(ok|degraded)$")
    database: str


class Credentials(BaseModel):
    """A staff member's sign-in (JSON or form fields)."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(max_length=1024)


class SignedIn(BaseModel):
    """The signed-in account and the CSRF token its state-changing requests must send."""

    staff: StaffAccountPublic
    csrf_token: str


class SignedOut(BaseModel):
    """How many sessions ended."""

    ended_sessions: int


class ConsistencyProof(BaseModel):
    """RFC 6962 consistency proof from ``old_size`` to the newest signed checkpoint."""

    old_size: int = Field(ge=0)
    old_root: str
    new_size: int = Field(ge=0)
    new_root: str
    checkpoint: str = Field(description="The C2SP signed note of the newest checkpoint.")
    proof: list[str]


class InclusionProof(BaseModel):
    """An ethics log entry with its RFC 6962 inclusion proof to the newest signed checkpoint."""

    index: int = Field(ge=0)
    entry: str = Field(description="The entry's canonical JSON, the leaf's bytes.")
    leaf_hash: str
    tree_size: int | None = Field(ge=0)
    root: str | None
    checkpoint: str | None = Field(description="The C2SP signed note the proof leads to.")
    proof: list[str]
    verified: bool


class StaffData(BaseModel):
    """A JSON object not yet modelled field by field: the shift advice, the supervisor
    board's state and a transcript page (their pages read them; see docs/STAFF.md)."""

    model_config = ConfigDict(extra="allow")


class CannedResponseOut(BaseModel):
    """A canned response as the console shows it."""

    id: int
    shortcut: str
    title: str
    body: str
    language: str
    personal: bool = Field(description="Belongs to one counsellor, not the organisation.")
    mine: bool


class CannedResponseNew(BaseModel):
    """A personal canned response to add."""

    shortcut: str = Field(pattern="^[a-z0-9_-]{1,40}$")
    title: str = Field(min_length=1, max_length=120)
    body: str = Field(min_length=1, max_length=4000)
    language: str = Field(default="en", max_length=8)


class CannedResponses(BaseModel):
    """Organisation-wide canned responses, then the counsellor's own."""

    responses: list[CannedResponseOut]


class CannedResponseCreated(BaseModel):
    """The canned response just added."""

    response: CannedResponseOut


class Deleted(BaseModel):
    """The id of what was deleted."""

    deleted: int


class NoteOut(BaseModel):
    """A private note on a conversation, decrypted for display."""

    id: int
    author: str
    mine: bool
    created_at: str | None
    body: str


class NoteNew(BaseModel):
    """A private note to add."""

    body: str = Field(min_length=1)


class Notes(BaseModel):
    """A conversation's private notes, oldest first (reading a colleague's is audited)."""

    notes: list[NoteOut]


class NoteCreated(BaseModel):
    """The note just added."""

    note: NoteOut


class Colleague(BaseModel):
    """A counsellor a conversation could be transferred to."""

    id: int
    display_name: str
    kind: str | None
    languages: list[str]
    status: str
    load: int
    capacity: int


class Colleagues(BaseModel):
    """Colleagues, those available now first."""

    colleagues: list[Colleague]


class PartnerOut(BaseModel):
    """A partner organisation counsellors may refer a young person to."""

    id: int
    key: str
    name: str
    description: str
    contact: str
    url: str
    languages: list[str]
    active: bool


class Partners(BaseModel):
    """Active partner organisations."""

    partners: list[PartnerOut]


class ReferralNew(BaseModel):
    """Which partner to refer the player to."""

    partner_id: int


class Referral(BaseModel):
    """The message the player will receive, and the partner (the referral is audited)."""

    message: str
    partner: PartnerOut


class SupervisorRequested(BaseModel):
    """A supervisor request recorded; the player is told in the conversation."""

    conversation_id: str
    requested: bool
    player_told: bool


class PastConversation(BaseModel):
    """One of the counsellor's own ended conversations (no text unless it matched a search)."""

    conversation_id: str
    started_at: str
    ended_at: str | None
    outcome: str | None
    messages: int = Field(ge=0)
    snippet: str | None = Field(
        default=None, description="With ``q``: the matching text around the first hit."
    )


class PastConversations(BaseModel):
    """A page of my ended conversations, newest first, and where the next page begins."""

    conversations: list[PastConversation]
    next_before: str | None = Field(description="``before`` for the next page, or null.")


class ReportMeasure(BaseModel):
    """One measure: a row per counsellor kind, then all rows; a column per week, then the
    whole period. ``null`` is a withheld figure (docs/REPORTS.md)."""

    unit: str = Field(description="count, share, messages, minutes or seconds.")
    population: str
    rows: list[str]
    values: list[list[float | None]]


class ReportSuppression(BaseModel):
    """How small counts were withheld and the rest rounded."""

    hidden: list[int] = Field(description="The withheld range of counts: [smallest, largest].")
    round_to: int


class ReportDocument(BaseModel):
    """The reader's figures as the versioned exchange document (``crossroads-report``,
    version 1): suppressed aggregates per kind and ISO week, no ids or free text."""

    model_config = ConfigDict(populate_by_name=True)

    format: str = Field(pattern="^crossroads-report$")
    version: int
    programme: str = Field(description="``all figures``, or ``own figures`` for a counsellor.")
    from_: str = Field(alias="from", description="First day (YYYY-MM-DD).")
    to: str = Field(description="Last day (YYYY-MM-DD).")
    weeks: list[str] = Field(description="ISO week labels, e.g. 2026-W49.")
    suppression: ReportSuppression
    measures: dict[str, ReportMeasure]


@dataclass(frozen=True)
class Answer:
    """One documented response of an operation."""

    description: str
    model: type[BaseModel] | None = None
    media_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    """One HTTP operation: where, what it takes, what it answers."""

    method: str
    path: str
    summary: str
    tag: str
    answers: dict[int, Answer]
    body: type[BaseModel] | None = None
    security: tuple[str, ...] = ()
    parameters: tuple[dict[str, Any], ...] = ()


ERR = "An error with a stable code."
STAFF = ("staffSession",)
STAFF_WRITE = ("staffSession", "csrf")


def _id(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string"},
    }


def _staff(
    method: str,
    path: str,
    summary: str,
    *params: dict[str, Any],
    answer: type[BaseModel] = StaffData,
    body: type[BaseModel] | None = None,
    created: bool = False,
) -> Operation:
    """A staff console or supervisor operation: cookie session, CSRF token on writes."""
    write = method != "get"
    return Operation(
        method,
        path,
        summary,
        "staff",
        {
            201 if created else 200: Answer("The answer.", answer),
            400: Answer(ERR, ErrorBody),
            401: Answer("Not signed in.", ErrorBody),
            403: Answer("Not allowed (role, CSRF token or origin).", ErrorBody),
            404: Answer(ERR, ErrorBody),
        },
        body=body,
        security=STAFF_WRITE if write else STAFF,
        parameters=params,
    )


CONVERSATION = _id("conversation_id", "A conversation the counsellor holds.")

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "post",
        "/api/v1/sessions",
        "Start an anonymous player session (no body, no personal data).",
        "player",
        {
            201: Answer("The session and its bearer token.", PlayerSessionCreated),
            429: Answer(
                "Too many new sessions from this address.", ErrorBody, headers={"Retry-After": ""}
            ),
        },
    ),
    Operation(
        "delete",
        "/api/v1/sessions/me",
        "Erase everything tied to the bearer token, and end its conversation.",
        "player",
        {200: Answer("What was erased.", ErasureReport), 401: Answer(ERR, ErrorBody)},
        security=("playerToken",),
    ),
    Operation(
        "get",
        "/api/v1/content",
        "The published, ethics-board-approved story bundle (addressed by its SHA-256).",
        "player",
        {
            200: Answer(
                "The bundle (narrative bundle format, docs/CONTENT.md).",
                headers={"ETag": "", "X-Content-Hash": "SHA-256 of the body, hex."},
            ),
            304: Answer("Unchanged since the ETag sent in If-None-Match.", media_type=""),
            503: Answer("Nothing is published yet.", ErrorBody),
        },
        parameters=(
            {
                "name": "If-None-Match",
                "in": "header",
                "required": False,
                "schema": {"type": "string"},
            },
        ),
    ),
    Operation(
        "get",
        "/api/v1/organisation",
        "Who runs the service, who funds it, and whether someone is there now.",
        "player",
        {
            200: Answer("The public profile.", OrganisationPublic),
            503: Answer("The operator has not set up the organisation.", ErrorBody),
        },
    ),
    Operation(
        "get",
        "/api/v1/ethics/checkpoint",
        "The newest signed checkpoint of the ethics log (a C2SP signed note), for witnesses.",
        "ethics",
        {
            200: Answer("The signed note.", media_type="text/plain"),
            404: Answer("No checkpoint has been signed yet.", ErrorBody),
        },
    ),
    Operation(
        "get",
        "/api/v1/ethics/consistency",
        "Proof that the ethics log only grew since size ``from``.",
        "ethics",
        {
            200: Answer("The proof.", ConsistencyProof),
            400: Answer(
                "``from`` is not plain ASCII digits, or beyond the log (``bad_size``).", ErrorBody
            ),
            404: Answer("No checkpoint has been signed yet.", ErrorBody),
        },
        parameters=(
            {
                "name": "from",
                "in": "query",
                "required": True,
                "schema": {"type": "string"},
                "description": "An earlier log size.",
            },
        ),
    ),
    Operation(
        "get",
        "/api/v1/ethics/key",
        "The log's origin line, then its verifier keys (C2SP note format), newest first.",
        "ethics",
        {
            200: Answer(
                "The origin and keys, one per line.",
                media_type="text/plain",
                headers={"X-Key-Fingerprint": "The active key's fingerprint, to compare."},
            ),
            404: Answer("No signing key has been created yet.", ErrorBody),
        },
    ),
    Operation(
        "get",
        "/api/v1/ethics/inclusion",
        "Entry ``index`` with its inclusion proof to the newest signed checkpoint.",
        "ethics",
        {
            200: Answer("The entry and its proof.", InclusionProof),
            400: Answer("``index`` is not plain ASCII digits of a sane size.", ErrorBody),
            404: Answer("There is no such entry, or no checkpoint yet.", ErrorBody),
        },
        parameters=(
            {
                "name": "index",
                "in": "query",
                "required": True,
                "schema": {"type": "string"},
                "description": "An entry's index.",
            },
        ),
    ),
    Operation(
        "get",
        "/api/v1/ethics/entries",
        "Log entries from ``start``, one canonical JSON entry per line, for monitors.",
        "ethics",
        {
            200: Answer("JSON lines.", media_type="application/jsonl"),
            400: Answer(
                "``start`` or ``count`` is not plain ASCII digits of a sane size.", ErrorBody
            ),
        },
        parameters=(
            {
                "name": "start",
                "in": "query",
                "required": True,
                "schema": {"type": "string"},
                "description": "The first entry's index.",
            },
            {
                "name": "count",
                "in": "query",
                "required": False,
                "schema": {"type": "string"},
                "description": "How many entries at most (default 100).",
            },
        ),
    ),
    Operation(
        "get",
        "/healthz",
        "Whether the database answers and no part reports a problem.",
        "operations",
        {200: Answer("Healthy.", Health), 503: Answer("Degraded, with the reason.", Health)},
    ),
    Operation(
        "get",
        "/metrics",
        "Prometheus metrics (docs/OPERATIONS.md lists them); no player data in any label.",
        "operations",
        {
            200: Answer("The Prometheus text format.", media_type="text/plain"),
            401: Answer("Missing or wrong metrics token.", ErrorBody),
            404: Answer("No metrics token is configured, so metrics are off.", ErrorBody),
        },
        security=("metricsToken",),
    ),
    Operation(
        "get",
        "/api/v1/openapi.json",
        "This description.",
        "operations",
        {200: Answer("OpenAPI 3.1 document.")},
    ),
    Operation(
        "post",
        "/auth/login",
        "Sign a staff member in: a session cookie and a CSRF token.",
        "staff",
        {
            200: Answer("Signed in.", SignedIn),
            400: Answer("Missing or malformed credentials.", ErrorBody),
            401: Answer("Unknown username or wrong password.", ErrorBody),
            403: Answer("Request from a foreign origin.", ErrorBody),
        },
        body=Credentials,
    ),
    Operation(
        "post",
        "/auth/logout",
        "End this staff session (``?everywhere=1``: every one).",
        "staff",
        {
            200: Answer("Signed out.", SignedOut),
            401: Answer("Not signed in.", ErrorBody),
            403: Answer("Missing CSRF token or foreign origin.", ErrorBody),
        },
        security=STAFF_WRITE,
    ),
    _staff("get", "/console/api/canned", "Canned responses.", answer=CannedResponses),
    _staff(
        "post",
        "/console/api/canned",
        "Add a personal canned response.",
        answer=CannedResponseCreated,
        body=CannedResponseNew,
        created=True,
    ),
    _staff(
        "delete",
        "/console/api/canned/{id}",
        "Delete one of my canned responses.",
        _id("id", "The canned response's id."),
        answer=Deleted,
    ),
    _staff(
        "get",
        "/console/api/conversations/{conversation_id}/notes",
        "A conversation's private notes.",
        CONVERSATION,
        answer=Notes,
    ),
    _staff(
        "post",
        "/console/api/conversations/{conversation_id}/notes",
        "Add a private note.",
        CONVERSATION,
        answer=NoteCreated,
        body=NoteNew,
        created=True,
    ),
    _staff(
        "post",
        "/console/api/conversations/{conversation_id}/referral",
        "Refer the player to a partner organisation.",
        CONVERSATION,
        answer=Referral,
        body=ReferralNew,
    ),
    _staff(
        "post",
        "/console/api/conversations/{conversation_id}/supervisor",
        "Ask for a supervisor in this conversation.",
        CONVERSATION,
        answer=SupervisorRequested,
        created=True,
    ),
    _staff("get", "/console/api/colleagues", "Colleagues to transfer to.", answer=Colleagues),
    _staff("get", "/console/api/partners", "Partner organisations.", answer=Partners),
    _staff("get", "/console/api/shift", "Shift and break advice for the counsellor."),
    _staff(
        "get",
        "/console/api/history",
        "My past conversations; with ``q``, a search over their text (each hit audited).",
        {
            "name": "q",
            "in": "query",
            "required": False,
            "schema": {"type": "string"},
            "description": "Text to search for (at most 100 characters).",
        },
        {
            "name": "before",
            "in": "query",
            "required": False,
            "schema": {"type": "string"},
            "description": "An ISO time: only conversations ended before it (paging).",
        },
        answer=PastConversations,
    ),
    _staff("get", "/supervisor/api/state", "The supervisor board's live state."),
    Operation(
        "get",
        "/reports/api",
        "The evaluation figures as the export document: everyone's for supervisors, board "
        "members and administrators, a counsellor's own for a counsellor.",
        "staff",
        {
            200: Answer("The report document.", ReportDocument),
            400: Answer(
                "``from`` or ``to`` is not a date (``invalid_date``), the range ends before it "
                "starts (``invalid_range``) or is over two years (``range_too_long``).",
                ErrorBody,
            ),
            401: Answer("Not signed in.", ErrorBody),
            403: Answer("Not allowed (a role that reads no reports, or origin).", ErrorBody),
        },
        security=STAFF,
        parameters=(
            {
                "name": "from",
                "in": "query",
                "required": False,
                "schema": {"type": "string"},
                "description": "First day, YYYY-MM-DD (default: four weeks before ``to``).",
            },
            {
                "name": "to",
                "in": "query",
                "required": False,
                "schema": {"type": "string"},
                "description": "Last day, YYYY-MM-DD (default: today, UTC).",
            },
        ),
    ),
    _staff(
        "get",
        "/supervisor/api/conversations/{conversation_id}/messages",
        "A conversation's transcript (audited).",
        CONVERSATION,
    ),
)

SECURITY_SCHEMES = {
    "playerToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "From POST /api/v1/sessions.",
    },
    "metricsToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "CROSSROADS_METRICS_TOKEN.",
    },
    "staffSession": {"type": "apiKey", "in": "cookie", "name": "crossroads_session"},
    "csrf": {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRF-Token",
        "description": "The csrf_token from sign-in; state-changing staff requests.",
    },
}


def _models() -> list[type[BaseModel]]:
    seen: dict[str, type[BaseModel]] = {}
    for op in OPERATIONS:
        for model in [op.body, *(a.model for a in op.answers.values())]:
            if model is not None:
                seen[model.__name__] = model
    return list(seen.values())


def _answer(answer: Answer) -> dict[str, Any]:
    out: dict[str, Any] = {"description": answer.description}
    if answer.media_type:
        schema = {"$ref": REF.format(model=answer.model.__name__)} if answer.model else {}
        out["content"] = {answer.media_type: {"schema": schema}}
    if answer.headers:
        out["headers"] = {
            name: {"schema": {"type": "string"}, **({"description": d} if d else {})}
            for name, d in answer.headers.items()
        }
    return out


def build_document(server_url: str = "") -> dict[str, Any]:
    """The whole OpenAPI 3.1 document."""
    models = _models()
    _, schemas = models_json_schema([(m, "serialization") for m in models], ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        entry: dict[str, Any] = {
            "summary": op.summary,
            "tags": [op.tag],
            "operationId": f"{op.method}_{op.path.strip('/').replace('/', '_')}",
            "responses": {str(s): _answer(a) for s, a in sorted(op.answers.items())},
        }
        if op.parameters:
            entry["parameters"] = list(op.parameters)
        if op.body is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": REF.format(model=op.body.__name__)}}
                },
            }
        if op.security:
            entry["security"] = [{name: [] for name in op.security}]
        paths.setdefault(op.path, {})[op.method] = entry
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "Crossroads API",
            "version": API_VERSION,
            "description": "The player and staff HTTP API of a Crossroads server. The "
            "WebSocket protocols are described in docs/PROTOCOL.md.",
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "paths": paths,
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": SECURITY_SCHEMES,
        },
    }
    if server_url:
        document["servers"] = [{"url": server_url}]
    return document


OPENAPI: web.AppKey[dict[str, Any]] = web.AppKey("crossroads_openapi", dict)


async def openapi_handler(request: web.Request) -> web.Response:
    """``GET /api/v1/openapi.json``: the description, built once per app."""
    return web.json_response(request.app[OPENAPI], headers={"Cache-Control": "no-cache"})


def setup(app: web.Application) -> None:
    """Serve the API description."""
    from server.app import SETTINGS

    app[OPENAPI] = build_document(app[SETTINGS].public_url)
    app.router.add_get("/api/v1/openapi.json", openapi_handler, name="openapi")
