"""The listener delivers notifications as it runs (issue 17, ``--notify-every``): a
critical result without documented communication, received over MLLP, reaches the
site's webhook within seconds."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from mllp_client import Client, Listener, ack_code, wait_for
from notify_helpers import running_receiver

CRITICAL = (
    "MSH|^~\\&|RIS|HOSP|RADFOLLOW|HOSP|{now}||ORU^R01|CRIT1|P|2.5.1\r"
    "PID|1||P1^^^HOSP^MR||DOE^JANE||19600101|F\r"
    "OBR|1||ACC-CRIT|71010^CHEST XRAY^CPT|||{now}+0000|||||||||||||||||CR|F\r"
    "OBX|1|TX|RPT||IMPRESSION: New large left pneumothorax.||||||F\r"
)


def test_listener_sends_uncommunicated_critical(tmp_path: Path, monkeypatch) -> None:
    with running_receiver() as receiver:
        rules = tmp_path / "rules"
        rules.mkdir()
        channel = {"name": "hook", "kind": "webhook", "events": ["uncommunicated_critical"],
                   "url": receiver.url + "/hook", "secret_env": "RF_LISTENER_SECRET"}  # fmt: skip
        (rules / "notify.json").write_text(json.dumps({"description": "t", "channels": [channel]}))
        monkeypatch.setenv("RF_LISTENER_SECRET", "listener-secret")
        assert os.environ["RF_LISTENER_SECRET"]
        db = f"sqlite:///{tmp_path / 'inbox.db'}"
        listener = Listener(db, tmp_path / "out", "--rules", str(rules), "--notify-every", "1")
        now = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        client = Client(listener.port)
        assert ack_code(client.send(CRITICAL.format(now=now).encode())) == "AA"
        client.close()
        assert wait_for(lambda: len(receiver.requests) == 1, 60)
        assert listener.terminate() == 0
    body = json.loads(receiver.requests[0].body)
    assert (body["event"], body["accession"]) == ("uncommunicated_critical", "ACC-CRIT")
    assert body["critical_results"] == ["Pneumothorax"]
