"""End to end in a real browser: Debian's headless Chromium driven by Selenium.

Over the bundled sample tracker (``radfollow process corpora/hl7 --db``): sign
in, filter the worklist, open a recommendation and see its highlight, close it
with a reason, see the dashboard's count change, sign out. Screenshots of the
worklist, a detail page and the dashboard are written to the test's folder and,
when RADFOLLOW_SCREENSHOTS names a folder, there too (docs/images/ holds the
ones in docs/review-app.md).

Needs ``chromium`` and ``chromium-driver`` (apt); skipped without them, except
in CI (CI=true), where .ci/run installs them and their absence fails.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner

from radfollow.cli import app as cli
from radfollow.tracker.accounts import add_user
from radfollow.tracker.db import Tracker
from radfollow.web.app import create_app

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
PASSWORD = "sample password"


def _browser_or_skip() -> tuple[str, str]:
    if CHROMIUM and DRIVER:
        return CHROMIUM, DRIVER
    if os.environ.get("CI") == "true":
        pytest.fail("chromium and chromium-driver are not installed (apt) in CI")
    pytest.skip("no system chromium/chromedriver (apt-get install chromium chromium-driver)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[tuple[str, Tracker]]:
    db = f"sqlite:///{tmp_path / 'tracker.db'}"
    result = CliRunner().invoke(
        cli, ["process", str(ROOT / "corpora" / "hl7"), "--out", str(tmp_path / "out"), "--db", db]
    )
    assert result.exit_code == 0, result.output
    tracker = Tracker(db)
    with tracker.session() as session:
        add_user(session, "quality", role="reviewer", password=PASSWORD, at=datetime.now(UTC))
    port = _free_port()
    config = uvicorn.Config(
        create_app(tracker), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running.started, "the app did not start"
    yield f"http://127.0.0.1:{port}", tracker
    running.should_exit = True
    thread.join(timeout=10)
    tracker.close()


@pytest.fixture()
def browser(tmp_path: Path) -> Iterator[object]:
    binary, driver_path = _browser_or_skip()
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not download
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = binary
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1440,1000",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def _shot(driver: object, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    driver.save_screenshot(str(path))  # type: ignore[attr-defined]
    target = os.environ.get("RADFOLLOW_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(target) / path.name)


def test_a_quality_reviewer_closes_a_recommendation(server, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    base, _ = server
    d = browser
    d.get(f"{base}/worklist")
    assert "/login" in d.current_url  # no page without a session
    d.find_element(By.ID, "username").send_keys("quality")
    d.find_element(By.ID, "password").send_keys(PASSWORD)
    d.find_element(By.ID, "sign-in").click()
    wait = WebDriverWait(d, 15)
    wait.until(ec.url_matches(r"/worklist$"))
    everything = int(d.find_element(By.ID, "total").text)
    assert everything > 0

    # filter: overdue recommendations for a pulmonary nodule
    d.find_element(By.CSS_SELECTOR, 'input[name="status"][value="overdue"]').click()
    Select(d.find_element(By.ID, "f-finding_type")).select_by_value("pulmonary_nodule")
    d.find_element(By.ID, "apply").click()
    wait.until(ec.url_contains("status=overdue"))
    filtered = int(d.find_element(By.ID, "total").text)
    assert 0 < filtered < everything
    assert "status=overdue" in d.current_url
    statuses = {e.text for e in d.find_elements(By.CSS_SELECTOR, "#worklist .badge")}
    assert statuses == {"overdue"}
    _shot(d, tmp_path, "worklist")

    # the detail page with the recommendation highlighted
    d.find_element(By.CSS_SELECTOR, "#worklist tbody a").click()
    wait.until(ec.url_contains("/recommendations/"))
    mark = d.find_element(By.CSS_SELECTOR, 'mark[data-mark="recommendation"]')
    assert mark.is_displayed() and re.search(r"(?i)recommend|follow|suggest|ct", mark.text)
    background = mark.value_of_css_property("background-color")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    _shot(d, tmp_path, "detail")

    d.get(f"{base}/dashboard?all=1")
    closed_before = int(d.find_element(By.ID, "closed").text)
    d.back()
    wait.until(ec.url_contains("/recommendations/"))

    # close it with a coded reason
    Select(d.find_element(By.ID, "close-reason")).select_by_visible_text("patient declined")
    d.find_element(By.ID, "close-note").send_keys("declined by phone")
    d.find_element(By.ID, "close").click()
    wait.until(ec.url_contains("done=closed"))
    assert d.find_element(By.CSS_SELECTOR, ".notice").text == "Recommendation closed."
    assert d.find_element(By.ID, "status").text == "closed"
    assert "quality" in d.find_element(By.ID, "audit").text

    # the dashboard counts it
    d.get(f"{base}/dashboard?all=1")
    assert int(d.find_element(By.ID, "closed").text) == closed_before + 1
    assert d.find_elements(By.CSS_SELECTOR, "svg.chart")
    _shot(d, tmp_path, "dashboard")

    # sign out: the pages are gone
    d.find_element(By.ID, "logout").click()
    wait.until(ec.url_contains("/login"))
    d.get(f"{base}/worklist")
    assert "/login" in d.current_url
