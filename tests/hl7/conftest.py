"""Builders for small synthetic HL7 v2 messages (synthetic names and ids only)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from radfollow.hl7 import RawMessage

Fields = Mapping[int, str]

DEFAULTS: dict[str, dict[int, str]] = {
    "MSH": {
        3: "RIS",
        4: "FACILITY_A",
        7: "20240102083000",
        9: "ORU^R01^ORU_R01",
        10: "MSG0001",
        11: "P",
        12: "2.5.1",
    },
    "PID": {1: "1", 3: "PAT001^^^HOSP_A^MR", 5: "TESTPATIENT^ALPHA", 7: "19700101", 8: "F"},
    "OBR": {
        1: "1",
        2: "PLC1",
        3: "ACC001",
        4: "CTCHEST^CT CHEST WITHOUT CONTRAST^L",
        7: "20240101101500",
        16: "D123^DOCTOR^TEST",
        24: "CT",
        25: "F",
    },
    "OBX": {1: "1", 2: "TX", 3: "REPORT^Report text", 5: "No acute findings.", 11: "F"},
}


class HL7Builder:
    """Builds segments and whole ORU^R01 messages from field-number maps."""

    @staticmethod
    def seg(name: str, fields: Fields, sep: str = "|", enc: str = "^~\\&") -> str:
        if name == "MSH":
            last = max(fields, default=2)
            rest = [fields.get(n, "") for n in range(3, last + 1)]
            return sep.join([f"MSH{sep}{enc}", *rest])
        last = max(fields, default=0)
        return sep.join([name, *(fields.get(n, "") for n in range(1, last + 1))])

    def oru(
        self,
        *,
        msh: Fields | None = None,
        pid: Fields | None = None,
        obr: Fields | None = None,
        obx: Sequence[Fields] | None = None,
        orc: Fields | None = None,
        drop: Sequence[str] = (),
        sep: str = "|",
        enc: str = "^~\\&",
        eol: str = "\r",
    ) -> str:
        """A one-group ORU^R01; each map overrides the default fields of its segment."""
        parts = [("MSH", {**DEFAULTS["MSH"], **(msh or {})})]
        parts.append(("PID", {**DEFAULTS["PID"], **(pid or {})}))
        if orc is not None:
            parts.append(("ORC", dict(orc)))
        parts.append(("OBR", {**DEFAULTS["OBR"], **(obr or {})}))
        for index, fields in enumerate(obx if obx is not None else [{}], start=1):
            parts.append(("OBX", {**DEFAULTS["OBX"], 1: str(index), **fields}))
        kept = [self.seg(name, fields, sep, enc) for name, fields in parts if name not in drop]
        return eol.join(kept) + eol

    @staticmethod
    def raw(text: str | bytes, encoding: str = "utf-8", position: int = 1) -> RawMessage:
        data = text.encode(encoding) if isinstance(text, str) else text
        return RawMessage(source="test.hl7", position=position, data=data)


@pytest.fixture(scope="session")
def build() -> HL7Builder:
    return HL7Builder()
