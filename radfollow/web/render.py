"""Rendering a page: the template, the signed-in user, the CSRF token and a notice."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.responses import Response

from radfollow.tracker.accounts import Role, SignedIn, allows
from radfollow.web.security import state_of

#: Notices a redirect may ask for (?done=...): fixed text, never user input.
NOTICES = {
    "closed": "Recommendation closed.",
    "reopened": "Recommendation reopened.",
    "unmatched": "Match undone; the study will not be matched to it again.",
    "matched": "Study confirmed as the follow-up.",
    "assigned": "Assignment saved.",
    "note": "Note added.",
    "contact": "Contact logged.",
    "verified": "Verification saved; it is kept as a labelled example.",
    "user": "User saved.",
}


def render(
    request: Request,
    template: str,
    me: SignedIn | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    state = state_of(request)
    notice = NOTICES.get(request.query_params.get("done", ""))
    values = {
        "me": me.account if me else None,
        "csrf": me.csrf_token if me else "",
        "can_act": me is not None and allows(me.account.role, Role.REVIEWER),
        "is_admin": me is not None and allows(me.account.role, Role.ADMIN),
        "notice": notice,
        "timezone": str(state.tracker.timezone),
        **context,
    }
    return state.templates.TemplateResponse(request, template, values, status_code=status_code)
