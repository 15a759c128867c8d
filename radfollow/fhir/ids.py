"""Deterministic ids: ``urn:uuid`` fullUrls and URI identifiers.

A fullUrl is ``urn:uuid:`` + uuid5(NAMESPACE, "<accession>|<kind>|<local id>"),
so mapping the same report twice gives the same ids.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

# Fixed namespace for radfollow uuid5 ids. Never change it: ids would change.
NAMESPACE = uuid.UUID("d5a6b0aa-2617-42a5-8207-111dd44fcc72")

URI_SYSTEM = "urn:ietf:rfc:3986"


def full_url(accession: str, kind: str, local_id: str) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{accession}|{kind}|{local_id}')}"


def record_uri(accession: str, kind: str, local_id: str) -> str:
    """``urn:radfollow:<accession>:<kind>:<local id>``, parts percent-encoded."""
    parts = (quote(accession, safe=""), kind, quote(local_id, safe=""))
    return "urn:radfollow:" + ":".join(parts)


def record_identifier(accession: str, kind: str, local_id: str) -> dict[str, str]:
    """An Identifier whose value is the record URI (system ``urn:ietf:rfc:3986``)."""
    return {"system": URI_SYSTEM, "value": record_uri(accession, kind, local_id)}


def urn_part(name: str) -> str:
    """A free-text name made safe for use inside a URN."""
    return quote(name.strip(), safe="")
