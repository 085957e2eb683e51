"""Where the story bundle and the organisation profile come from, offline first.

Order at start: the last good bundle cached on disk (verified by its SHA-256 and by the offline
proof kept with it), else the story shipped in assets/story compiled on the spot and labelled as
an offline copy. A bundle fetched from the server replaces the cache only if its body hashes to
the X-Content-Hash header *and* its X-Ethics-Proof proves, against the pinned ethics log key,
that the board published exactly that bundle (``ethics.proof``). The organisation profile (who
runs and funds the service) is cached the same way.

The pinned key (``KeyPin``) comes from the game's configuration (``CROSSROADS_ETHICS_KEY``), else
from a tlog-policy shipped as ``assets/ethics.policy`` (or ``CROSSROADS_ETHICS_POLICY``), else
from the installation (``assets/ethics.vkey``), else it is pinned at first contact with the
server and kept; a different key later is never adopted silently. The policy, when there is
one, also says which witnesses must have cosigned the proof's checkpoint.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from game.exceptions import ContentIntegrityError, ContentUnavailable
from game.paths import ASSETS, STORY, atomic_write

SHIPPED_KEY = ASSETS / "ethics.vkey"
SHIPPED_POLICY = ASSETS / "ethics.policy"

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def verify_bundle(body: bytes, header_hash: str | None) -> Any:
    """Parse a bundle and check that its SHA-256 equals the server's X-Content-Hash.

    Returns the Bundle. Raises ContentIntegrityError on a mismatch or a malformed body.
    """
    from game.narrative import Bundle
    from game.narrative.exceptions import ContentError

    if not header_hash:
        raise ContentIntegrityError("the server sent no X-Content-Hash")
    digest = hashlib.sha256(body).hexdigest()
    if digest != header_hash.strip().strip('"').lower():
        raise ContentIntegrityError("the bundle does not match its X-Content-Hash")
    try:
        bundle = Bundle.from_bytes(body)
    except (ContentError, ValueError) as exc:
        raise ContentIntegrityError(f"the bundle is not valid: {exc}") from exc
    if bundle.sha256 != digest:
        raise ContentIntegrityError("the bundle is not in canonical form")
    return bundle


class KeyPin:
    """The ethics log keys the game trusts, and where they came from."""

    def __init__(
        self,
        home: Path,
        configured: str | None = None,
        shipped: Path | None = None,
        policy: Path | None = None,
    ) -> None:
        from ethics.checkpoint import Verifier
        from ethics.exceptions import SigningKeyError

        self.path = home / "ethics-key.vkey"
        self.keys: list[Verifier] = []
        self.source: str | None = None
        # A C2SP tlog-policy (configured path, else shipped with the game) says which witnesses
        # must cosign the checkpoint in a proof; its "log" lines, if any, pin the log keys too.
        self.witnesses: Any = None
        policy_text = _read_text(policy or SHIPPED_POLICY)
        if policy_text:
            from ethics.policy import PolicyError, WitnessPolicy

            try:
                self.witnesses = WitnessPolicy.parse(policy_text)
            except PolicyError as exc:
                raise ContentUnavailable(f"the ethics policy file is broken: {exc}") from exc
        policy_keys = "\n".join(v.vkey for v, _ in self.witnesses.logs) if self.witnesses else None
        candidates = [
            ("configured", configured),
            ("policy", policy_keys),
            ("installation", _read_text(shipped or SHIPPED_KEY)),
            ("first contact", _read_text(self.path)),
        ]
        for source, text in candidates:
            if not text:
                continue
            try:
                self.keys = [Verifier.from_vkey(line) for line in text.split() if line.strip()]
            except SigningKeyError:
                continue  # a damaged pin file is ignored; the next source decides
            if self.keys:
                self.source = source
                return

    def offer(self, text: str) -> str | None:
        """The server's ``/api/v1/ethics/key`` answer: pin it if nothing is pinned yet.

        Returns None when the server's active key is a pinned one (or got pinned now), else a
        plain description of the change; the pinned key is kept either way.
        """
        from ethics.checkpoint import Verifier
        from ethics.exceptions import SigningKeyError

        lines = [line.strip() for line in text.splitlines() if line.strip()]
        try:
            active = Verifier.from_vkey(lines[1])
        except (IndexError, SigningKeyError):
            return "the server sent no readable ethics log key"
        if not self.keys:
            self.keys, self.source = [active], "first contact"
            try:
                atomic_write(self.path, (active.vkey + "\n").encode("ascii"))
            except OSError:
                pass  # pinned for this run only
            return None
        if active in self.keys:
            return None
        return f"the server now presents key {active.fingerprint} instead of the pinned one"


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def proof_problem(
    bundle_hash: str, proof: str | None, keys: list[Any], witnesses: Any = None
) -> str | None:
    """Why ``proof`` does not show that ``bundle_hash`` was approved, or None when it does.

    ``witnesses`` (a WitnessPolicy) additionally requires the cosignatures it names.
    """
    from ethics.proof import ProofError, verify_content_proof

    if not keys:
        return "no ethics log key is pinned, so nothing can be confirmed"
    if not proof:
        return "the server sent no proof that the board approved this story"
    try:
        verify_content_proof(proof, bundle_hash, keys, witnesses)
    except ProofError as exc:
        return str(exc)
    return None


@dataclass
class LoadedContent:
    bundle: Any
    source: str  # "server", "cache" or "shipped"

    @property
    def offline_copy(self) -> bool:
        return self.source != "server"


class ContentStore:
    """Loads, verifies and caches the story bundle in the user data directory."""

    def __init__(self, home: Path, story_path: Path | None = None) -> None:
        self.folder = home / "content"
        self.story_path = story_path or STORY
        self.bundle_file = self.folder / "bundle.json"
        self.hash_file = self.folder / "bundle.sha256"
        self.proof_file = self.folder / "bundle.tlog-proof"

    def load_cached(self) -> Any | None:
        from game.narrative import Bundle

        try:
            body = self.bundle_file.read_bytes()
            expected = self.hash_file.read_text(encoding="ascii").strip()
        except OSError:
            return None
        if hashlib.sha256(body).hexdigest() != expected:
            return None
        try:
            return Bundle.from_bytes(body)
        except Exception:  # noqa: BLE001 - a corrupt cache is ignored, never fatal
            return None

    def _fingerprint(self) -> str:
        """Changes whenever any file of the shipped story changes (path, size, mtime)."""
        digest = hashlib.sha256()
        root = self.story_path
        for path in sorted(root.rglob("*") if root.is_dir() else [root]):
            if path.is_file():
                st = path.stat()
                digest.update(
                    f"{path.relative_to(root.parent)}|{st.st_size}|{st.st_mtime_ns}\n".encode()
                )
        return digest.hexdigest()[:32]

    def load_shipped(self) -> Any:
        """Compile the story shipped in assets/story (cached on disk until a file changes)."""
        from game.narrative import Bundle, load_story
        from game.narrative.exceptions import ContentError

        try:
            compiled = self.folder / f"shipped-{self._fingerprint()}.json"
        except OSError as exc:
            raise ContentUnavailable(f"the shipped story could not be read: {exc}") from exc
        try:
            return Bundle.from_bytes(compiled.read_bytes())
        except (OSError, ContentError):
            pass
        try:
            bundle = Bundle.from_story(load_story(self.story_path))
        except (ContentError, OSError) as exc:
            raise ContentUnavailable(f"the shipped story could not be loaded: {exc}") from exc
        for old in self.folder.glob("shipped-*.json"):
            old.unlink(missing_ok=True)
        try:
            atomic_write(compiled, bundle.to_bytes())
        except OSError:
            pass  # a read-only home only costs compile time
        return bundle

    def load_offline(self, prefer_shipped: bool = False) -> LoadedContent:
        """The best bundle available without the network."""
        if not prefer_shipped:
            cached = self.load_cached()
            if cached is not None:
                return LoadedContent(cached, "cache")
        return LoadedContent(self.load_shipped(), "shipped")

    def store(self, body: bytes, bundle_hash: str, proof: str | None = None) -> None:
        """Cache a verified bundle with the proof it came with (checked again offline)."""
        if proof is not None:
            atomic_write(self.proof_file, proof.encode("utf-8"))
        else:
            self.proof_file.unlink(missing_ok=True)
        atomic_write(self.bundle_file, body)
        atomic_write(self.hash_file, bundle_hash.encode("ascii"))

    @property
    def cached_proof(self) -> str | None:
        """The proof stored with the cached bundle."""
        return _read_text(self.proof_file)

    def forget(self) -> None:
        """Drop the cached bundle and its proof (withdrawn, or no longer provable)."""
        for path in (self.hash_file, self.bundle_file, self.proof_file):
            path.unlink(missing_ok=True)

    @property
    def cached_hash(self) -> str | None:
        try:
            return self.hash_file.read_text(encoding="ascii").strip() or None
        except OSError:
            return None


@dataclass
class Organisation:
    """Who runs and funds the service, when it is open, and which counsellor kinds are on."""

    name: str
    funder: str
    contact_url: str = ""
    timezone: str = "UTC"
    service_hours: dict[str, list[list[str]]] = field(default_factory=dict)
    description: str = ""
    open_now: bool | None = None
    kinds_available_now: list[str] = field(default_factory=list)
    #: where confidentiality ends (the operator's profile) and how long chats are kept
    emergency_contact: str = ""
    shares_identifying_details: bool | None = None
    tells_player_first: bool | None = None
    retention_days: int | None = None
    fetched_at: str = ""
    from_cache: bool = False

    @classmethod
    def from_json(cls, data: dict[str, Any], fetched_at: str = "") -> Organisation:
        hours = data.get("service_hours") or {}
        return cls(
            name=str(data.get("name") or ""),
            funder=str(data.get("funder") or ""),
            contact_url=str(data.get("contact_url") or ""),
            timezone=str(data.get("timezone") or "UTC"),
            service_hours=hours if isinstance(hours, dict) else {},
            description=str(data.get("description") or ""),
            open_now=data.get("open_now") if isinstance(data.get("open_now"), bool) else None,
            kinds_available_now=[str(k) for k in data.get("kinds_available_now") or []],
            emergency_contact=str(data.get("emergency_contact") or ""),
            shares_identifying_details=_bool_or_none(data.get("shares_identifying_details")),
            tells_player_first=_bool_or_none(data.get("tells_player_first")),
            retention_days=_days_or_none(data.get("retention_days")),
            fetched_at=str(data.get("fetched_at") or fetched_at),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "funder": self.funder,
            "contact_url": self.contact_url,
            "timezone": self.timezone,
            "service_hours": self.service_hours,
            "description": self.description,
            "open_now": self.open_now,
            "kinds_available_now": self.kinds_available_now,
            "emergency_contact": self.emergency_contact,
            "shares_identifying_details": self.shares_identifying_details,
            "tells_player_first": self.tells_player_first,
            "retention_days": self.retention_days,
            "fetched_at": self.fetched_at,
        }


def _bool_or_none(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _days_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


class OrganisationCache:
    """The last organisation profile the server sent, kept for offline starts."""

    def __init__(self, home: Path) -> None:
        self.path = home / "organisation.json"

    def load(self) -> Organisation | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or not data.get("name"):
            return None
        org = Organisation.from_json(data)
        org.from_cache = True
        # availability from an old copy is not true now
        org.open_now = None
        org.kinds_available_now = []
        return org

    def store(self, org: Organisation) -> None:
        atomic_write(self.path, json.dumps(org.to_json(), indent=2).encode("utf-8"))


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


@dataclass(frozen=True)
class Span:
    """One opening in the player's local time; ``end_day`` differs from ``day`` overnight."""

    day: str
    start: str
    end_day: str
    end: str


