"""The worklist: filters, counts per status, sorting, paging, "my worklist", and the
current view exported to CSV or XLSX. Rows show no report text."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response, StreamingResponse

from radfollow.errors import error_location
from radfollow.io.spreadsheet import to_csv, to_xlsx
from radfollow.tracker.accounts import SignedIn, user_names
from radfollow.tracker.facts import Facts
from radfollow.tracker.queries import (
    STATUSES,
    WorklistRow,
    count,
    known_values,
    status_counts,
    worklist,
)
from radfollow.web.render import render
from radfollow.web.security import SignedInUser, state_of
from radfollow.web.views import CHOICES, View, ViewError, parse_view

router = APIRouter()
log = logging.getLogger("radfollow.web")

#: Columns of an export: every worklist field but the recommendation's sentence
#: (lists carry no report text; the detail page shows it).
EXPORT_COLUMNS = [f for f in WorklistRow.model_fields if f != "evidence"]
#: Rows fetched per database round trip while exporting.
EXPORT_CHUNK = 5000


def _view(request: Request, me: SignedIn) -> View:
    return parse_view(
        request.query_params, me=me.account.name, tz=state_of(request).tracker.timezone
    )


def _policy_args(request: Request) -> dict[str, Any]:
    tracker = state_of(request).tracker
    return {
        "grace": tracker.policy.grace,
        "lead": tracker.policy.coming_due,
        "tz": tracker.timezone,
    }


def _rows(
    request: Request,
    session: Session,
    view: View,
    *,
    as_of: datetime,
    limit: int,
    offset: int,
    stored: bool,
) -> list[WorklistRow]:
    """``limit`` rows of the view from ``offset``, in its sort order."""
    return worklist(
        session,
        view.filters,
        as_of=as_of,
        limit=limit,
        offset=offset,
        sort=view.sort,
        priority=tuple(state_of(request).tracker.policy.rules.priority_finding_types),
        stored=stored,
        **_policy_args(request),
    )


@router.get("/")
def home(me: SignedInUser) -> Response:
    return RedirectResponse("/worklist", status_code=303)


@router.get("/worklist")
def worklist_page(request: Request, me: SignedInUser) -> Response:
    state = state_of(request)
    try:
        view = _view(request, me)
    except ViewError as error:
        return render(request, "error.html", me, status_code=400, message=str(error))
    args = _policy_args(request)
    as_of = state.clock()
    size = state.page_size
    version = state.stored_statuses(as_of)
    stored = version is not None
    with state.tracker.session() as session:
        offset = (view.page - 1) * size
        rows = _rows(request, session, view, as_of=as_of, limit=size, offset=offset, stored=stored)
        everyone = view.filters.model_copy(update={"statuses": []})

        def counts() -> dict[str, int]:
            if version is not None and Facts.holds(everyone):  # the in-memory copy
                found: dict[str, int] = state.copy().figures(
                    session, version, lambda copy: copy.status_counts(everyone)
                )
                return found
            return status_counts(session, everyone, as_of=as_of, stored=stored, **args)

        if stored:  # kept while no stored status changes (radfollow.web.cache)
            key = ("counts", everyone.model_dump_json(), version)
            by_status: dict[str, int] = state.figures.get(key, counts)
            # the same stored statuses: the total is the sum of the chosen ones
            total = sum(by_status[s] for s in view.filters.statuses or STATUSES)
        else:
            by_status = counts()
            total = count(session, view.filters, as_of=as_of, **args)
        options = {
            "radiologist": known_values(session, "radiologist"),
            "provider": known_values(session, "provider"),
            "site": known_values(session, "site"),
            "assignee": user_names(session),
        }
    options.update(CHOICES)
    options["region"] = state.tracker.policy.known_regions()
    pages = max(1, -(-total // size))
    return render(
        request,
        "worklist.html",
        me,
        view=view,
        rows=rows,
        total=total,
        by_status=by_status,
        statuses=STATUSES,
        options=options,
        page=view.page,
        pages=pages,
        first=(view.page - 1) * size + 1 if rows else 0,
        last=(view.page - 1) * size + len(rows),
    )


def _chunk(
    request: Request, view: View, as_of: datetime, offset: int, stored: bool
) -> list[dict[str, Any]]:
    """``EXPORT_CHUNK`` rows of the view from ``offset``, as exported."""
    with state_of(request).tracker.session() as session:
        rows = _rows(
            request, session, view, as_of=as_of, limit=EXPORT_CHUNK, offset=offset, stored=stored
        )
    return [row.model_dump(mode="json", exclude={"evidence"}) for row in rows]


def _chunks(request: Request, view: View) -> Iterator[list[dict[str, Any]]]:
    """The view's rows in chunks. The first is read before the response starts (an
    error then is the app's 500); a later error ends the file with a line saying
    the export failed, and is logged as its class and place only."""
    state = state_of(request)
    as_of = state.clock()
    stored = state.stored_statuses(as_of) is not None  # once for the whole export
    chunk = _chunk(request, view, as_of, 0, stored)
    offset = 0
    while True:
        yield chunk
        if len(chunk) < EXPORT_CHUNK:
            return
        offset += EXPORT_CHUNK
        try:
            chunk = _chunk(request, view, as_of, offset, stored)
        except Exception as error:
            log.error("export failed: %s at %s", type(error).__name__, error_location(error))
            yield [{"id": "export failed after this row; see the server log"}]
            return


@router.get("/worklist.csv")
def export_csv(request: Request, me: SignedInUser) -> Response:
    try:
        view = _view(request, me)
    except ViewError as error:
        return Response(str(error), status_code=400, media_type="text/plain")

    chunks = _chunks(request, view)
    first = next(chunks)  # errors here are the app's 500, before any byte is sent

    def body() -> Iterator[bytes]:
        yield to_csv(first, EXPORT_COLUMNS).encode("utf-8-sig")  # BOM, header, rows
        for chunk in chunks:
            yield to_csv(chunk, EXPORT_COLUMNS, header=False).encode()

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="worklist.csv"'},
    )


@router.get("/worklist.xlsx")
def export_xlsx(request: Request, me: SignedInUser) -> Response:
    try:
        view = _view(request, me)
    except ViewError as error:
        return Response(str(error), status_code=400, media_type="text/plain")
    rows = (row for chunk in _chunks(request, view) for row in chunk)
    data = to_xlsx(rows, EXPORT_COLUMNS, sheet="worklist")
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="worklist.xlsx"'},
    )
