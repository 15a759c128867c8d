"""The review app's security: no page without a session, roles, CSRF, sign-in
throttling, idle timeout, cookie flags, headers, and no PHI in lists or logs."""

from __future__ import annotations

import ast
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from web_helpers import PASSWORD, REPORTS, Site, csrf_of, rec_ids, sign_in

from radfollow.tracker.accounts import LOCKOUT, MAX_FAILURES
from radfollow.web.security import SESSION_COOKIE
from radfollow.web.throttle import ClientThrottle

GET_PAGES = [
    "/",
    "/worklist",
    "/worklist?status=overdue",
    "/worklist.csv",
    "/worklist.xlsx",
    "/recommendations/1",
    "/dashboard",
    "/dashboard.csv?dim=site",
    "/admin/users",
]
ACTIONS = ["close", "reopen", "unmatch", "match", "assign", "note", "contact", "verify"]
POSTS = [f"/recommendations/1/{a}" for a in ACTIONS] + ["/admin/users", "/logout"]


@pytest.mark.parametrize("path", GET_PAGES)
def test_no_page_without_a_session(site: Site, path: str) -> None:
    response = site.client().get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    assert "MRN1" not in response.text and "nodule" not in response.text


@pytest.mark.parametrize("path", POSTS)
def test_no_action_without_a_session(site: Site, path: str) -> None:
    response = site.client().post(path, data={"csrf_token": "x"}, follow_redirects=False)
    assert response.status_code == 401


def test_the_login_page_and_static_files_need_no_session(site: Site) -> None:
    client = site.client()
    assert client.get("/login").status_code == 200
    assert client.get("/static/app.css").status_code == 200


def test_no_api_docs_are_exposed(site: Site) -> None:
    client = site.client()
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert client.get(path).status_code == 404


def _audit_count(site: Site) -> int:
    from radfollow.tracker.schema import ReviewAction

    with site.tracker.session() as session:
        return session.query(ReviewAction).count()


@pytest.mark.parametrize("action", ACTIONS)
def test_a_viewers_post_is_refused(site: Site, action: str) -> None:
    client = site.login("viewer")
    rec = rec_ids(site.tracker)[0]
    token = csrf_of(client.get(f"/recommendations/{rec}").text)
    before = _audit_count(site)
    data = {
        "csrf_token": token,
        "reason": "not indicated",
        "note": "n",
        "kind": "letter sent",
        "verdict": "correct",
        "accession": "ACC2",
        "assignee": "viewer",
    }
    response = client.post(f"/recommendations/{rec}/{action}", data=data, follow_redirects=False)
    assert response.status_code == 403
    assert "may not" in response.text
    assert _audit_count(site) == before


def test_a_viewer_sees_no_action_forms(site: Site) -> None:
    client = site.login("viewer")
    page = client.get(f"/recommendations/{rec_ids(site.tracker)[0]}").text
    assert "/close" not in page and "Verify the extraction" not in page
    reviewer = site.login("reviewer")
    assert "/close" in reviewer.get(f"/recommendations/{rec_ids(site.tracker)[0]}").text


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_post_without_the_sessions_csrf_token_is_refused(site: Site, token: str | None) -> None:
    client = site.login("reviewer")
    rec = rec_ids(site.tracker)[0]
    data = {"reason": "not indicated"} | ({"csrf_token": token} if token is not None else {})
    before = _audit_count(site)
    response = client.post(f"/recommendations/{rec}/close", data=data, follow_redirects=False)
    assert response.status_code == 403
    assert _audit_count(site) == before


def test_another_sessions_csrf_token_is_refused(site: Site) -> None:
    mine, theirs = site.login("reviewer"), site.login("admin")
    rec = rec_ids(site.tracker)[0]
    their_token = csrf_of(theirs.get("/worklist").text)
    response = mine.post(
        f"/recommendations/{rec}/note",
        data={"csrf_token": their_token, "note": "x"},
        follow_redirects=False,
    )
    assert response.status_code == 403


