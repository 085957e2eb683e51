"""Witness policies (C2SP tlog-policy): which witnesses exist and how many must cosign.

A policy file, line by line::

    log <vkey> [<url>]
    witness <name> <vkey> [<url>]
    group <name> all|any|<k> <member>...
    quorum <name>|none

A checkpoint satisfies the policy when the quorum name "witnessed" it: a witness by a valid
cosignature, a group when at least k of its members did. ``WitnessPolicy.check`` answers a
plain sentence saying what is missing, or None.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ethics.checkpoint import Verifier
from ethics.cosign import WitnessKey
from ethics.exceptions import CheckpointError, EthicsError, SigningKeyError

MAX_ITEMS = 32


class PolicyError(EthicsError):
    """A policy file is malformed (whoever wrote it must fix it)."""


@dataclass(frozen=True)
class Witness:
    """One witness of the policy."""

    name: str
    key: WitnessKey
    url: str | None = None


@dataclass(frozen=True)
class Group:
    """k of these members must have witnessed."""

    name: str
    threshold: int
    members: tuple[str, ...]


@dataclass
class WitnessPolicy:
    """Logs, witnesses, groups and the quorum name (``"none"``: no cosignature needed)."""

    logs: list[tuple[Verifier, str | None]] = field(default_factory=list)
    witnesses: dict[str, Witness] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    quorum: str = "none"

    @classmethod
    def simple(cls, witnesses: list[Witness], threshold: int) -> WitnessPolicy:
        """``threshold`` of ``witnesses`` (0: no cosignature needed)."""
        policy = cls(witnesses={w.name: w for w in witnesses})
        if threshold > 0:
            if threshold > len(witnesses):
                raise PolicyError(
                    f"the policy needs {threshold} witnesses but only {len(witnesses)} are known"
                )
            policy.groups["quorum"] = Group("quorum", threshold, tuple(policy.witnesses))
            policy.quorum = "quorum"
        return policy

    @classmethod
    def parse(cls, text: str) -> WitnessPolicy:
        """Parse a tlog-policy file; raise PolicyError naming the line."""
        policy = cls()
        quorum: str | None = None
        for number, raw in enumerate(text.split("\n"), 1):
            line = raw.strip(" \t")
            if not line or line.startswith("#"):
                continue
            if any(ord(c) < 0x20 and c != "\t" for c in line):
                raise PolicyError(f"line {number}: control characters are not allowed")
            words = line.split()
            where = f"line {number}"
            try:
                if words[0] == "log" and len(words) in (2, 3):
                    policy.logs.append(
                        (Verifier.from_vkey(words[1]), words[2] if len(words) == 3 else None)
                    )
                elif words[0] == "witness" and len(words) in (3, 4):
                    policy._define(words[1], where)
                    key = WitnessKey.from_vkey(words[2])
                    if any(w.key.public_key == key.public_key for w in policy.witnesses.values()):
                        raise PolicyError(f"{where}: duplicate witness key")
                    policy.witnesses[words[1]] = Witness(
                        words[1], key, words[3] if len(words) == 4 else None
                    )
                elif words[0] == "group" and len(words) >= 4:
                    policy._define(words[1], where)
                    members = tuple(words[3:])
                    for m in members:
                        if m not in policy.witnesses and m not in policy.groups:
                            raise PolicyError(f"{where}: {m!r} is not defined on an earlier line")
                    if len(set(members)) != len(members):
                        raise PolicyError(f"{where}: a member is listed twice")
                    k = {"all": len(members), "any": 1}.get(words[2])
                    if k is None:
                        if not (words[2].isascii() and words[2].isdigit()):
                            raise PolicyError(f"{where}: threshold must be all, any or a number")
                        k = int(words[2])
                    if not 1 <= k <= len(members):
                        raise PolicyError(
                            f"{where}: threshold must be between 1 and {len(members)}"
                        )
                    policy.groups[words[1]] = Group(words[1], k, members)
                elif words[0] == "quorum" and len(words) == 2:
                    if quorum is not None:
                        raise PolicyError(f"{where}: a policy has exactly one quorum line")
                    name = words[1]
                    if (
                        name != "none"
                        and name not in policy.witnesses
                        and name not in policy.groups
                    ):
                        raise PolicyError(f"{where}: quorum {name!r} is not defined earlier")
                    quorum = name
                else:
                    raise PolicyError(f"{where}: cannot read {words[0]!r} with {len(words)} fields")
            except SigningKeyError as exc:
                raise PolicyError(f"{where}: {exc}") from exc
            if len(policy.witnesses) > MAX_ITEMS or len(policy.groups) > MAX_ITEMS:
                raise PolicyError(f"{where}: at most {MAX_ITEMS} witnesses and groups")
        if quorum is None:
            raise PolicyError("the policy has no quorum line")
        policy.quorum = quorum
        return policy

    def _define(self, name: str, where: str) -> None:
        if name == "none" or name in self.witnesses or name in self.groups:
            raise PolicyError(f"{where}: the name {name!r} is reserved or already defined")

    def cosigned_by(self, note: str) -> list[str]:
        """Names of the policy's witnesses with a valid cosignature on ``note``."""
        try:
            return [n for n, w in self.witnesses.items() if w.key.cosignatures(note)]
        except CheckpointError:
            return []

    def satisfied(self, names: list[str]) -> bool:
        """True when the witnesses ``names`` make up the quorum."""
        have = set(names)

        def witnessed(name: str) -> bool:
            if name in self.witnesses:
                return name in have
            group = self.groups[name]
            return sum(witnessed(m) for m in group.members) >= group.threshold

        return self.quorum == "none" or witnessed(self.quorum)

    def describe(self) -> str:
        """The quorum in words."""
        if self.quorum == "none":
            return "no witness cosignature"
        if self.quorum in self.witnesses:
            return f"a cosignature by {self.quorum}"
        g = self.groups[self.quorum]
        return f"cosignatures by {g.threshold} of {', '.join(g.members)}"

    def check(self, note: str) -> str | None:
        """None when ``note`` satisfies the policy, else what is missing."""
        names = self.cosigned_by(note)
        if self.satisfied(names):
            return None
        got = ", ".join(names) if names else "none"
        return f"not cosigned per the witness policy: needs {self.describe()}; cosigned by {got}"
