"""The guideline worklist ("missing recommendation" by default) and the report
mismatch checks, with filters and CSV export (issue 16; docs/guidance.md). Rows show
no report text: the finding's type and size, the guideline's band and expectation,
a check's message."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.datastructures import QueryParams
from starlette.responses import Response

from radfollow.io.spreadsheet import to_csv
from radfollow.models import CheckKind
from radfollow.tracker.accounts import SignedIn
from radfollow.tracker.judgements import (
    CONCORDANCES,
    CheckRow,
    GuidelineRow,
    JudgementFilters,
    guideline_worklist,
    known_guidelines,
    report_checks,
)
from radfollow.tracker.queries import known_values
from radfollow.web.render import render
from radfollow.web.security import SignedInUser, state_of
from radfollow.web.views import ViewError, day

router = APIRouter()

GUIDELINE_COLUMNS = [f for f in GuidelineRow.model_fields if f != "finding"]
CHECK_COLUMNS = [f for f in CheckRow.model_fields if f != "evidence"]
#: Rows per page; an export has no limit but this.
PAGE = 200
EXPORT_LIMIT = 100_000
#: The last page number accepted (PAGE rows each: far past any real list).
MAX_PAGE = 1_000_000


def _filters(request: Request, params: QueryParams) -> tuple[JudgementFilters, int]:
    """The filters of the query string and the page number; ViewError for a bad value."""
    tz = state_of(request).tracker.timezone
    concordance = params.get("concordance") or "missing"
    if concordance not in CONCORDANCES:
        raise ViewError(f"concordance must be one of {', '.join(CONCORDANCES)}")
    since, until = params.get("since"), params.get("until")
    try:
        page = max(1, int(params.get("page") or 1))
    except ValueError:
        raise ViewError("page must be a number") from None
    if page > MAX_PAGE:
        raise ViewError(f"page must be at most {MAX_PAGE}")
    filters = JudgementFilters(
        concordance=[concordance],
        guideline=params.get("guideline") or None,
        since=day(since, "since", tz, end=False) if since else None,
        until=day(until, "until", tz, end=True) if until else None,
        radiologist=params.get("radiologist") or None,
        site=params.get("site") or None,
    )
    return filters, page


def _csv(rows: list[Any], columns: list[str], name: str) -> Response:
    data = [row.model_dump(mode="json") for row in rows]
    return Response(
        to_csv(data, columns).encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _options(request: Request) -> dict[str, list[str]]:
    with state_of(request).tracker.session() as session:
        return {
            "guideline": known_guidelines(session),
            "radiologist": known_values(session, "radiologist"),
            "site": known_values(session, "site"),
        }


def _page(request: Request, me: SignedIn, template: str, **values: Any) -> Response:
    params = {k: v for k, v in request.query_params.items() if k != "page"}

    def link(page: int) -> str:
        return urlencode({**params, "page": page})

    return render(request, template, me, params=params, link=link, **values)


@router.get("/guidance")
def guidance_page(request: Request, me: SignedInUser) -> Response:
    try:
        filters, page = _filters(request, request.query_params)
    except ViewError as error:
        return render(request, "error.html", me, status_code=400, message=str(error))
    with state_of(request).tracker.session() as session:
        rows = guideline_worklist(session, filters, limit=PAGE + 1, offset=(page - 1) * PAGE)
    return _page(
        request,
        me,
        "guidance.html",
        rows=rows[:PAGE],
        more=len(rows) > PAGE,
        page=page,
        concordances=CONCORDANCES,
        options=_options(request),
    )


@router.get("/guidance.csv")
def guidance_csv(request: Request, me: SignedInUser) -> Response:
    try:
        filters, _ = _filters(request, request.query_params)
    except ViewError as error:
        return Response(str(error), status_code=400, media_type="text/plain")
    with state_of(request).tracker.session() as session:
        rows = guideline_worklist(session, filters, limit=EXPORT_LIMIT)
    return _csv(rows, GUIDELINE_COLUMNS, "guidance")


def _kind(params: QueryParams) -> str | None:
    kind = params.get("kind") or None
    if kind is not None and kind not in [k.value for k in CheckKind]:
        raise ViewError("kind must be laterality, sex or age")
    return kind


@router.get("/checks")
def checks_page(request: Request, me: SignedInUser) -> Response:
    try:
        filters, page = _filters(request, request.query_params)
        kind = _kind(request.query_params)
    except ViewError as error:
        return render(request, "error.html", me, status_code=400, message=str(error))
    with state_of(request).tracker.session() as session:
        rows = report_checks(session, filters, kind=kind, limit=PAGE + 1, offset=(page - 1) * PAGE)
    return _page(
        request,
        me,
        "checks.html",
        rows=rows[:PAGE],
        more=len(rows) > PAGE,
        page=page,
        kinds=[k.value for k in CheckKind],
        options=_options(request),
    )


@router.get("/checks.csv")
def checks_csv(request: Request, me: SignedInUser) -> Response:
    try:
        filters, _ = _filters(request, request.query_params)
        kind = _kind(request.query_params)
    except ViewError as error:
        return Response(str(error), status_code=400, media_type="text/plain")
    with state_of(request).tracker.session() as session:
        rows = report_checks(session, filters, kind=kind, limit=EXPORT_LIMIT)
    return _csv(rows, CHECK_COLUMNS, "checks")
