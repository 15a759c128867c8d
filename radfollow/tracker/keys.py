"""Values the tracker keys on, fitted to their columns.

Identifier columns hold :data:`KEY_CHARS` characters. A patient identifier
or accession over that is refused before processing
(radfollow.processing.checks, RF306). MSH-10 may be any length (HL7 v2.7
widened it to 199, and senders exceed that), and MSH-4 and the PID-3
assigning authority are HD values whose OIDs can be long: :func:`control_key`
keeps a short value as sent and replaces a long one by a prefix and its
SHA-256, so two distinct long values never meet as one (the listener's inbox
keys on the hash the same way, migration 0004). Display columns (procedure, source path)
are cut to their width by :func:`fit`.
"""

from __future__ import annotations

import hashlib

#: Width of the tracker's identifier columns (patients, studies, messages).
KEY_CHARS = 64
#: Characters of SHA-256 hex kept in a long control id's key.
_HASH_CHARS = 40


def control_key(control_id: str) -> str:
    """``control_id`` itself when it fits in KEY_CHARS; else its first 23
    characters, ``#`` and 40 hex digits of the SHA-256 of the whole id (UTF-8)."""
    if len(control_id) <= KEY_CHARS:
        return control_id
    digest = hashlib.sha256(control_id.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{control_id[: KEY_CHARS - _HASH_CHARS - 1]}#{digest[:_HASH_CHARS]}"


def fit(value: str | None, width: int) -> str | None:
    """``value`` cut to ``width`` characters (display columns only)."""
    return value if value is None or len(value) <= width else value[:width]
