"""Synthetic ORU^R01 messages for the processing-core tests (synthetic ids only)."""

from __future__ import annotations

from pathlib import Path

ORU = (
    "MSH|^~\\&|RIS|HOSP|RADFOLLOW|HOSP|20260301120000||ORU^R01|MSG{n}|P|2.5.1\r"
    "PID|1||{patient}^^^HOSP^MR||DOE^JANE||19600101|F\r"
    "OBR|1||ACC{n}|71250^CT CHEST WITHOUT CONTRAST^CPT|||{when}"
    "|||||Trauma|||1234^SMITH^ANNA||||||||CT|F\r"
    "OBX|1|TX|RPT^Report||{text}||||||F\r"
    "OBX|2|TX|RPT^Report||IMPRESSION: Recommend follow-up CT chest in 6-12 months.||||||F\r"
)
TEXT = "FINDINGS: 6 mm nodule in the right upper lobe."


def oru(
    n: int,
    *,
    patient: str | None = None,
    text: str = TEXT,
    when: str = "20260301110000-0500",
) -> bytes:
    """One message: control id MSG<n>, accession ACC<n>, patient MRN<n> by default."""
    return ORU.format(n=n, patient=patient or f"MRN{n}", text=text, when=when).encode()


def write_messages(folder: Path, messages: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in messages.items():
        (folder / name).write_bytes(data)
    return folder
