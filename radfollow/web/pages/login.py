"""Sign in and sign out."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from radfollow.tracker.accounts import (
    authenticate,
    end_session,
    purge_sessions,
    start_session,
)
from radfollow.web.render import render
from radfollow.web.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Refused,
    SignedInUser,
    login_csrf_ok,
    set_cookie,
    state_of,
)

router = APIRouter()


def _next(value: str | None) -> str:
    """A local path to return to after sign-in (never another site)."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return "/"
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else "/"


def _login_page(request: Request, *, error: str | None = None, status_code: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        None,
        status_code=status_code,
        login_csrf=token,
        error=error,
        next=_next(request.query_params.get("next")),
    )
    set_cookie(response, state_of(request), LOGIN_CSRF_COOKIE, token, age=3600)
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
async def login(request: Request) -> Response:
    state = state_of(request)
    client = request.client.host if request.client else "-"
    if not await login_csrf_ok(request):
        raise Refused("the sign-in form has expired; reload the page")
    if state.throttle.blocked(client):
        return _login_page(
            request, error="Too many failed sign-ins from here; wait 15 minutes.", status_code=429
        )
    form = await request.form()
    name, password = str(form.get("username", "")), str(form.get("password", ""))
    previous = request.cookies.get(SESSION_COOKIE, "")

    def sign_in() -> str | None:  # argon2 and the database: off the event loop
        at = state.clock()
        with state.tracker.session() as session:
            account = authenticate(session, name, password, at=at)
            if account is None:
                return None
            if previous:  # a new sign-in replaces this browser's old session
                end_session(session, previous)
            purge_sessions(session, at=at, idle=state.idle)
            return start_session(session, account, at=at)

    token = await run_in_threadpool(sign_in)
    if token is None:
        state.throttle.failed(client)
        return _login_page(
            request,
            error="Wrong name or password, or the account is locked or disabled.",
            status_code=401,
        )
    request.state.user = name
    response = RedirectResponse(_next(str(form.get("next", "/"))), status_code=303)
    set_cookie(response, state, SESSION_COOKIE, token, age=None)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
async def logout(request: Request, me: SignedInUser) -> Response:
    form = await request.form()
    if not secrets.compare_digest(str(form.get("csrf_token", "")), me.csrf_token):
        raise Refused("the form has expired; reload the page")

    def sign_out() -> None:
        with state_of(request).tracker.session() as session:
            end_session(session, request.cookies.get(SESSION_COOKIE, ""))

    await run_in_threadpool(sign_out)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
