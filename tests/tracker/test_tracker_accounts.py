"""Review-app accounts, sessions and worklog entries in the tracker (SQLite and
PostgreSQL), and the dashboard dimensions of ``stats``: table-driven, a positive
and a negative case per rule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from radfollow.errors import TrackerError
from radfollow.tracker.accounts import (
    IDLE_TIMEOUT,
    LOCKOUT,
    MAX_FAILURES,
    Role,
    add_user,
    allows,
    authenticate,
    end_session,
    purge_sessions,
    resume_session,
    set_active,
    set_password,
    start_session,
)
from radfollow.tracker.db import Tracker
from radfollow.tracker.queries import SUPPRESSED, Tally, _suppress, age_band
from radfollow.tracker.queries import postal_prefix_of as _prefix
from radfollow.tracker.queries import sex_word as _sex
from radfollow.tracker.schema import User

AT = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
GOOD = "a long password"


@pytest.mark.parametrize(
    ("name", "role", "password", "error"),
    [
        ("kim", "viewer", GOOD, None),
        ("kim.lee@site", "admin", GOOD, None),
        ("", "viewer", GOOD, "1 to 64 characters"),
        ("two words", "viewer", GOOD, "without spaces"),
        ("x" * 65, "viewer", GOOD, "1 to 64"),
        ("kim", "root", GOOD, "unknown role"),
        ("kim", "viewer", "short", "at least 8"),
    ],
)
def test_add_user(tracker: Tracker, name: str, role: str, password: str, error: str | None) -> None:
    with tracker.session() as session:
        if error is None:
            account = add_user(session, name, role=role, password=password, at=AT)
            assert account.role == Role(role)
            stored = session.get(User, account.id)
            assert stored is not None and stored.password_hash.startswith("$argon2id$")
            assert password not in stored.password_hash
        else:
            with pytest.raises(TrackerError, match=error):
                add_user(session, name, role=role, password=password, at=AT)


def test_a_name_is_taken_once(tracker: Tracker) -> None:
    with tracker.session() as session:
        add_user(session, "kim", role="viewer", password=GOOD, at=AT)
        with pytest.raises(TrackerError, match="exists"):
            add_user(session, "kim", role="admin", password=GOOD, at=AT)


@pytest.mark.parametrize(
    ("role", "needed", "ok"),
    [
        ("admin", Role.REVIEWER, True),
        ("reviewer", Role.REVIEWER, True),
        ("viewer", Role.REVIEWER, False),
        ("reviewer", Role.ADMIN, False),
        ("viewer", Role.VIEWER, True),
        ("root", Role.VIEWER, False),
    ],
)
def test_roles(role: str, needed: Role, ok: bool) -> None:
    assert allows(role, needed) is ok


def test_lockout_after_failures(tracker: Tracker) -> None:
    with tracker.session() as session:
        add_user(session, "kim", role="viewer", password=GOOD, at=AT)
    for _ in range(MAX_FAILURES - 1):
        with tracker.session() as session:
            assert authenticate(session, "kim", "wrong", at=AT) is None
    with tracker.session() as session:  # a success resets the count
        assert authenticate(session, "kim", GOOD, at=AT) is not None
    for _ in range(MAX_FAILURES):
        with tracker.session() as session:
            assert authenticate(session, "kim", "wrong", at=AT) is None
    with tracker.session() as session:
        assert authenticate(session, "kim", GOOD, at=AT + LOCKOUT - timedelta(seconds=1)) is None
    with tracker.session() as session:
        assert authenticate(session, "kim", GOOD, at=AT + LOCKOUT + timedelta(seconds=1))


def test_sessions(tracker: Tracker) -> None:
    with tracker.session() as session:
        account = add_user(session, "kim", role="reviewer", password=GOOD, at=AT)
        token = start_session(session, account, at=AT)
        other = start_session(session, account, at=AT)
    with tracker.session() as session:
        live = resume_session(session, token, at=AT + IDLE_TIMEOUT - timedelta(seconds=1))
        assert live is not None and live.account.name == "kim" and len(live.csrf_token) > 30
        assert resume_session(session, "not-a-token", at=AT) is None
        assert resume_session(session, "", at=AT) is None
    with tracker.session() as session:  # idle from its last use, not from sign-in
        assert resume_session(session, token, at=AT + 2 * IDLE_TIMEOUT - timedelta(seconds=2))
    with tracker.session() as session:
        end_session(session, token)
        assert resume_session(session, token, at=AT) is None
    with tracker.session() as session:
        assert purge_sessions(session, at=AT + IDLE_TIMEOUT + timedelta(seconds=1)) == 1
        assert resume_session(session, other, at=AT) is None


@pytest.mark.parametrize("change", ["password", "disable"])
def test_a_new_password_or_disabling_ends_sessions(tracker: Tracker, change: str) -> None:
    with tracker.session() as session:
        account = add_user(session, "kim", role="viewer", password=GOOD, at=AT)
        token = start_session(session, account, at=AT)
    with tracker.session() as session:
        if change == "password":
            set_password(session, "kim", "another long one")
        else:
            set_active(session, "kim", False)
    with tracker.session() as session:
        assert resume_session(session, token, at=AT) is None
        expected = change == "password"
        assert (authenticate(session, "kim", "another long one", at=AT) is not None) is expected


@pytest.mark.parametrize(
    ("born", "on", "band"),
    [
        (date(2000, 6, 2), date(2018, 6, 1), "0-17"),
        (date(2000, 6, 1), date(2018, 6, 1), "18-39"),
        (date(1986, 6, 2), date(2026, 6, 1), "18-39"),
        (date(1986, 6, 1), date(2026, 6, 1), "40-64"),
        (date(1961, 6, 1), date(2026, 6, 1), "65-74"),
        (date(1951, 6, 1), date(2026, 6, 1), "75+"),
        (date(1951, 6, 2), date(2026, 6, 1), "65-74"),
        (None, date(2026, 6, 1), "unknown"),
        (date(2030, 1, 1), date(2026, 6, 1), "unknown"),
    ],
)
def test_age_bands(born: date | None, on: date, band: str) -> None:
    assert age_band(born, on, (18, 40, 65, 75)) == band


@pytest.mark.parametrize(
    ("value", "expected"), [("F", "female"), ("m", "male"), ("U", "unknown"), (None, "unknown")]
)
def test_sex(value: str | None, expected: str) -> None:
    assert _sex(value) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("02139", "021"),
        ("02139-4307", "021"),
        ("SW1A 1AA", "SW1"),
        ("12", "unknown"),
        (None, "unknown"),
    ],
)
def test_postal_prefix(code: str | None, expected: str) -> None:
    assert _prefix(code, 3) == expected


@pytest.mark.parametrize(
    ("sizes", "kept"),
    [
        ({"021": 20, "024": 11}, {"021": 20, "024": 11}),  # none small
        ({"021": 20, "024": 10}, {"021": 20}),  # one small group: left out
        ({"021": 20, "024": 6, "945": 6}, {"021": 20, SUPPRESSED: 12}),  # pooled
    ],
)
def test_small_postal_groups_are_suppressed(sizes: dict[str, int], kept: dict[str, int]) -> None:
    groups: dict[tuple[str, str], Tally] = {
        ("postal_prefix", k): Tally(recommendations=n) for k, n in sizes.items()
    }
    groups[("site", "A")] = Tally(recommendations=1)  # other dimensions are never suppressed
    _suppress(groups, 11)
    assert {k[1]: v.recommendations for k, v in groups.items() if k[0] == "postal_prefix"} == kept
    assert ("site", "A") in groups
