"""One HTTP POST with the failures sorted into retryable or not (httpx)."""

from __future__ import annotations

import httpx

from radfollow.errors import DeliveryError

#: HTTP statuses worth retrying: the receiver may take it later.
RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> int:
    """POST ``body``; the status code on 2xx, else DeliveryError (``retryable`` for a
    timeout, a refused or reset connection, 408/425/429 and 5xx). The error names
    the status or the failure class, never the body nor the URL's query."""
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=timeout)
    except httpx.TimeoutException:
        raise DeliveryError("timed out", retryable=True) from None
    except httpx.TransportError as error:
        raise DeliveryError(f"connection failed ({type(error).__name__})", retryable=True) from None
    if 200 <= response.status_code < 300:
        return response.status_code
    retryable = response.status_code in RETRYABLE_STATUS or response.status_code >= 500
    raise DeliveryError(f"HTTP {response.status_code}", retryable=retryable)
