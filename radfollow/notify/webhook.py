"""The webhook channel: a JSON POST signed with HMAC-SHA256 (docs/notifications.md).

Headers: ``X-Radfollow-Timestamp`` (Unix seconds), ``X-Radfollow-Signature``
(``sha256=`` and the hex HMAC-SHA256 of ``timestamp + "." + body`` under the
shared secret), ``Idempotency-Key`` (the event's key and the channel). A
receiver checks the signature with :func:`verify`, refuses timestamps older
than its tolerance (replay), and drops a repeated key. The scheme follows the
signed-webhook practice of Stripe and GitHub (timestamped HMAC over the body).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from datetime import UTC, datetime
from typing import Any

from radfollow.errors import NotifyError
from radfollow.notify.content import Notice, summary
from radfollow.notify.http import post
from radfollow.rules.schema.notify import WebhookChannel

SIGNATURE_HEADER = "X-Radfollow-Signature"
TIMESTAMP_HEADER = "X-Radfollow-Timestamp"


def payload(notice: Notice, now: datetime) -> dict[str, Any]:
    """The JSON body: the event and its minimal identifiers, no report text."""
    return {
        "id": notice.key,
        "event": notice.event,
        "sequence": notice.sequence,
        "sent_at": now.astimezone(UTC).isoformat(),
        "summary": summary(notice, now),
        "accession": notice.accession,
        "exam_date": notice.exam_date.isoformat(),
        "patient": {"id": notice.patient_id, "assigning_authority": notice.assigning_authority},
        "recommendation": None
        if notice.recommendation_local_id is None
        else {
            "id": notice.recommendation_local_id,
            "recommended": notice.recommended,
            "due_start": notice.due_start.isoformat() if notice.due_start else None,
            "due_end": notice.due_end.isoformat() if notice.due_end else None,
        },
        "critical_results": list(notice.critical),
    }


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256(secret, timestamp + "." + body)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(
    secret: str, timestamp: str, body: bytes, signed: str, *, now: float, tolerance: float = 300
) -> bool:
    """A receiver's check: the signature matches and the timestamp is recent."""
    try:
        age = abs(now - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance and hmac.compare_digest(signature(secret, timestamp, body), signed)


def send_webhook(channel: WebhookChannel, notice: Notice, now: datetime) -> None:
    """POST the signed payload; raises DeliveryError, or NotifyError without a secret."""
    secret = os.environ.get(channel.secret_env)
    if not secret:
        raise NotifyError(
            f"channel {channel.name}: environment variable {channel.secret_env} is not set"
        )
    body = json.dumps(payload(notice, now), separators=(",", ":")).encode()
    timestamp = str(int(now.timestamp()))
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(secret, timestamp, body),
        "Idempotency-Key": notice.key + ":" + channel.name,
    }
    post(channel.url, body, headers, timeout=channel.timeout_seconds)
