"""The worklist: filters, counts per status, sorting, paging, "my worklist", and the
current view exported to CSV or XLSX. Rows show no report text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from radfollow.io.spreadsheet import to_csv, to_xlsx
from radfollow.tracker.accounts import SignedIn, user_names
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
    with state.tracker.session() as session:
        rows = worklist(
            session,
            view.filters,
            as_of=as_of,
            limit=size,
            offset=(view.page - 1) * size,
            sort=view.sort,
            priority=tuple(state.tracker.policy.rules.priority_finding_types),
            **args,
        )
        total = count(session, view.filters, as_of=as_of, **args)
        by_status = status_counts(session, view.filters, as_of=as_of, **args)
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


def _all_rows(request: Request, view: View) -> Iterator[dict[str, Any]]:
    state = state_of(request)
    as_of = state.clock()
    offset = 0
    while True:
        with state.tracker.session() as session:
            rows = worklist(
                session,
                view.filters,
                as_of=as_of,
                limit=EXPORT_CHUNK,
                offset=offset,
                sort=view.sort,
                priority=tuple(state.tracker.policy.rules.priority_finding_types),
                **_policy_args(request),
            )
        for row in rows:
            yield row.model_dump(mode="json", exclude={"evidence"})
        if len(rows) < EXPORT_CHUNK:
            return
        offset += EXPORT_CHUNK


@router.get("/worklist.csv")
def export_csv(request: Request, me: SignedInUser) -> Response:
    try:
        view = _view(request, me)
    except ViewError as error:
        return Response(str(error), status_code=400, media_type="text/plain")

    def body() -> Iterator[bytes]:
        yield to_csv([], EXPORT_COLUMNS).encode("utf-8-sig")  # BOM and header
        batch: list[dict[str, Any]] = []
        for row in _all_rows(request, view):
            batch.append(row)
            if len(batch) == 1000:
                yield to_csv(batch, EXPORT_COLUMNS).split("\r\n", 1)[1].encode()
                batch = []
        if batch:
            yield to_csv(batch, EXPORT_COLUMNS).split("\r\n", 1)[1].encode()

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
    data = to_xlsx(_all_rows(request, view), EXPORT_COLUMNS, sheet="worklist")
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="worklist.xlsx"'},
    )