def test_the_right_csrf_token_lets_a_reviewer_act(site: Site) -> None:
    client = site.login("reviewer")
    rec = rec_ids(site.tracker)[0]
    token = csrf_of(client.get(f"/recommendations/{rec}").text)
    response = client.post(
        f"/recommendations/{rec}/note",
        data={"csrf_token": token, "note": "called"},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_sign_in_needs_the_forms_token(site: Site) -> None:
    client = site.client()
    response = client.post(
        "/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": "x"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.cookies


@pytest.mark.parametrize(
    ("name", "password", "ok"),
    [
        ("admin", PASSWORD, True),
        ("admin", "wrong password", False),
        ("nobody", PASSWORD, False),
        (" admin ", PASSWORD, True),
        ("ADMIN", PASSWORD, False),
    ],
)
def test_sign_in(site: Site, name: str, password: str, ok: bool) -> None:
    response = sign_in(site.client(), name, password)
    assert response.status_code == (303 if ok else 401)  # type: ignore[attr-defined]


def test_an_account_locks_after_failures_and_unlocks_later(site: Site) -> None:
    client = site.client()
    for _ in range(MAX_FAILURES):
        assert sign_in(client, "reviewer", "wrong password").status_code == 401  # type: ignore[attr-defined]
    assert sign_in(client, "reviewer", PASSWORD).status_code == 401  # type: ignore[attr-defined]
    site.clock.advance(LOCKOUT + timedelta(seconds=1))
    assert sign_in(client, "reviewer", PASSWORD).status_code == 303  # type: ignore[attr-defined]


def test_one_client_address_is_throttled() -> None:
    throttle = ClientThrottle(limit=3, window=60)
    for _ in range(3):
        assert not throttle.blocked("10.0.0.1")
        throttle.failed("10.0.0.1")
    assert throttle.blocked("10.0.0.1")
    assert not throttle.blocked("10.0.0.2")


def test_a_disabled_user_cannot_sign_in(site: Site) -> None:
    from radfollow.tracker.accounts import set_active

    client = site.login("viewer")
    with site.tracker.session() as session:
        set_active(session, "viewer", False)
    assert client.get("/worklist", follow_redirects=False).status_code == 303
    assert sign_in(site.client(), "viewer", PASSWORD).status_code == 401  # type: ignore[attr-defined]


def test_an_idle_session_ends(site: Site) -> None:
    client = site.login("viewer")
    site.clock.advance(timedelta(minutes=29))
    assert client.get("/worklist", follow_redirects=False).status_code == 200
    site.clock.advance(timedelta(minutes=29))  # used 29 minutes ago: still live
    assert client.get("/worklist", follow_redirects=False).status_code == 200
    site.clock.advance(timedelta(minutes=31))
    assert client.get("/worklist", follow_redirects=False).status_code == 303


def test_sign_out_ends_the_session(site: Site) -> None:
    client = site.login("viewer")
    cookie = client.cookies[SESSION_COOKIE]
    token = csrf_of(client.get("/worklist").text)
    assert (
        client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code
        == 303
    )
    again = site.client()
    again.cookies.set(SESSION_COOKIE, cookie)
    assert again.get("/worklist", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("secure", [False, True])
def test_session_cookie_flags(site: Site, secure: bool) -> None:
    response = sign_in(site.client(secure=secure), "viewer", PASSWORD)
    cookie = next(
        v
        for k, v in response.headers.multi_items()
        if k == "set-cookie" and v.startswith(SESSION_COOKIE)  # type: ignore[attr-defined]
    )
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert ("Secure" in cookie) is secure
    assert "Max-Age" not in cookie  # ends with the browser; the server ends it when idle


def test_the_database_never_holds_the_cookie_token(site: Site) -> None:
    from radfollow.tracker.schema import WebSession

    client = site.login("viewer")
    with site.tracker.session() as session:
        stored = [s.token_hash for s in session.query(WebSession)]
    assert client.cookies[SESSION_COOKIE] not in stored and len(stored) == 1


def test_sign_in_returns_only_to_a_local_page(site: Site) -> None:
    client = site.client()
    for target, expected in [
        ("/dashboard", "/dashboard"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
    ]:
        token = csrf_of(client.get("/login").text)
        response = client.post(
            "/login",
            data={"username": "viewer", "password": PASSWORD, "csrf_token": token, "next": target},
            follow_redirects=False,
        )
        assert response.headers["location"] == expected


def test_security_headers(site: Site) -> None:
    response = site.login("viewer").get("/worklist")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("path", ["/admin/users"])
def test_only_admins_manage_users(site: Site, path: str) -> None:
    for name, code in [("viewer", 403), ("reviewer", 403), ("admin", 200)]:
        assert site.login(name).get(path).status_code == code
    reviewer = site.login("reviewer")
    token = csrf_of(reviewer.get("/worklist").text)
    response = reviewer.post(
        path,
        data={"csrf_token": token, "op": "add", "name": "x", "role": "admin", "password": "p" * 9},
    )
    assert response.status_code == 403


def test_lists_show_no_report_text(site: Site) -> None:
    client = site.login("viewer")
    sentence = "Recommend follow-up chest CT"
    for path in ("/worklist", "/worklist.csv", "/dashboard", "/dashboard.csv?dim=site"):
        assert sentence not in client.get(path).text, path
    assert sentence in client.get(f"/recommendations/{rec_ids(site.tracker)[0]}").text


def test_no_phi_in_the_server_log(site: Site, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="radfollow.web")
    client = site.login("reviewer")
    rec = rec_ids(site.tracker)[0]
    client.get("/worklist?radiologist=Dr+Lee&site=NORTH")
    page = client.get(f"/recommendations/{rec}").text
    client.post(
        f"/recommendations/{rec}/note",
        data={"csrf_token": csrf_of(page), "note": "patient MRN1 called"},
    )
    logged = caplog.text
    assert "/recommendations/{rec_id}" in logged  # the route, not the values
    for secret in ("MRN1", "Dr Lee", "nodule", PASSWORD, "called", REPORTS[0][0]):
        assert secret not in logged


def test_the_web_layer_holds_no_sql() -> None:
    """It calls the tracker's functions; sqlalchemy appears only as the Session type."""
    offenders = []
    for path in (Path(__file__).parents[2] / "radfollow" / "web").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
                names = [a.name for a in node.names]
                if node.module != "sqlalchemy.orm" or names != ["Session"]:
                    offenders.append(f"{path.name}: {node.module} {names}")
            if isinstance(node, ast.Import) and any(
                a.name.startswith("sqlalchemy") for a in node.names
            ):
                offenders.append(path.name)
    assert offenders == []


def test_the_sign_in_page_throttles_one_address(site: Site) -> None:
    client = site.client()
    client.app.state.web.throttle = ClientThrottle(limit=2, window=60)  # type: ignore[attr-defined]
    codes = [sign_in(client, f"user{i}", "wrong").status_code for i in range(3)]  # type: ignore[attr-defined]
    assert codes == [401, 401, 429]
    assert sign_in(client, "admin", PASSWORD).status_code == 429  # type: ignore[attr-defined]


def test_an_unexpected_error_logs_no_values(
    site: Site, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from radfollow.web.pages import worklist

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("patient MRN1 Dr Lee")

    client = site.login("viewer")
    monkeypatch.setattr(worklist, "known_values", broken)
    caplog.set_level(logging.INFO, logger="radfollow.web")
    response = client.get("/worklist")
    assert response.status_code == 500 and "MRN1" not in response.text
    assert "ValueError at " in caplog.text and "MRN1" not in caplog.text


def test_a_new_sign_in_replaces_the_browsers_old_session(site: Site) -> None:
    client = site.login("viewer")
    old = client.cookies[SESSION_COOKIE]
    assert sign_in(client, "viewer", PASSWORD).status_code == 303  # type: ignore[attr-defined]
    assert client.cookies[SESSION_COOKIE] != old
    stale = site.client()
    stale.cookies.set(SESSION_COOKIE, old)
    assert stale.get("/worklist", follow_redirects=False).status_code == 303


def test_idle_is_measured_from_the_last_request(site: Site) -> None:
    client = site.login("viewer")
    site.clock.advance(timedelta(seconds=29))
    assert client.get("/worklist", follow_redirects=False).status_code == 200
    site.clock.advance(timedelta(minutes=29, seconds=50))
    assert client.get("/worklist", follow_redirects=False).status_code == 200


def test_hsts_only_under_tls(site: Site) -> None:
    assert "strict-transport-security" not in site.login("viewer").get("/worklist").headers
    secure = site.login("viewer", secure=True).get("/worklist")
    assert secure.headers["strict-transport-security"] == "max-age=31536000"


def test_a_huge_body_is_refused(site: Site) -> None:
    response = site.client().post("/login", content=b"x" * 1_000_001)
    assert response.status_code == 413


def test_health_check_needs_no_session_and_shows_no_data(site: Site) -> None:
    client = site.client()
    response = client.get("/healthz")
    assert response.status_code == 200 and response.text == "ok"
    assert client.head("/healthz").status_code == 200


def test_a_failed_export_says_so_and_logs_no_values(
    site: Site, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from radfollow.web.pages import worklist

    real = worklist._chunk

    def flaky(request, view, as_of, offset, *rest):  # type: ignore[no-untyped-def]
        if offset:
            raise RuntimeError("MRN1 in a database message")
        return real(request, view, as_of, offset, *rest)

    monkeypatch.setattr(worklist, "EXPORT_CHUNK", 1)
    monkeypatch.setattr(worklist, "_chunk", flaky)
    caplog.set_level(logging.INFO, logger="radfollow.web")
    text = site.login("viewer").get("/worklist.csv").content.decode("utf-8-sig")
    assert text.strip().split("\r\n")[-1].startswith('"export failed')
    assert "RuntimeError at " in caplog.text and "MRN1 in" not in caplog.text
