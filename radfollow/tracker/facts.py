"""An in-memory, column-wise copy of what the review app's figures filter and group
by, one entry per recommendation, kept current from the stored statuses' change
log (``status_changes``; radfollow.tracker.statuses): the dashboard's ``stats``
and ``overview`` and the worklist's counts per status become numpy sums over
arrays (tens of ms over a million recommendations) instead of a pass over every
row in SQL and Python (seconds).

Figures equal radfollow.tracker.queries' ``stats``, ``overview`` and
``status_counts`` with ``stored=True`` for the same filters and as-of
(tests/tracker/test_tracker_facts.py compares them on both databases). A filter on
one patient (``patient``) is not held here: :meth:`Facts.holds` says so and the
caller uses the queries. The first use reads every recommendation once (27-30 s
per million on SQLite and PostgreSQL, benchmarks/web_pages.py); after that,
each new stored-status version reads only the rows it changed. Memory: about
110 bytes per recommendation, per process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    and_,
    case,
    cast,
    extract,
    func,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from radfollow.tracker.queries import (
    ADHERENT_CLOSED,
    CATEGORIES,
    NON_COMPLIANT_CLOSED,
    STATS_DIMENSIONS,
    STATUSES,
    Filters,
    Overview,
    StatsRow,
    Tally,
    ageing_buckets,
    band_label,
    postal_prefix_of,
    sex_word,
    stats_rows,
)
from radfollow.tracker.schema import Patient, Setting, StatusChange, Study
from radfollow.tracker.schema import Recommendation as R
from radfollow.tracker.statuses import VERSION_KEY

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Threads that tally the dimensions of ``stats`` side by side (numpy's loops run
#: without the GIL).
_POOL = ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1)))
_DAY_US = 86_400_000_000
#: Text columns, dictionary-encoded (code 0 is NULL): (name, column).
_TEXT = (
    ("status", R.status),
    ("reason", R.closed_reason),
    ("modality", R.modality),
    ("finding", R.finding_type),
    ("region", func.coalesce(R.body_region, Study.body_region)),
    ("rec_interpreter", R.interpreter),
    ("interpreter", Study.interpreter),
    ("rec_provider", R.ordering_provider),
    ("provider", Study.ordering_provider),
    ("rec_facility", R.facility),
    ("facility", Study.facility),
    ("department", Study.department),
    ("patient_class", Study.patient_class),
    ("sex", Patient.sex),
    ("assignee", R.assignee),
)
#: Times, as microseconds since 1970 UTC.
_TIMES = (
    ("reported", R.reported_at),
    ("finished", func.coalesce(R.completed_at, R.reported_at)),
    ("due_start", R.due_start),
    ("due_end", R.due_end),
)
#: Filters held here, each on its column (queries._filtered with ``stored=True``).
_EQUAL = (
    ("finding_type", "finding"),
    ("region", "region"),
    ("radiologist", "rec_interpreter"),
    ("provider", "rec_provider"),
    ("site", "rec_facility"),
    ("department", "department"),
    ("patient_class", "patient_class"),
)
#: A dimension of ``stats`` and the column it groups, with the label of NULL.
_GROUPS = {
    "modality": ("modality", "unspecified"),
    "finding": ("finding", "unlinked"),
    "region": ("region", "unknown"),
    "radiologist": ("interpreter", "unknown"),
    "provider": ("provider", "unknown"),
    "site": ("facility", "unknown"),
    "department": ("department", "unknown"),
    "patient_class": ("patient_class", "unknown"),
}


def _us(value: datetime) -> int:
    return (value - _EPOCH) // timedelta(microseconds=1)


#: pandas' time range (nanoseconds in int64), with a day's margin for time zones.
_PANDAS_FIRST = _us(datetime(1677, 9, 23, tzinfo=UTC))
_PANDAS_LAST = _us(datetime(2262, 4, 10, tzinfo=UTC))


def _micros(column: Any, dialect: str) -> Any:
    """``column`` (a UTC time) as microseconds since 1970 from PostgreSQL (its epoch is
    exact); from SQLite, its stored text "YYYY-MM-DD HH:MM:SS.ffffff" as it is
    (read by :func:`_parse_micros`)."""
    if dialect == "postgresql":
        return cast(extract("epoch", column) * 1_000_000, BigInteger)
    return type_coerce(column, String)


def _parse_micros(values: Sequence[Any]) -> np.ndarray:
    """``_micros``' values as int64 microseconds since 1970 (numpy's ISO 8601 reader
    for SQLite's text)."""
    if values and isinstance(values[0], str):
        return np.array(values, dtype="datetime64[us]").astype(np.int64)
    return np.array(values, dtype=np.int64)


