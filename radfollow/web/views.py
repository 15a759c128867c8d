"""The worklist and dashboard view as a URL: query parameters to tracker Filters.

Parameters (all optional): ``status`` (repeatable), ``finding_type``,
``modality``, ``region``, ``radiologist``, ``provider``, ``site``,
``patient_class``, ``due_from``/``due_to`` and ``since``/``until``
(YYYY-MM-DD, the site's calendar days), ``assignee`` (a user name, or
``-`` for nobody), ``mine`` (1: assigned to me), ``sort`` (tracker SORTS) and
``page`` (from 1). A value that is not valid raises ViewError, which the page
shows as a 400 with the reason.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
from urllib.parse import urlencode

from pydantic import BaseModel
from starlette.datastructures import QueryParams

from radfollow.models import FindingType, Modality, PatientClass
from radfollow.tracker.queries import SORTS, STATUSES, Filters

SINGLE = (
    "finding_type",
    "modality",
    "region",
    "radiologist",
    "provider",
    "site",
    "patient_class",
    "due_from",
    "due_to",
    "since",
    "until",
    "assignee",
    "mine",
    "sort",
)
CHOICES = {
    "finding_type": [f.value for f in FindingType],
    "modality": [m.value for m in Modality],
    "patient_class": [c.value for c in PatientClass],
    "sort": list(SORTS),
}


#: The last page a view may ask for (50 rows a page: 50 million rows).
MAX_PAGE = 1_000_000


class ViewError(ValueError):
    """A query parameter that is not valid; the message names it."""


class View(BaseModel):
    """A parsed view: the filters, the sort, the page, and the parameters as given
    (to rebuild links and fill the form)."""

    filters: Filters
    sort: str
    page: int
    params: dict[str, str]
    statuses: list[str]

    def query(self, **changes: str | int | None) -> str:
        """The view's query string with ``changes`` (None removes a parameter)."""
        values: dict[str, str | int | None] = {**self.params, **changes}
        status = values.pop("status", None)
        if "status" in changes:
            pairs = [("status", str(status))] if status else []
        else:
            pairs = [("status", s) for s in self.statuses]
        pairs += [(k, str(v)) for k, v in values.items() if v not in (None, "")]
        return urlencode(pairs)


def day(value: str, name: str, tz: tzinfo, *, end: bool) -> datetime:
    """The start (or, ``end``, the last instant) of an ISO date in ``tz``, in UTC;
    ViewError naming ``name`` for a value that is not a date."""
    try:
        given = date.fromisoformat(value)
        return datetime.combine(given, time.max if end else time.min, tzinfo=tz).astimezone(UTC)
    except ValueError:
        raise ViewError(f"{name} must be a date (YYYY-MM-DD)") from None
    except OverflowError:
        raise ViewError(f"{name} is out of range") from None


def parse_view(params: QueryParams, *, me: str, tz: tzinfo) -> View:
    """The view of ``params`` for the user ``me`` in the site's zone ``tz``."""
    statuses = [s for s in params.getlist("status") if s]
    for s in statuses:
        if s not in STATUSES:
            raise ViewError(f"unknown status {s!r}")
    given = {k: params[k].strip() for k in SINGLE if params.get(k, "").strip()}
    for name, known in CHOICES.items():
        if name in given and given[name] not in known:
            raise ViewError(f"unknown {name.replace('_', ' ')} {given[name]!r}")
    try:
        page = int(params.get("page", "1") or 1)
    except ValueError:
        raise ViewError("page must be a number") from None
    if not 1 <= page <= MAX_PAGE:
        raise ViewError(f"page must be 1 to {MAX_PAGE:,}")
    assignee = given.get("assignee")
    if given.get("mine") == "1":
        assignee = me
    filters = Filters(
        statuses=statuses,
        finding_type=given.get("finding_type"),
        modality=given.get("modality"),
        region=given.get("region"),
        radiologist=given.get("radiologist"),
        provider=given.get("provider"),
        site=given.get("site"),
        patient_class=given.get("patient_class"),
        due_from=day(given["due_from"], "due from", tz, end=False) if "due_from" in given else None,
        due_to=day(given["due_to"], "due to", tz, end=True) if "due_to" in given else None,
        since=day(given["since"], "since", tz, end=False) if "since" in given else None,
        until=day(given["until"], "until", tz, end=True) if "until" in given else None,
        assignee="" if assignee == "-" else assignee,
    )
    return View(
        filters=filters,
        sort=given.get("sort", "due_end"),
        page=page,
        params={k: v for k, v in given.items()},
        statuses=statuses,
    )