@dataclass(frozen=True)
class LocalHours:
    """The week's opening hours in the player's time: round the clock, or a list of spans."""

    always: bool
    spans: tuple[Span, ...] = ()
    #: the joined openings (aware UTC) that overlap the seven days, for checking the spans
    intervals: tuple[tuple[datetime, datetime], ...] = field(default=(), compare=False)


#: Ranges that touch are one opening ("18:00-24:00" then "00:00-06:00" is one night shift).
_JOIN = timedelta(0)


def _parse_hm(value: Any) -> tuple[int, int] | None:
    try:
        hour, minute = (int(x) for x in str(value).split(":"))
    except ValueError:
        return None
    if not (0 <= hour <= 24 and 0 <= minute < 60) or (hour == 24 and minute):
        return None
    return hour, minute


def player_zone() -> tzinfo:
    """The player's own time zone with its daylight-saving rules (not today's fixed offset).

    ``datetime.now().astimezone()`` gives only the current offset, which is wrong for days on
    the other side of a DST change; tzlocal reads the system's IANA zone on every platform.
    """
    try:
        from tzlocal import get_localzone

        return get_localzone()
    except Exception:  # noqa: BLE001 - an unreadable system zone falls back to today's offset
        return datetime.now().astimezone().tzinfo or UTC


