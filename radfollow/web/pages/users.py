"""Admins manage users: add, change a role, enable or disable, set a password."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from radfollow.errors import TrackerError
from radfollow.tracker.accounts import (
    Role,
    SignedIn,
    add_user,
    set_active,
    set_password,
    set_role,
    users,
)
from radfollow.web.render import render
from radfollow.web.security import AdminPage, AdminPost, state_of

router = APIRouter()


def _page(
    request: Request, me: SignedIn, *, error: str | None = None, status_code: int = 200
) -> Response:
    with state_of(request).tracker.session() as session:
        people = users(session)
    return render(
        request,
        "users.html",
        me,
        status_code=status_code,
        people=people,
        roles=[r.value for r in Role],
        error=error,
    )


@router.get("/admin/users")
def users_page(request: Request, me: AdminPage) -> Response:
    return _page(request, me)


@router.post("/admin/users")
async def change_user(request: Request, me: AdminPost) -> Response:
    """``op``: add (name, role, password), role (name, role), disable, enable (name),
    password (name, password)."""
    state = state_of(request)
    form = await request.form()
    op, name = str(form.get("op", "")), str(form.get("name", "")).strip()
    password, new_role = str(form.get("password", "")), str(form.get("role", ""))

    def change() -> None:  # argon2 and the database: off the event loop
        if name == me.account.name and op in ("disable", "role"):
            raise TrackerError("you cannot disable yourself or change your own role")
        with state.tracker.session() as session:
            if op == "add":
                add_user(session, name, role=new_role, password=password, at=state.clock())
            elif op == "role":
                set_role(session, name, new_role)
            elif op in ("disable", "enable"):
                set_active(session, name, op == "enable")
            elif op == "password":
                set_password(session, name, password)
            else:
                raise TrackerError("unknown change")

    try:
        await run_in_threadpool(change)
    except TrackerError as error:
        return _page(request, me, error=str(error), status_code=400)
    return RedirectResponse("/admin/users?done=user", status_code=303)
