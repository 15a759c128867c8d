"""The review app's pages: worklist filters, counts, sorting, paging and exports;
the detail page's highlight and actions; the dashboard's numbers against
``tracker stats``; users."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import openpyxl
import pytest
from typer.testing import CliRunner
from web_helpers import NOW, PASSWORD, Site, csrf_of, sign_in

from radfollow.cli import app as cli
from radfollow.tracker.queries import Filters, count, stats

runner = CliRunner()


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<td><a href="/recommendations/(\d+)">', html)]


def _rec_of(site: Site, accession: str) -> int:
    from radfollow.tracker.queries import worklist

    with site.tracker.session() as session:
        rows = worklist(session, Filters(), as_of=NOW, grace=timedelta(days=30), limit=None)
    return next(r.id for r in rows if r.accession == accession)


@pytest.mark.parametrize(
    ("query", "accessions"),
    [
        ("", ["ACC1", "ACC2", "ACC3"]),
        ("status=overdue", ["ACC1", "ACC2"]),
        ("status=open", ["ACC3"]),
        ("status=open&status=overdue", ["ACC1", "ACC2", "ACC3"]),
        ("status=completed", []),
        ("finding_type=renal_lesion", ["ACC2"]),
        ("finding_type=thyroid_nodule", []),
        ("modality=MR", ["ACC2", "ACC3"]),
        ("modality=CT", ["ACC1"]),
        ("radiologist=Dr+Lee", ["ACC1", "ACC2"]),
        ("radiologist=Dr+Nobody", []),
        ("provider=Dr+Ames", ["ACC1", "ACC3"]),
        ("site=SOUTH", ["ACC2"]),
        ("patient_class=inpatient", ["ACC3"]),
        ("patient_class=outpatient", ["ACC1"]),
        ("region=liver", ["ACC3"]),
        ("region=thyroid", []),
        ("due_from=2027-01-01", ["ACC3"]),
        ("due_to=2026-01-01", ["ACC1"]),
        ("assignee=-", ["ACC1", "ACC2", "ACC3"]),
        ("assignee=viewer", []),
    ],
)
def test_worklist_filters(site: Site, query: str, accessions: list[str]) -> None:
    page = site.login("viewer").get(f"/worklist?{query}").text
    shown = sorted(a for a in ("ACC1", "ACC2", "ACC3") if f">{a}<" in page)
    assert shown == accessions
    assert f'<span id="total">{len(accessions)}</span>' in page


@pytest.mark.parametrize(
    "query", ["status=bogus", "modality=XX", "due_from=tomorrow", "sort=random", "page=x"]
)
def test_a_bad_filter_is_a_clear_400(site: Site, query: str) -> None:
    response = site.login("viewer").get(f"/worklist?{query}")
    assert response.status_code == 400
    assert 'role="alert"' in response.text


def test_counts_per_status_match_the_tracker(site: Site) -> None:
    page = site.login("viewer").get("/worklist?status=open").text
    counts = dict(re.findall(r'id="count-(\w+)">(\d+)<', page))
    tracker = site.tracker
    with tracker.session() as session:
        for status in ("open", "overdue", "completed"):
            expected = count(
                session,
                Filters(statuses=[status]),
                as_of=NOW,
                grace=tracker.policy.grace,
                lead=tracker.policy.coming_due,
            )
            assert int(counts[status]) == expected


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("due_end", ["ACC1", "ACC2", "ACC3"]),
        ("due_start", ["ACC1", "ACC2", "ACC3"]),
        # not conditional, then the policy's finding order: pulmonary nodule, renal, hepatic
        ("priority", ["ACC1", "ACC2", "ACC3"]),
    ],
)
def test_sorting(site: Site, sort: str, order: list[str]) -> None:
    page = site.login("viewer").get(f"/worklist?sort={sort}").text
    shown = re.findall(r">(ACC\d)<", page)
    assert shown == order


def test_priority_puts_finding_types_in_the_policys_order(site: Site) -> None:
    from radfollow.tracker.queries import worklist

    with site.tracker.session() as session:
        rows = worklist(
            session,
            Filters(),
            as_of=NOW,
            grace=timedelta(days=30),
            limit=None,
            sort="priority",
            priority=("hepatic_lesion", "renal_lesion"),
        )
    assert [r.accession for r in rows] == ["ACC3", "ACC2", "ACC1"]


def test_paging(site: Site) -> None:
    client = site.login("viewer")
    client.app.state.web.page_size = 2  # type: ignore[attr-defined]
    first, second = client.get("/worklist").text, client.get("/worklist?page=2").text
    assert len(_ids(first)) == 2 and len(_ids(second)) == 1
    assert set(_ids(first)).isdisjoint(_ids(second))
    assert 'rel="next"' in first and 'rel="prev"' in second


def test_my_worklist_after_assigning(site: Site) -> None:
    client = site.login("reviewer")
    rec = _rec_of(site, "ACC2")
    token = csrf_of(client.get(f"/recommendations/{rec}").text)
    response = client.post(
        f"/recommendations/{rec}/assign", data={"csrf_token": token, "assignee": "reviewer"}
    )
    assert "Assignment saved." in response.text
    mine = client.get("/worklist?mine=1").text
    assert _ids(mine) == [rec] and "My worklist" in mine
    assert _ids(site.login("viewer").get("/worklist?mine=1").text) == []
    bad = client.post(
        f"/recommendations/{rec}/assign", data={"csrf_token": token, "assignee": "ghost"}
    )
    assert bad.status_code == 400 and "no active user" in bad.text


def test_exports_hold_the_current_view(site: Site) -> None:
    client = site.login("viewer")
    csv_text = client.get("/worklist.csv?status=overdue").content.decode("utf-8-sig")
    lines = csv_text.strip().split("\r\n")
    assert lines[0].startswith('"id","status"') and '"evidence"' not in lines[0]
    assert len(lines) == 1 + 2
    book = openpyxl.load_workbook(io.BytesIO(client.get("/worklist.xlsx?status=overdue").content))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:2] == ("id", "status") and len(rows) == 3
    assert {r[1] for r in rows[1:]} == {"overdue"}


def test_detail_highlights_the_recommendation_and_its_finding(site: Site) -> None:
    page = site.login("viewer").get(f"/recommendations/{_rec_of(site, 'ACC1')}").text
    marked = re.search(r'data-mark="recommendation">([^<]+)</mark>', page)
    assert marked and marked.group(1).startswith("Recommend follow-up chest CT in 6-12 months")
    assert re.search(r'<mark class="finding">[^<]*nodule', page)
    assert '<span class="section" title="impression">IMPRESSION:</span>' in page
    assert "(in impression)" in page
    assert "the report&#39;s interval, 6 to 12 months after the study" in page


def test_detail_of_an_unknown_recommendation(site: Site) -> None:
    client = site.login("viewer")
    for rec in (999, 0, 2**70):
        assert client.get(f"/recommendations/{rec}").status_code in (404, 422)


def _post(client, rec: int, action: str, **data: str):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get(f"/recommendations/{rec}").text)
    return client.post(f"/recommendations/{rec}/{action}", data={"csrf_token": token, **data})


def test_close_and_reopen_are_audited_with_the_users_name(site: Site) -> None:
    client = site.login("reviewer")
    rec = _rec_of(site, "ACC1")
    missing = _post(client, rec, "close", note="x")
    assert missing.status_code == 400 and "choose a reason" in missing.text
    page = _post(client, rec, "close", reason="patient declined", note="by phone").text
    assert "Recommendation closed." in page and 'id="status">closed<' in page
    assert "<td>reviewer</td><td>closed</td><td>patient declined: by phone</td>" in page
    again = _post(client, rec, "close", reason="deceased")
    assert again.status_code == 400  # the close form is gone; the action says why
    page = _post(client, rec, "reopen", note="wrong patient").text
    assert "<td>reviewer</td><td>reopened</td><td>wrong patient</td>" in page


def test_notes_contacts_and_verification(site: Site) -> None:
    client = site.login("reviewer")
    rec = _rec_of(site, "ACC2")
    assert _post(client, rec, "note", note="").status_code == 400
    page = _post(client, rec, "note", note="left a message").text
    assert "<td>note</td><td>left a message</td>" in page
    assert _post(client, rec, "contact", kind="smoke signal").status_code == 400
    page = _post(client, rec, "contact", kind="letter sent", note="to PCP").text
    assert "<td>contact</td><td>letter sent: to PCP</td>" in page
    assert _post(client, rec, "verify", verdict="wrong_values").status_code == 400
    assert _post(client, rec, "verify", verdict="wrong_values", interval_min="x").status_code == 400
    page = _post(
        client,
        rec,
        "verify",
        verdict="wrong_values",
        modality="CT",
        interval_min="6",
        interval_max="12",
    ).text
    assert "wrong_values: modality CT, interval 6-12 months" in page


def test_matching_from_the_page(site: Site) -> None:
    client = site.login("reviewer")
    rec = _rec_of(site, "ACC1")
    wrong = _post(client, rec, "match", accession="NOPE")
    assert wrong.status_code == 400 and "has no study NOPE" in wrong.text
    assert _post(client, rec, "unmatch", reason="x").status_code == 400  # nothing matched


def test_export_labels(site: Site, tmp_path) -> None:  # type: ignore[no-untyped-def]
    client = site.login("reviewer")
    first, second = _rec_of(site, "ACC1"), _rec_of(site, "ACC2")
    _post(client, first, "verify", verdict="correct")
    _post(client, second, "verify", verdict="not_recommendation")
    _post(client, second, "verify", verdict="wrong_values", interval_min="1")
    out = tmp_path / "labels.jsonl"
    result = runner.invoke(
        cli, ["tracker", "export-labels", "--db", site.tracker.url, "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    labels = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(x["recommendation_id"], x["verdict"]) for x in labels] == [
        (first, "correct"),
        (second, "wrong_values"),
    ]
    assert labels[0]["sentence"].startswith("Recommend follow-up chest CT")
    assert labels[0]["modality"] == "CT" and labels[0]["interval_min"] == 6
    assert labels[1]["interval_min"] == 1 and labels[1]["interval_max"] == 1
    assert labels[1]["extracted"]["interval_min"] == 3


def _stats_all(site: Site, **kwargs) -> dict:  # type: ignore[no-untyped-def,type-arg]
    tracker = site.tracker
    with tracker.session() as session:
        rows = stats(
            session,
            Filters(),
            as_of=NOW,
            grace=tracker.policy.grace,
            lead=tracker.policy.coming_due,
            by=("site",),
            **kwargs,
        )
    return {(r.group, r.value): r for r in rows}


def test_the_dashboard_shows_the_trackers_numbers(site: Site) -> None:
    client = site.login("reviewer")
    page = client.get("/dashboard?all=1").text
    overall = _stats_all(site)[("all", "all")]
    shown = re.search(r'id="recommendations">(\d+)<', page)
    assert shown and int(shown.group(1)) == 3  # every recommendation, superseded left out
    assert f"of {overall.recommendations} imaging follow-ups" in page
    adherence = re.search(r'id="adherence">([^<]+)<', page)
    expected = "n/a" if overall.adherence is None else f"{100 * overall.adherence:.1f}%"
    assert adherence and adherence.group(1) == expected
    assert 'id="closed">0<' in page
    _post(client, _rec_of(site, "ACC1"), "close", reason="done elsewhere")
    page = client.get("/dashboard?all=1").text
    assert 'id="closed">1<' in page
    assert _stats_all(site)[("all", "all")].adherent == overall.adherent + 1
    assert "<svg" in page and "<script" not in page


def test_the_dashboard_defaults_to_the_last_twelve_months(site: Site) -> None:
    page = site.login("viewer").get("/dashboard").text
    assert re.search(r'id="recommendations">2<', page)  # ACC1 (2025-01) is older


def test_dashboard_csv_equals_tracker_stats(site: Site) -> None:
    text = site.login("viewer").get("/dashboard.csv?dim=site&all=1").content.decode("utf-8-sig")
    lines = text.strip().split("\r\n")
    assert lines[0].startswith('"group","value","recommendations"')
    expected = _stats_all(site)
    assert len(lines) - 1 == len(expected)
    assert site.login("viewer").get("/dashboard.csv?dim=nope").status_code == 400


def test_the_cli_stats_agree_with_the_page(site: Site) -> None:
    result = runner.invoke(
        cli,
        [
            "tracker",
            "stats",
            "--db",
            site.tracker.url,
            "--by",
            "site",
            "--format",
            "json",
            "--as-of",
            NOW.date().isoformat(),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = {(r["group"], r["value"]): r for r in json.loads(result.output)}
    page = site.login("viewer").get("/dashboard?all=1").text
    block = page.split('id="by-site"')[1].split("</section>")[0]
    for value in ("NORTH", "SOUTH"):
        row = rows[("site", value)]
        assert (
            f"<td>{value}</td><td>{row['recommendations']}</td><td>{row['adherent']}</td>" in block
        )


def test_users_page_adds_a_user_who_can_sign_in(site: Site) -> None:
    client = site.login("admin")
    token = csrf_of(client.get("/admin/users").text)
    short = client.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "op": "add",
            "name": "kim",
            "role": "viewer",
            "password": "short",
        },
    )
    assert short.status_code == 400 and "at least 8" in short.text
    added = client.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "op": "add",
            "name": "kim",
            "role": "viewer",
            "password": "long enough",
        },
    )
    assert "User saved." in added.text and "<td>kim</td>" in added.text
    assert sign_in(site.client(), "kim", "long enough").status_code == 303  # type: ignore[attr-defined]
    own = client.post(
        "/admin/users", data={"csrf_token": token, "op": "role", "name": "admin", "role": "viewer"}
    )
    assert own.status_code == 400


def test_users_cli(site: Site) -> None:
    db = site.tracker.url
    added = runner.invoke(
        cli,
        ["users", "add", "sam", "--role", "reviewer", "--password-stdin", "--db", db],
        input="a good password\n",
    )
    assert added.exit_code == 0, added.output
    assert sign_in(site.client(), "sam", "a good password").status_code == 303  # type: ignore[attr-defined]
    again = runner.invoke(
        cli,
        ["users", "add", "sam", "--role", "viewer", "--password-stdin", "--db", db],
        input="a good password\n",
    )
    assert again.exit_code == 1 and "exists" in again.output
    bad_role = runner.invoke(cli, ["users", "add", "x", "--role", "root", "--db", db])
    assert bad_role.exit_code == 2
    listed = runner.invoke(cli, ["users", "list", "--db", db])
    assert "sam\treviewer\tactive" in listed.output
    assert PASSWORD not in listed.output


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("page=100000000000000000000", "page must be 1 to"),
        ("page=0", "page must be 1 to"),
        ("due_to=9999-12-31", None),
        ("since=0001-01-01", None),
    ],
)
def test_extreme_values_are_400_or_fine(site: Site, query: str, reason: str | None) -> None:
    response = site.login("viewer").get(f"/worklist?{query}")
    if reason is None:
        assert response.status_code in (200, 400)
    else:
        assert response.status_code == 400 and reason in response.text


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01"])
def test_dates_at_the_edges_of_time_in_any_zone(value: str) -> None:
    from zoneinfo import ZoneInfo

    from starlette.datastructures import QueryParams

    from radfollow.web.views import ViewError, parse_view

    for zone in ("America/New_York", "Asia/Tokyo"):
        for name in ("due_from", "due_to", "since", "until"):
            try:
                parse_view(QueryParams({name: value}), me="x", tz=ZoneInfo(zone))
            except ViewError as error:
                assert "out of range" in str(error)


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "601"])
def test_a_corrected_interval_must_be_a_real_number_of_months(site: Site, value: str) -> None:
    client = site.login("reviewer")
    response = _post(
        client,
        _rec_of(site, "ACC1"),
        "verify",
        verdict="wrong_values",
        interval_min=value,
        interval_max=value,
    )
    assert response.status_code == 400


def _counts(page: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'id="count-(\w+)">(\d+)<', page)}


def _computed(site: Site) -> dict[str, int]:
    from radfollow.tracker.queries import status_counts

    tracker = site.tracker
    with tracker.session() as session:
        return status_counts(
            session,
            Filters(),
            as_of=site.clock(),
            grace=tracker.policy.grace,
            lead=tracker.policy.coming_due,
            tz=tracker.timezone,
        )


def test_counts_follow_actions_and_time_through_the_cache(site: Site) -> None:
    client = site.login("reviewer")
    assert _counts(client.get("/worklist").text) == _computed(site)
    _post(client, _rec_of(site, "ACC3"), "close", reason="not indicated")
    assert _counts(client.get("/worklist").text) == _computed(site)
    assert _computed(site)["closed"] == 1
    for days in (90, 200, 400):  # windows open and close: statuses change by time
        site.clock.advance(timedelta(days=days))
        client = site.login("reviewer")
        assert _counts(client.get("/worklist").text) == _computed(site)


def test_figures_are_computed_once_while_nothing_changes(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    from radfollow.tracker.facts import Facts
    from radfollow.web.pages import dashboard

    calls = []
    for owner, name in ((dashboard, "stats"), (Facts, "stats")):  # the queries or the copy
        real = getattr(owner, name)

        def counted(*args, real=real, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(1)
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, counted)
    client = site.login("reviewer")
    first = client.get("/dashboard?all=1").text
    assert client.get("/dashboard?all=1").text == first and len(calls) == 1
    client.get("/dashboard.csv?dim=site&all=1")
    assert len(calls) == 1  # the CSV is the page's figures
    _post(client, _rec_of(site, "ACC1"), "note", note="a note changes no figure")
    client.get("/dashboard?all=1")
    assert len(calls) == 1
    _post(client, _rec_of(site, "ACC1"), "close", reason="deceased")
    assert 'id="closed">1<' in client.get("/dashboard?all=1").text
    assert len(calls) == 2