def opening_hours(
    service_hours: dict[str, list[list[str]]],
    org_timezone: str,
    local_tz: tzinfo,
    today: date,
) -> LocalHours:
    """The next seven days' opening hours, converted from the organisation's zone to the player's.

    Ranges are placed on their real dates, so daylight saving in either zone is applied for
    the day it happens. A range whose end is not after its start runs past midnight, and
    ranges that touch ("18:00-24:00" then "00:00-06:00") are joined, so a service open
    around the clock is said to be, and an overnight shift is one span ("Fri 22:00-Sat 06:00"),
    not two halves shifted by the time difference.
    """
    org_tz = _zone(org_timezone)
    intervals: list[tuple[datetime, datetime]] = []
    for offset in range(-1, 9):
        day = today + timedelta(days=offset)
        for interval in service_hours.get(DAYS[day.weekday()], []):
            if not isinstance(interval, list | tuple) or len(interval) != 2:
                continue
            a, b = _parse_hm(interval[0]), _parse_hm(interval[1])
            if a is None or b is None:
                continue
            start = datetime.combine(day, time(a[0] % 24, a[1]), org_tz) + timedelta(
                days=a[0] // 24
            )
            end_day = day if b > a else day + timedelta(days=1)
            end = datetime.combine(end_day, time(b[0] % 24, b[1]), org_tz) + timedelta(
                days=b[0] // 24
            )
            if end == start:
                continue
            intervals.append((start.astimezone(UTC), end.astimezone(UTC)))
    intervals.sort()
    merged: list[tuple[datetime, datetime]] = []
    for start, end in intervals:
        if merged and start <= merged[-1][1] + _JOIN:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    window_start = datetime.combine(today, time(0), local_tz)
    window_end = window_start + timedelta(days=7)
    overlapping = tuple((s, e) for s, e in merged if s < window_end and e > window_start)
    if any(s <= window_start and e + _JOIN >= window_end for s, e in merged):
        return LocalHours(always=True, intervals=overlapping)
    spans = []
    for start, end in merged:
        local_start = start.astimezone(local_tz)
        if not window_start <= local_start < window_end:
            continue
        local_end = end.astimezone(local_tz)
        end_text = local_end.strftime("%H:%M")
        end_weekday = DAYS[local_end.weekday()]
        if end_text == "00:00" and local_end.date() == local_start.date() + timedelta(days=1):
            end_text, end_weekday = "24:00", DAYS[local_start.weekday()]
        start_text = local_start.strftime("%H:%M")
        spans.append(Span(DAYS[local_start.weekday()], start_text, end_weekday, end_text))
    return LocalHours(always=False, spans=tuple(spans), intervals=overlapping)


