"""What a study's procedure is: modality, body regions, kind and laterality.

Read from ``rules/procedures.json`` (a site's file when its rules folder has
one): the procedure code (OBR-4 identifier, e.g. CPT 71250) when the table
knows it, else the procedure text, upper-cased with punctuation as spaces, so
"CT ABD/PELVIS W/WO" reads like "CT ABD PELVIS W WO". Region keywords are
tried in order and consume the words they match ("CHEST ABD PELVIS" is one
region; "THORACIC SPINE" is the spine, not the chest); laterality is read from
the words left over ("RIGHT UPPER QUADRANT" names a region, not a side).
"""

from __future__ import annotations

from dataclasses import dataclass

from radfollow.rules.schema.base import keyword_text
from radfollow.rules.schema.tracker import ProcedureRules


@dataclass(frozen=True)
class ProcedureInfo:
    """``regions``: () when the procedure names none the table knows (the study's region
    is then unknown). ``kind``: diagnostic, angiography, screening, biopsy or
    interventional. ``laterality``: left, right, bilateral or None (not stated)."""

    modality: str | None
    regions: tuple[str, ...]
    kind: str
    laterality: str | None

    @property
    def region(self) -> str | None:
        """The first region named, for display and worklist filters."""
        return self.regions[0] if self.regions else None


def read_procedure(
    rules: ProcedureRules, text: str | None, code: str | None, modality: str | None
) -> ProcedureInfo:
    """The procedure's meaning; ``modality`` is the study's own (OBR-24 or inferred),
    kept unless the code table names one."""
    coded = rules.codes.get((code or "").strip().upper())
    words = keyword_text(text or "")
    kind = next((r.kind for r in rules.kinds if r.find(words)), "diagnostic")
    regions: list[str] = []
    rest = words
    while (noise := rules.ignore.find(rest)) is not None:
        rest = rest.replace(f" {noise} ", " ", 1)
    for rule in rules.regions:
        while (found := rule.find(rest)) is not None:
            if rule.region not in regions:
                regions.append(rule.region)
            rest = rest.replace(f" {found} ", " ", 1)
    sides = {r.value for r in rules.laterality if r.find(rest)}
    side = (
        "bilateral"
        if "bilateral" in sides or {"left", "right"} <= sides
        else next(iter(sides), None)
    )
    if coded is None:
        return ProcedureInfo(modality, tuple(regions), kind, side)
    return ProcedureInfo(
        coded.modality or modality,
        coded.regions or tuple(regions),
        coded.kind if coded.kind != "diagnostic" else kind,
        coded.laterality or side,
    )