def _day_number(column: Any, dialect: str) -> Any:
    """A date column as the number YYYYMMDD (NULL stays NULL)."""
    if dialect == "postgresql":
        return cast(func.to_char(column, "YYYYMMDD"), Integer)
    return cast(func.replace(column, "-", ""), Integer)


class _Codes:
    """The dictionary of one text column: value -> code; NULL is 0."""

    def __init__(self) -> None:
        self.values: list[str | None] = [None]
        self._index: dict[str | None, int] = {None: 0}

    def code(self, value: str | None) -> int:
        found = self._index.get(value)
        if found is None:
            found = self._index[value] = len(self.values)
            self.values.append(value)
        return found

    def find(self, value: str | None) -> int:
        """The code of ``value``; -1 when no row holds it."""
        return self._index.get(value, -1)

    def labels(self, label: Any) -> tuple[np.ndarray, list[str]]:
        """``label`` of every value: (code -> label index, labels)."""
        names: dict[str, int] = {}
        index = np.array(
            [names.setdefault(label(v), len(names)) for v in self.values], dtype=np.intp
        )
        return index, list(names)


class Facts:
    """The copy for one site timezone ``tz`` (months and ages are in its days).
    Thread-safe: :meth:`figures` runs a catch-up and a computation under a lock."""

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz
        self.version: int | None = None
        self.codes = {name: _Codes() for name, _ in _TEXT}
        self.codes["month"] = _Codes()
        self.codes["postal"] = _Codes()
        self._lock = threading.Lock()
        self._clear()

    def _clear(self) -> None:
        self.ids: np.ndarray = np.empty(0, dtype=np.int64)
        self.columns: dict[str, np.ndarray] = {
            name: np.empty(0, dtype=np.int32) for name in self.codes
        }
        self.columns.update({name: np.empty(0, dtype=np.int64) for name, _ in _TIMES})
        self.columns["age"] = np.empty(0, dtype=np.int16)
        self.columns["named"] = np.empty(0, dtype=bool)

    @staticmethod
    def holds(filters: Filters) -> bool:
        """Whether the figures of ``filters`` can come from here: not one patient's, and
        only known statuses."""
        return not filters.patient and all(s in STATUSES for s in filters.statuses)

    # -- keeping current ---------------------------------------------------------------

    def sync(self, session: Session, version: int) -> None:
        """Bring the copy up to stored-status ``version``: the rows the change log lists
        after its own version, or every row when the log does not reach back."""
        if self.version is not None and self.version >= version:
            return  # as current (another page's catch-up may be ahead: newer still)
        if self.version is not None:
            oldest = session.scalar(select(func.min(StatusChange.version)))
            changes = select(StatusChange.recommendation_id).where(
                StatusChange.version > self.version, StatusChange.version <= version
            )
            ids = set(session.scalars(changes))
            if oldest is not None and oldest <= self.version + 1 and 0 not in ids:
                self._read(session, sorted(ids))
                self.version = version
                return
        # read the version first: rows changed meanwhile are read again at the next one
        current = session.scalar(select(Setting.value).where(Setting.key == VERSION_KEY))
        self.version = None  # a read that fails half-way is read again next time
        self._clear()
        self._read(session, None)
        self.version = int(current) if current and current.isdigit() else version

    def _read(self, session: Session, ids: list[int] | None) -> None:
        """Read ``ids`` again (None: every recommendation) and put them in place."""
        dialect = session.get_bind().dialect.name
        query = select(
            R.id,
            *[column for _, column in _TEXT],
            *[_micros(column, dialect) for _, column in _TIMES],
            _micros(Study.observed_at, dialect),
            _day_number(Patient.birth_date, dialect),
            Patient.postal_code,
            case((and_(R.modality.is_not(None), R.interval_min.is_not(None)), 1), else_=0),
        )
        query = query.join(Study, Study.id == R.study_id).join(Patient, Patient.id == R.patient_id)
        connection = session.connection()  # Core rows: no ORM loading per row
        if ids is None:  # in partitions, so a million rows never sit in memory as tuples
            result = connection.execute(query.order_by(R.id).execution_options(yield_per=50_000))
            for rows in result.partitions():
                self._put(rows, [])
            return
        for k in range(0, len(ids), 5000):
            batch = ids[k : k + 5000]
            self._put(connection.execute(query.where(R.id.in_(batch))).all(), batch)

    def _encode(self, name: str, values: Sequence[Any], label: Any = None) -> np.ndarray:
        """``values`` as codes of column ``name`` (``label``: the value kept for each)."""
        found, uniques = pd.factorize(np.array(values, dtype=object), use_na_sentinel=True)
        codes = self.codes[name]
        lookup = np.array(
            [codes.code(label(u) if label else u) for u in uniques] + [codes.code(None)],
            dtype=np.int32,
        )
        return lookup[found]  # -1 (NULL) takes the last cell: code 0

    def _put(self, rows: Sequence[Any], asked: list[int]) -> None:
        """Put ``rows`` (``_read``'s columns) in place; ``asked``: the ids read again,
        those missing now deleted."""
        columns: list[Any] = []
        if rows:
            columns = list(zip(*rows, strict=True))
            found = np.array(columns[0], dtype=np.int64)
        else:
            found = np.empty(0, dtype=np.int64)
        arrays: dict[str, np.ndarray] = {}
        if found.size:
            n_text = len(_TEXT)
            for i, (name, _) in enumerate(_TEXT, start=1):
                arrays[name] = self._encode(name, columns[i])
            times = columns[1 + n_text : 1 + n_text + len(_TIMES)]
            for (name, _), values in zip(_TIMES, times, strict=True):
                arrays[name] = _parse_micros(values)
            observed, born, postal, named = columns[1 + n_text + len(_TIMES) :]
            year, month, _ = self._local_dates(arrays["reported"])
            months = [f"{y:04d}-{m:02d}" for y, m in zip(year, month, strict=True)]
            arrays["month"] = self._encode("month", months)
            arrays["age"] = self._ages(_parse_micros(observed), born)
            arrays["postal"] = self._encode(
                "postal", postal, lambda v: "".join(str(v).split()).upper()
            )
            arrays["named"] = np.array(named, dtype=bool)
        gone = sorted(set(asked) - set(found.tolist()))  # deleted: NULL status, never counted
        if gone:
            at, held = self._positions(np.array(gone, dtype=np.int64))
            self.columns["status"][at[held]] = 0
        if not found.size:
            return
        at, held = self._positions(found)
        for name, values in arrays.items():
            self.columns[name][at[held]] = values[held]
        if (~held).any():  # new recommendations: ids only grow, but keep the order anyway
            merged = np.concatenate([self.ids, found[~held]])
            order = np.argsort(merged, kind="stable")
            self.ids = merged[order]
            for name, values in arrays.items():
                self.columns[name] = np.concatenate([self.columns[name], values[~held]])[order]

    def _ages(self, observed: np.ndarray, born: Sequence[int | None]) -> np.ndarray:
        """Whole years from ``born`` (YYYYMMDD numbers) to the study's day in the site's
        zone (``observed``: microseconds since 1970 UTC); -1 when unknown or later."""
        year, month, day = self._local_dates(observed)
        on = year * 10_000 + month * 100 + day
        births = np.array([b if b is not None else -1 for b in born], dtype=np.int64)
        age: np.ndarray = on // 10_000 - births // 10_000 - ((on % 10_000) < (births % 10_000))
        return np.where((births < 0) | (births > on), -1, age).astype(np.int16)

    def _local_dates(self, micros: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Year, month and day in the site's zone of each UTC time (microseconds since
        1970): by pandas within its nanosecond range (1677-2262), one by one outside."""
        inside = (micros > _PANDAS_FIRST) & (micros < _PANDAS_LAST)
        local = pd.to_datetime(np.where(inside, micros, 0), unit="us", utc=True)
        local = local.tz_convert(self.tz)
        parts = [np.asarray(p, dtype=np.int64) for p in (local.year, local.month, local.day)]
        for i in np.flatnonzero(~inside):  # a clinical date years away: rare
            when = (_EPOCH + timedelta(microseconds=int(micros[i]))).astimezone(self.tz)
            parts[0][i], parts[1][i], parts[2][i] = when.year, when.month, when.day
        return parts[0], parts[1], parts[2]

    def _positions(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where ``ids`` are (or would go) in the copy, and whether each is there."""
        at = np.searchsorted(self.ids, ids)
        if not self.ids.size:
            return at, np.zeros(ids.size, dtype=bool)
        return at, (at < self.ids.size) & (self.ids[np.minimum(at, self.ids.size - 1)] == ids)

    # -- figures -----------------------------------------------------------------------

    def figures(self, session: Session, version: int, compute: Any) -> Any:
        """``compute(self)`` after bringing the copy up to ``version``, under the lock."""
        with self._lock:
            self.sync(session, version)
            return compute(self)

    def _mask(self, filters: Filters) -> np.ndarray:
        """The recommendations ``filters`` select (queries._query with ``stored=True``)."""
        cols, codes = self.columns, self.codes
        status = cols["status"]
        if filters.statuses:
            mask = self._among("status", filters.statuses)
        else:
            mask = (status != codes["status"].find("not yet reported")) & (status != 0)
        if filters.modality:
            mask &= cols["modality"] == codes["modality"].find(filters.modality.upper())
        for field, column in _EQUAL:
            value = getattr(filters, field)
            if value:
                mask &= cols[column] == codes[column].find(value)
        if filters.since:
            mask &= cols["reported"] >= _us(filters.since)
        if filters.until:
            mask &= cols["reported"] <= _us(filters.until)
        if filters.due_from:
            mask &= cols["due_end"] >= _us(filters.due_from)
        if filters.due_to:
            mask &= cols["due_start"] <= _us(filters.due_to)
        if filters.assignee == "":
            mask &= cols["assignee"] == 0
        elif filters.assignee is not None:
            mask &= cols["assignee"] == codes["assignee"].find(filters.assignee)
        return mask

    def _among(self, column: str, values: Iterable[str]) -> np.ndarray:
        """Whether each row's ``column`` is one of ``values`` (a lookup per code)."""
        wanted = np.zeros(len(self.codes[column].values), dtype=bool)
        for value in values:
            if (code := self.codes[column].find(value)) >= 0:
                wanted[code] = True
        result: np.ndarray = wanted[self.columns[column]]
        return result

    def _per_status(self, mask: np.ndarray) -> dict[str, int]:
        """The rows of ``mask`` per status (every status in STATUSES, 0 when none)."""
        statuses = self.codes["status"]
        found = np.bincount(self.columns["status"][mask], minlength=len(statuses.values))
        return {s: int(found[c]) if (c := statuses.find(s)) >= 0 else 0 for s in STATUSES}

    def status_counts(self, filters: Filters) -> dict[str, int]:
        """queries.status_counts: per status, the filters' own statuses ignored."""
        return self._per_status(self._mask(filters.model_copy(update={"statuses": []})))

    def overview(self, filters: Filters, *, as_of: datetime) -> Overview:
        """queries.overview: status counts, overdue ageing and completeness."""
        everyone = self._mask(filters.model_copy(update={"statuses": []}))
        status = self.columns["status"]
        statuses = self.codes["status"]
        by_status = self._per_status(everyone)
        overdue = everyone & (status == statuses.find("overdue"))
        days = (_us(as_of) - self.columns["due_end"][overdue]) // _DAY_US
        ageing = {}
        for label, low, high in ageing_buckets():
            within = days >= low
            if high is not None:
                within &= days <= high
            ageing[label] = int(within.sum())
        # every status but superseded ("everyone" holds no other)
        live = everyone & (status != statuses.find("superseded"))
        complete = int((live & self.columns["named"]).sum())
        return Overview.of(by_status, ageing, int(live.sum()), complete)

    def _categories(self) -> np.ndarray:
        """Each row's index in CATEGORIES (queries._category); -1: counted nowhere."""
        codes = self.codes
        by_status = np.full(len(codes["status"].values), -1, dtype=np.int8)
        for status in CATEGORIES:
            if (c := codes["status"].find(status)) >= 0:
                by_status[c] = CATEGORIES.index(status)
        if (c := codes["status"].find("completed")) >= 0:
            by_status[c] = CATEGORIES.index("adherent")
        category = by_status[self.columns["status"]]
        closed = self.columns["status"] == codes["status"].find("closed")
        other = CATEGORIES.index("closed_other")
        by_reason = np.full(len(codes["reason"].values), other, dtype=np.int8)
        closing = ((ADHERENT_CLOSED, "adherent"), (NON_COMPLIANT_CLOSED, "non_compliant"))
        for reasons, name in closing:
            for reason in reasons:
                if (c := codes["reason"].find(reason)) >= 0:
                    by_reason[c] = CATEGORIES.index(name)
        category[closed] = by_reason[self.columns["reason"][closed]]
        return category

    def _labels(
        self, dimension: str, rows: np.ndarray, age_bands: tuple[int, ...], postal_prefix: int
    ) -> tuple[np.ndarray, list[str]]:
        """The label index of ``rows`` in ``dimension``, and the labels."""
        cols = self.columns
        if dimension == "age_band":
            ages = cols["age"][rows].astype(np.intp)
            oldest = int(ages.max(initial=0))
            names: dict[str, int] = {}
            # one cell per age from 0 to the oldest, and a last one that -1 (unknown) reads
            table = np.array(
                [names.setdefault(band_label(a, age_bands), len(names)) for a in range(oldest + 1)]
                + [names.setdefault(band_label(-1, age_bands), len(names))],
                dtype=np.intp,
            )
            return table[ages], list(names)
        if dimension == "month":
            index, labels = self.codes["month"].labels(lambda v: v or "unknown")
            return index[cols["month"][rows]], labels
        if dimension == "sex":
            index, labels = self.codes["sex"].labels(sex_word)
            return index[cols["sex"][rows]], labels
        if dimension == "postal_prefix":
            length = postal_prefix
            index, labels = self.codes["postal"].labels(lambda v: postal_prefix_of(v, length))
            return index[cols["postal"][rows]], labels
        column, empty = _GROUPS[dimension]
        index, labels = self.codes[column].labels(lambda v: v or empty)
        return index[cols[column][rows]], labels

    def stats(
        self,
        filters: Filters,
        *,
        as_of: datetime,
        by: tuple[str, ...],
        manual_only: frozenset[str],
        age_bands: tuple[int, ...],
        suppress_below: int,
        postal_prefix: int,
    ) -> list[StatsRow]:
        """queries.stats with ``stored=True`` (same definitions, same rows and order).
        Raises ValueError for an unknown dimension."""
        unknown = [d for d in by if d not in STATS_DIMENSIONS]
        if unknown:
            raise ValueError(f"unknown stats dimension {unknown[0]!r}")
        cols, codes = self.columns, self.codes
        superseded = codes["status"].find("superseded")
        chosen = self._mask(filters) & (cols["status"] != superseded)
        manual = self._among("modality", manual_only)
        groups: dict[tuple[str, str], Tally] = {}
        categories = self._categories()
        for group, rows, dimensions in (
            ("all", np.flatnonzero(chosen & ~manual), by),
            ("manual_only", np.flatnonzero(chosen & manual), ()),
        ):
            category = categories[rows].astype(np.intp)
            firm = (category == CATEGORIES.index("adherent")) | (
                category == CATEGORIES.index("non_compliant")
            )
            opened = cols["due_start"][rows] <= _us(as_of)
            mature = firm | ((category != CATEGORIES.index("closed_other")) & opened)
            # the completed ones, by days to completion (each group's median reads them)
            done = np.flatnonzero(cols["status"][rows] == codes["status"].find("completed"))
            waited = (cols["finished"][rows[done]] - cols["reported"][rows[done]]) / 1e6 / 86400
            by_wait = np.argsort(waited, kind="stable")
            done, waited = done[by_wait], waited[by_wait]
            # one bincount key per row: category and mature (scheduled mature follows)
            shared = (rows, category * 2 + mature, waited, done, age_bands, postal_prefix)
            # numpy lets go of the GIL in its loops: the dimensions run side by side
            for found in _POOL.map(self._dimension, [(group, d, shared) for d in dimensions]):
                groups.update(found)
            groups.update(self._dimension((group, group, shared)))
        return stats_rows(groups, by, suppress_below)

    def _dimension(self, job: tuple[str, str, tuple[Any, ...]]) -> dict[tuple[str, str], Tally]:
        """The tallies of one dimension (``group`` itself: one tally of every row)."""
        group, dimension, (rows, key, waited, done, age_bands, postal_prefix) = job
        if dimension == group:
            index, labels = np.zeros(rows.size, dtype=np.intp), ["all"]
        else:
            index, labels = self._labels(dimension, rows, age_bands, postal_prefix)
        groups: dict[tuple[str, str], Tally] = {}
        self._tally(groups, dimension, labels, index, key, (waited, index[done]))
        return groups

    @staticmethod
    def _tally(
        groups: dict[tuple[str, str], Tally],
        group: str,
        labels: list[str],
        index: np.ndarray,
        key: np.ndarray,
        completed: tuple[np.ndarray, np.ndarray],
    ) -> None:
        """The tallies of ``group``'s labels: ``index`` (each row's label), ``key`` (its
        category * 2 + mature) and ``completed``: the days to completion, ascending,
        and the label of each."""
        waited, done_index = completed
        size, width = len(labels), 2 * len(CATEGORIES)
        combined = index * width
        combined += key
        found = np.bincount(combined, minlength=size * width).reshape(size, len(CATEGORIES), 2)
        counts = found.sum(axis=2)
        matures = found[:, :, 1].sum(axis=1)
        schedules = found[:, CATEGORIES.index("scheduled"), 1]
        # grouped by label, still ascending within each (a stable radix sort of small ints)
        small = np.uint16 if size < 2**16 else np.intp
        order = np.argsort(done_index.astype(small), kind="stable")
        split = np.split(waited[order], np.cumsum(np.bincount(done_index, minlength=size))[:-1])
        for i, label in enumerate(labels):
            total = int(counts[i].sum())
            if not total:
                continue
            groups[(group, label)] = Tally(
                recommendations=total,
                counts={c: int(counts[i, k]) for k, c in enumerate(CATEGORIES)},
                mature=int(matures[i]),
                scheduled_mature=int(schedules[i]),
                waits=[split[i]] if split[i].size else [],
                ascending=True,
            )