def confidentiality_text(org: Organisation | None, tr: Callable[..., str]) -> str:
    """Where confidentiality ends, in the player's language, from the organisation's profile.

    Only what the profile states is said: who may be contacted, whether identifying details
    are passed on, whether the player is told first; an unknown part is said to be unknown.
    """
    if org is None or org.shares_identifying_details is None or org.tells_player_first is None:
        return tr("conf.unknown")
    if not org.emergency_contact:
        return tr("conf.nobody")
    parts = [tr("conf.contact", who=org.emergency_contact)]
    parts.append(tr("conf.shares" if org.shares_identifying_details else "conf.no_shares"))
    parts.append(tr("conf.told_first" if org.tells_player_first else "conf.not_told_first"))
    return " ".join(parts)


def format_hours(hours: LocalHours, tr: Callable[..., str]) -> str:
    """``Mon 09:00-17:00; Fri 22:00-Sat 06:00`` (Monday first), or the round-the-clock line."""
    if hours.always:
        return tr("offer.hours_always")
    if not hours.spans:
        return ""
    by_day: dict[str, list[str]] = {}
    for span in hours.spans:
        end = span.end if span.end_day == span.day else f"{tr('day.' + span.end_day)} {span.end}"
        by_day.setdefault(span.day, []).append(f"{span.start}-{end}")
    ordered = sorted(by_day.items(), key=lambda kv: DAYS.index(kv[0]))
    days = "; ".join(f"{tr('day.' + d)} {', '.join(v)}" for d, v in ordered)
    return tr("offer.hours_local", hours=days)


def availability_line(org: Organisation, tr: Callable[..., str]) -> str:
    """Who is on duty, from a profile the server has just sent (the caller checks it is live)."""
    if org.open_now is None:
        return tr("offer.kinds_unknown")
    if not org.open_now:
        return tr("offer.closed_now")
    if not org.kinds_available_now:
        return tr("offer.kinds_none")
    names = ", ".join(tr(f"kind.{k}") for k in org.kinds_available_now)
    return tr("offer.kinds_now", kinds=names)


def fill_slots(raw: str, org: Organisation | None, tr: Callable[..., str]) -> str:
    """Fill a content line's live-fact slots from the profile, saying so when one is unknown."""
    name = org.name if org and org.name else tr("org.unknown_name")
    funder = org.funder if org and org.funder else tr("org.unknown_funder")
    days = org.retention_days if org else None
    slots = {
        "{organisation}": name,
        "{funder}": funder,
        "{retention_days}": str(days) if days else tr("org.unknown_retention"),
        "{confidentiality}": confidentiality_text(org, tr),
    }
    for slot, value in slots.items():
        if slot in raw:
            raw = raw.replace(slot, value)
    return raw
