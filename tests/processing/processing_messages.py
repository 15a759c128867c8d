"""Synthetic ORU^R01 messages for the processing-core tests (synthetic ids only)."""

from __future__ import annotations

from pathlib import Path

TEXT = "FINDINGS: 6 mm nodule in the right upper lobe."
IMPRESSION = "IMPRESSION: Recommend follow-up CT chest in 6-12 months."


def _obr(accession: str, when: str, modality: str, status: str) -> str:
    fields = [""] * 26  # fields[n] is OBR-n
    fields[0], fields[1], fields[3] = "OBR", "1", accession
    fields[4] = "71250^CT CHEST WITHOUT CONTRAST^CPT"
    fields[7], fields[13], fields[16] = when, "Trauma", "1234^SMITH^ANNA"
    fields[24], fields[25] = modality, status
    return "|".join(fields)


def oru(
    n: int,
    *,
    patient: str | None = None,
    text: str = TEXT,
    when: str = "20260301110000-0500",
    accession: str | None = None,
    modality: str = "CT",
    status: str = "F",
) -> bytes:
    """One message: control id MSG<n>, accession ACC<n>, patient MRN<n> by default;
    OBR-7 ``when``, OBR-24 ``modality``, OBR-25 ``status``."""
    segments = [
        f"MSH|^~\\&|RIS|HOSP|RADFOLLOW|HOSP|20260301120000||ORU^R01|MSG{n}|P|2.5.1",
        f"PID|1||{patient or f'MRN{n}'}^^^HOSP^MR||DOE^JANE||19600101|F",
        _obr(accession or f"ACC{n}", when, modality, status),
        f"OBX|1|TX|RPT^Report||{text}||||||F",
        f"OBX|2|TX|RPT^Report||{IMPRESSION}||||||F",
    ]
    return ("\r".join(segments) + "\r").encode()


def write_messages(folder: Path, messages: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in messages.items():
        (folder / name).write_bytes(data)
    return folder
