"""Critical results without documented communication, and the delivery status of
notifications (issue 17; docs/notifications.md). Rows show no report text: the
critical category and the mention's words, a delivery's channel, event, attempts
and last error."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from radfollow.tracker.judgements import CriticalRow, critical_worklist
from radfollow.tracker.outbox import (
    DELIVERED,
    FAILED,
    PENDING,
    SENDING,
    WITHDRAWN,
    delivery_counts,
    recent_deliveries,
)
from radfollow.web.pages.guidance import EXPORT_LIMIT, PAGE, _csv, _filters, _options, _page
from radfollow.web.render import render
from radfollow.web.security import SignedInUser, state_of
from radfollow.web.views import ViewError

router = APIRouter()

CRITICAL_COLUMNS = list(CriticalRow.model_fields)
STATUSES = (PENDING, SENDING, DELIVERED, FAILED, WITHDRAWN)


def _everything(request: Request) -> bool:
    return request.query_params.get("all") == "1"


@router.get("/critical")
def critical_page(request: Request, me: SignedInUser) -> Response:
    try:
        filters, page = _filters(request, request.query_params)
    except ViewError as error:
        return render(request, "error.html", me, status_code=400, message=str(error))
    with state_of(request).tracker.session() as session:
        rows = critical_worklist(
            session,
            filters,
            uncommunicated_only=not _everything(request),
            limit=PAGE + 1,
            offset=(page - 1) * PAGE,
        )
    return _page(
        request,
        me,
        "critical.html",
        rows=rows[:PAGE],
        more=len(rows) > PAGE,
        page=page,
        everything=_everything(request),
        options=_options(request),
    )


@router.get("/critical.csv")
def critical_csv(request: Request, me: SignedInUser) -> Response:
    try:
        filters, _ = _filters(request, request.query_params)
    except ViewError as error:
        return Response(str(error), status_code=400, media_type="text/plain")
    with state_of(request).tracker.session() as session:
        rows = critical_worklist(
            session, filters, uncommunicated_only=not _everything(request), limit=EXPORT_LIMIT
        )
    return _csv(rows, CRITICAL_COLUMNS, "critical")


@router.get("/notifications")
def notifications_page(request: Request, me: SignedInUser) -> Response:
    status = request.query_params.get("status") or None
    if status is not None and status not in STATUSES:
        message = f"status must be one of {', '.join(STATUSES)}"
        return render(request, "error.html", me, status_code=400, message=message)
    try:
        page = max(1, int(request.query_params.get("page") or 1))
    except ValueError:
        return render(request, "error.html", me, status_code=400, message="page must be a number")
    with state_of(request).tracker.session() as session:
        counts = delivery_counts(session)
        rows = recent_deliveries(session, status=status, limit=PAGE + 1, offset=(page - 1) * PAGE)
    return _page(
        request,
        me,
        "notifications.html",
        counts=counts,
        rows=rows[:PAGE],
        more=len(rows) > PAGE,
        page=page,
        statuses=STATUSES,
    )
