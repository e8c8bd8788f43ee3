"""`--speaker-map`: which ASR channel or speaker id is the agent and which the customer.

Inline: `0=agent,1=customer` (role synonyms such as 坐席/客户 work). Or a small YAML file, one map
for every source or one per vendor (channels are numbered differently by each):

    default: {0: agent, 1: customer}
    iflytek: {1: agent, 2: customer}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..paths import ReadError
from ..roles import canonical_role

VENDORS = ("alibaba", "tencent", "huawei", "iflytek")


@dataclass(frozen=True)
class SpeakerMap:
    """Speaker id -> role, for all sources (`default`) and per vendor."""

    default: Mapping[str, str] = field(default_factory=dict)
    by_vendor: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def for_vendor(self, vendor: str) -> Mapping[str, str]:
        """The map that applies to files of `vendor` (empty when none was given)."""
        return self.by_vendor.get(vendor) or self.default


def _pairs(mapping: Mapping[object, object], where: str) -> dict[str, str]:
    out = {}
    for key, value in mapping.items():
        role = canonical_role(str(value)) if value is not None else None
        if role is None:
            raise ReadError(f"{where}: speaker {key!r} has unknown role {value!r} (未知角色); use agent/customer")
        out[str(key).strip()] = role
    return out


def parse_speaker_map(value: str | None) -> SpeakerMap:
    """Parse `--speaker-map` (inline pairs or a YAML file); ReadError (exit 2) when it is malformed."""
    if not value:
        return SpeakerMap()
    path = Path(value)
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
            raise ReadError(f"--speaker-map {value}: cannot read (无法读取): {exc}") from None
        if not isinstance(data, dict) or not data:
            raise ReadError(f"--speaker-map {value}: expected a mapping such as {{0: agent, 1: customer}}")
        if all(isinstance(v, dict) for v in data.values()):
            unknown = set(map(str, data)) - {"default", *VENDORS}
            if unknown:
                raise ReadError(
                    f"--speaker-map {value}: unknown source {sorted(unknown)} (expected default or {VENDORS})"
                )
            maps = {str(k): _pairs(v, f"{value}: {k}") for k, v in data.items()}
            return SpeakerMap(maps.pop("default", {}), maps)
        return SpeakerMap(_pairs(data, value))
    pairs = {}
    for part in re.split(r"[,，;；]", value):
        key, sep, role = part.partition("=")
        if not sep or not key.strip():
            raise ReadError(f"--speaker-map takes ID=ROLE pairs such as 0=agent,1=customer, got {part!r}")
        pairs[key.strip()] = role.strip()
    return SpeakerMap(_pairs(pairs, "--speaker-map"))
