"""The dashboard: adherence and closed-loop rate by month and by each dimension of
``tracker stats`` (the same definitions and numbers: radfollow.tracker.queries.stats),
overdue ageing, recommendation completeness; a chart, a table and a CSV for each.

By default it covers the reports of the last 12 months (``since``); the view's
filters narrow it like the worklist's. Postal-code prefixes with fewer than the
policy's ``small_count_suppression`` recommendations are pooled, or left out.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from radfollow.io.spreadsheet import to_csv
from radfollow.tracker.accounts import SignedIn
from radfollow.tracker.facts import Facts
from radfollow.tracker.queries import Overview, StatsRow, overview, stats
from radfollow.web.charts import bar_chart
from radfollow.web.render import render
from radfollow.web.security import SignedInUser, state_of
from radfollow.web.views import View, ViewError, parse_view

router = APIRouter()

#: (dimension, heading), in the page's order.
SECTIONS = (
    ("month", "By month of the report"),
    ("radiologist", "By radiologist"),
    ("provider", "By ordering provider"),
    ("site", "By site"),
    ("modality", "By recommended modality"),
    ("finding", "By finding type"),
    ("patient_class", "By patient class"),
    ("sex", "By sex"),
    ("age_band", "By age at the study"),
    ("postal_prefix", "By postal-code prefix (small groups pooled)"),
    ("region", "By body region"),
)
DEFAULT_DAYS = 365


def _view(request: Request, me: SignedIn) -> View:
    """The view; without ``since`` (and without ``all=1``), the reports from the start
    of the site's day 365 days ago."""
    state = state_of(request)
    tz = state.tracker.timezone
    view = parse_view(request.query_params, me=me.account.name, tz=tz)
    if view.filters.since is None and request.query_params.get("all") != "1":
        first = state.clock().astimezone(tz).date() - timedelta(days=DEFAULT_DAYS)
        view.filters.since = datetime.combine(first, time.min, tzinfo=tz).astimezone(UTC)
    return view


def _figures(request: Request, view: View, by: tuple[str, ...]) -> tuple[list[StatsRow], Overview]:
    """``stats`` by ``by`` and the overview, from the stored statuses (through the
    in-memory copy, radfollow.tracker.facts, for every view but one patient's);
    kept while the stored statuses' version and the site's day stay the same
    (radfollow.web.cache)."""
    state = state_of(request)
    tracker = state.tracker
    rules = tracker.policy.rules
    as_of = state.clock()
    common: dict[str, Any] = {
        "as_of": as_of,
        "grace": tracker.policy.grace,
        "lead": tracker.policy.coming_due,
        "tz": tracker.timezone,
    }
    version = state.stored_statuses(as_of)
    shape: dict[str, Any] = {
        "manual_only": frozenset(rules.manual_only),
        "age_bands": tuple(rules.age_bands),
        "suppress_below": rules.small_count_suppression,
        "postal_prefix": rules.postal_prefix_length,
    }
    with tracker.session() as session:

        def from_queries() -> tuple[list[StatsRow], Overview]:
            stored = version is not None
            rows = stats(session, view.filters, by=by, stored=stored, **shape, **common)
            return rows, overview(session, view.filters, stored=stored, **common)

        def from_copy(copy: Facts) -> tuple[list[StatsRow], Overview]:
            rows = copy.stats(view.filters, as_of=as_of, by=by, **shape)
            return rows, copy.overview(view.filters, as_of=as_of)

        if version is None:
            return from_queries()
        compute = from_queries
        if Facts.holds(view.filters):  # the same figures from the in-memory copy

            def compute() -> tuple[list[StatsRow], Overview]:
                return state.copy().figures(session, version, from_copy)

        day = as_of.astimezone(tracker.timezone).date()  # overdue ageing counts days
        key = ("dashboard", view.filters.model_dump_json(), by, day, version)
        figures: tuple[list[StatsRow], Overview] = state.figures.get(key, compute)
        return figures


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


@router.get("/dashboard")
def dashboard_page(request: Request, me: SignedInUser) -> Response:
    state = state_of(request)
    try:
        view = _view(request, me)
    except ViewError as error:
        return render(request, "error.html", me, status_code=400, message=str(error))
    rows, head = _figures(request, view, tuple(d for d, _ in SECTIONS))
    tracker = state.tracker
    overall = next((r for r in rows if r.group == "all"), None)
    manual = next((r for r in rows if r.group == "manual_only"), None)
    sections: list[dict[str, Any]] = []
    for dim, heading in SECTIONS:
        group = [r for r in rows if r.group == dim]
        bars = [(r.value, r.adherence, f"{_percent(r.adherence)} of {r.mature}") for r in group]
        sections.append(
            {
                "dim": dim,
                "heading": heading,
                "rows": group,
                "chart": bar_chart(bars, title=f"Adherence {heading.lower()}", maximum=1.0),
            }
        )
    ageing = head.overdue_ageing
    ageing_chart = bar_chart(
        [(k + " days", float(v), str(v)) for k, v in ageing.items()], title="Overdue ageing"
    )
    return render(
        request,
        "dashboard.html",
        me,
        view=view,
        overall=overall,
        manual=manual,
        head=head,
        sections=sections,
        ageing_chart=ageing_chart,
        percent=_percent,
        since=view.filters.since.astimezone(tracker.timezone).date().isoformat()
        if view.filters.since
        else None,
    )


@router.get("/dashboard.csv")
def dashboard_csv(request: Request, me: SignedInUser) -> Response:
    dims = {d for d, _ in SECTIONS}
    dim = request.query_params.get("dim", "")
    try:
        if dim not in dims:
            raise ViewError(f"unknown dimension {dim!r}")
        view = _view(request, me)
    except ViewError as error:
        return Response(str(error), status_code=400, media_type="text/plain")
    found, _ = _figures(request, view, tuple(d for d, _ in SECTIONS))
    rows = [r.model_dump() for r in found if r.group in ("all", dim)]
    text = to_csv(rows, list(StatsRow.model_fields))
    return Response(
        text.encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="adherence-{dim}.csv"'},
    )
