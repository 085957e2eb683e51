"""Reading and writing export directories: the one place in ``ethics`` that touches files.

Layout (all text is UTF-8)::

    DIR/manifest.json          format, origin, size, base64 root (unsigned; checked by verify)
    DIR/entries.jsonl          one canonical-JSON entry per line, in log order
    DIR/checkpoints/NNNNNNNNNN.txt   signed checkpoints (C2SP signed notes), by tree size;
                               a second note at the same size is NNNNNNNNNN-1.txt, ...
    DIR/keys/<key id>.vkey     every public key the log announced (name+id+base64)
    DIR/bundles/<sha256>.json  every bundle that was ever published
    DIR/README.txt             how to verify
"""

from __future__ import annotations

import base64
import json
import tarfile
import tempfile
from pathlib import Path

from ethics.exceptions import EthicsError
from ethics.verify import ENTRIES_FILE, EXPORT_FORMAT, Export

README = """Crossroads ethics log export

Verify it with:  crossroads ethics verify THIS_DIR --key PUBLISHED.vkey [--previous OLD.txt]
(PUBLISHED.vkey: the key your programme publishes out of band; the keys/ folder only says
which keys the log itself announces and proves nothing on its own.)
or with any RFC 6962 / C2SP tlog-checkpoint tool: entries.jsonl holds the leaves (one per
line, without the newline), checkpoints/ the signed tree heads, keys/ the Ed25519 public keys.
"""


def write_export(
    path: Path,
    *,
    entries: list[bytes],
    checkpoints: dict[int, str] | list[tuple[int, str]],
    keys: list[str],
    bundles: dict[str, bytes],
    origin: str,
    root: bytes,
) -> None:
    """Write an export directory (created if missing; existing files are overwritten)."""
    path.mkdir(parents=True, exist_ok=True)
    for sub in ("checkpoints", "keys", "bundles"):
        (path / sub).mkdir(exist_ok=True)
    for data in entries:
        if b"\n" in data:
            raise EthicsError("an entry contains a newline; canonical JSON never does")
    (path / ENTRIES_FILE).write_bytes(b"".join(data + b"\n" for data in entries))
    pairs = list(checkpoints.items()) if isinstance(checkpoints, dict) else list(checkpoints)
    count: dict[int, int] = {}
    for size, note in pairs:
        n = count[size] = count.get(size, -1) + 1
        name = f"{size:010d}.txt" if n == 0 else f"{size:010d}-{n}.txt"
        (path / "checkpoints" / name).write_text(note, encoding="utf-8")
    for vkey in keys:
        name = vkey.split("+")[1]
        (path / "keys" / f"{name}.vkey").write_text(vkey + "\n", encoding="utf-8")
    for digest, body in bundles.items():
        (path / "bundles" / f"{digest}.json").write_bytes(body)
    manifest = {
        "format": EXPORT_FORMAT,
        "origin": origin,
        "size": len(entries),
        "root": base64.b64encode(root).decode(),
    }
    (path / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    (path / "README.txt").write_text(README, encoding="utf-8")


def read_export(path: Path) -> Export:
    """Read an export directory; raise EthicsError with a clear message if it is not one."""
    if not path.is_dir():
        raise EthicsError(f"{path} is not a directory")
    entries_file = path / ENTRIES_FILE
    if not entries_file.is_file():
        raise EthicsError(f"{path} has no {ENTRIES_FILE}: not an ethics log export")
    manifest = path / "manifest.json"
    # The manifest is unsigned: it is read as bytes and checked by the verifier, never trusted.
    manifest_bytes = manifest.read_bytes() if manifest.is_file() else b""

    def texts(sub: str, suffix: str) -> dict[str, str]:
        out = {}
        folder = path / sub
        if folder.is_dir():
            for file in sorted(folder.glob(f"*{suffix}")):
                try:
                    out[file.name] = file.read_text(encoding="utf-8")
                except UnicodeDecodeError:
                    out[file.name] = "\x00"  # reported as malformed by the verifier
        return out

    bundles = {}
    if (path / "bundles").is_dir():
        bundles = {f.name: f.read_bytes() for f in sorted((path / "bundles").glob("*.json"))}
    return Export(
        entries=entries_file.read_bytes(),
        checkpoints=texts("checkpoints", ".txt"),
        keys={name: text.strip() for name, text in texts("keys", ".vkey").items()},
        bundles=bundles,
        manifest=manifest_bytes,
    )


def read_export_archive(path: Path) -> Export:
    """Read an export downloaded as ``.tar.gz`` from the board pages (unpacked safely)."""
    try:
        with tarfile.open(path, mode="r:*") as archive, tempfile.TemporaryDirectory() as tmp:
            archive.extractall(tmp, filter="data")  # refuses absolute paths, links out, devices
            folders = [p.parent for p in Path(tmp).rglob(ENTRIES_FILE)]
            if len(folders) != 1:
                raise EthicsError(f"{path} does not contain exactly one ethics log export")
            return read_export(folders[0])
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise EthicsError(f"{path} is not a readable .tar.gz export: {exc}") from exc


def read_any(path: Path) -> Export:
    """An export directory or a downloaded ``.tar.gz`` of one."""
    if path.is_file():
        return read_export_archive(path)
    return read_export(path)
