"""Sign-in state, roles, CSRF tokens, sign-in throttling and response headers.

- Every page needs a live session (``signed_in``); without one a page redirects
  to /login and an export or action is refused.
- Sessions are server-side (``tracker.accounts``): the cookie is HttpOnly,
  SameSite=Strict, Secure under TLS, and lapses after the idle timeout.
- Every form carries the session's CSRF token (OWASP synchronizer token
  pattern); the sign-in form, before any session, a double-submit cookie.
- Sign-in is throttled per account (tracker.accounts: lockout after 5
  failures) and per client address (radfollow.web.throttle: 20 failures in 15
  minutes).
- Responses say no-store (pages hold PHI) and carry a strict
  Content-Security-Policy: the app runs no script and loads nothing from
  elsewhere.
- The access log names the route, status and time taken, never the query
  string or form values (filters may hold identifiers); an unexpected error
  is logged as its class and place only (a database error's message can quote
  values) and answered with a plain 500.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.responses import PlainTextResponse, Response

from radfollow.errors import error_location
from radfollow.tracker.accounts import Role, SignedIn, allows, resume_session
from radfollow.web.state import WebState

SESSION_COOKIE = "radfollow_session"
LOGIN_CSRF_COOKIE = "radfollow_login_csrf"

log = logging.getLogger("radfollow.web")

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


#: The largest request body accepted (forms are small; 413 above).
MAX_BODY = 1_000_000


class NotSignedIn(Exception):
    """No live session: pages redirect to /login, other requests get 401."""


class Refused(Exception):
    """403: the role may not do this, or the CSRF token is missing or wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def state_of(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def signed_in(request: Request) -> SignedIn:
    """The request's live session; raises NotSignedIn."""
    token = request.cookies.get(SESSION_COOKIE, "")
    state = state_of(request)
    me = None
    if token:
        with state.tracker.session() as session:
            me = resume_session(session, token, at=state.clock(), idle=state.idle)
    if me is None:
        raise NotSignedIn
    request.state.user = me.account.name
    return me


async def _form_token(request: Request) -> str:
    form = await request.form()
    value = form.get("csrf_token")
    return value if isinstance(value, str) else ""


def role(needed: Role) -> Callable[..., Awaitable[SignedIn]]:
    """A dependency for a POST: a live session with ``needed`` (or a higher role) and
    the session's CSRF token in the form; raises NotSignedIn or Refused."""

    async def check(request: Request, me: Annotated[SignedIn, Depends(signed_in)]) -> SignedIn:
        if not secrets.compare_digest(await _form_token(request), me.csrf_token):
            raise Refused("the form has expired or did not come from this site; reload the page")
        if not allows(me.account.role, needed):
            raise Refused(f"your role ({me.account.role}) may not do this")
        return me

    return check


def reader(needed: Role) -> Callable[..., SignedIn]:
    """A dependency for a GET that needs ``needed`` (admin pages)."""

    def check(me: Annotated[SignedIn, Depends(signed_in)]) -> SignedIn:
        if not allows(me.account.role, needed):
            raise Refused(f"your role ({me.account.role}) may not see this page")
        return me

    return check


#: Route parameters: a signed-in user (any role); a reviewer's or admin's form post.
SignedInUser = Annotated[SignedIn, Depends(signed_in)]
ReviewerPost = Annotated[SignedIn, Depends(role(Role.REVIEWER))]
AdminPost = Annotated[SignedIn, Depends(role(Role.ADMIN))]
AdminPage = Annotated[SignedIn, Depends(reader(Role.ADMIN))]


async def login_csrf_ok(request: Request) -> bool:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return bool(cookie) and secrets.compare_digest(await _form_token(request), cookie)


def set_cookie(
    response: Response, state: WebState, name: str, value: str, *, age: int | None
) -> None:
    """An HttpOnly, SameSite=Strict cookie (Secure under TLS); ``age`` None: it ends
    with the browser session."""
    response.set_cookie(
        name,
        value,
        max_age=age,
        httponly=True,
        samesite="strict",
        secure=state.secure,
        path="/",
    )


async def headers_and_log(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Middleware: security headers on every response; one access-log line with the
    route template (``/recommendations/{rec_id}``), never the query string."""
    started = time.perf_counter()
    length = request.headers.get("content-length", "0")
    if not length.isdigit() or int(length) > MAX_BODY:
        return PlainTextResponse("request body too large", status_code=413)
    try:
        response = await call_next(request)
    except Exception as error:  # a bug or a lost database: its class and place, no values
        log.error(
            "%s %s failed: %s at %s",
            request.method,
            getattr(request.scope.get("route"), "path", "(no route)"),
            type(error).__name__,
            error_location(error),
        )
        response = PlainTextResponse(
            "radfollow could not answer this request; the server log says where it failed",
            status_code=500,
        )
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if state_of(request).secure:  # RFC 6797: browsers keep to HTTPS for a year
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    route: Any = request.scope.get("route")
    path = getattr(route, "path", None)
    if path is None:  # a static file (no PHI in its name) or an unknown page
        path = "/static/..." if request.url.path.startswith("/static/") else "(no route)"
    log.info(
        "%s %s %s %.1f ms user=%s",
        request.method,
        path,
        response.status_code,
        (time.perf_counter() - started) * 1000,
        getattr(request.state, "user", "-"),
    )
    return response
