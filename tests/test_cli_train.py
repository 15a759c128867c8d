"""`radfollow train` on a tiny synthetic corpus: heads written, deterministic, evaluated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from radfollow.cli import app
from radfollow.nlp.classifier.head import load_heads

runner = CliRunner()

REPORTS = [
    ("IMPRESSION:\n1. 6 mm nodule.\n2. Recommend follow-up CT chest in 6 months.", True),
    ("IMPRESSION:\n1. Adrenal nodule.\n2. Consider adrenal MRI if clinically indicated.", True),
    ("IMPRESSION:\n1. No acute findings.\n2. Clinical correlation is recommended.", False),
    ("IMPRESSION:\nCT of the chest was performed with contrast. No nodules.", False),
]
SENTENCES = [
    ("Recommend MRI of the abdomen.", True, False),
    ("Ultrasound could be obtained if clinically indicated.", True, True),
    ("Surgical consultation is recommended.", True, False),
    ("Consider PET/CT.", True, True),
    ("Comparison with prior studies would be helpful.", False, None),
    ("No follow-up imaging is recommended.", False, None),
    ("Axial CT images were obtained.", False, None),
    ("The nodule may represent a granuloma.", False, None),
]


def _gold(text: str, positive: bool, index: int) -> dict[str, object]:
    recs = []
    if positive:
        line = text.splitlines()[-1]
        start = text.index(line) + 3
        recs = [
            {
                "start": start,
                "end": len(text),
                "modality": None,
                "interval_months": None,
                "conditional": "if" in line,
            }
        ]
    return {
        "id": f"t{index}",
        "text": text,
        "findings": [],
        "recommendations": recs,
        "incidental_types": [],
    }


@pytest.fixture()
def corpora(tmp_path: Path) -> Path:
    root = tmp_path / "corpora"
    (root / "gold").mkdir(parents=True)
    (root / "sentences").mkdir()
    rows = [_gold(t, p, i) for i, (t, p) in enumerate(REPORTS)]
    for split in ("dev", "test"):
        (root / "gold" / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    lines = [
        {"id": f"s{i}", "text": t, "is_recommendation": p, "conditional": c}
        for i, (t, p, c) in enumerate(SENTENCES)
    ]
    (root / "sentences" / "train.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    return root


def test_train_writes_deterministic_heads_and_evaluates(corpora: Path, tmp_path: Path) -> None:
    outs = [tmp_path / "a.json", tmp_path / "b.json"]
    for out in outs:
        result = runner.invoke(app, ["train", "--corpora", str(corpora), "--out", str(out)])
        assert result.exit_code == 0, result.output
    assert outs[0].read_bytes() == outs[1].read_bytes()
    heads, meta = load_heads(outs[0])
    assert set(heads) == {"classifier", "combined"}
    # gated dev sentences: the two recommendations, "Clinical correlation is
    # recommended." and "CT of the chest was performed with contrast."
    assert meta["training_sentences"] == len(SENTENCES) + 4
    for system in ("rules-only", "classifier-only", "combined"):
        assert system in result.output


def test_train_refuses_a_folder_without_gold(tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "--corpora", str(tmp_path)])
    assert result.exit_code == 2


def test_fine_tune_writes_a_model_folder_outside_the_package(corpora: Path, tmp_path: Path) -> None:
    model = tmp_path / "site-model"
    result = runner.invoke(
        app, ["train", "--corpora", str(corpora), "--fine-tune", str(model), "--epochs", "1"]
    )
    assert result.exit_code == 0, result.output
    assert (model / "model.safetensors").is_file() and (model / "tokenizer.json").is_file()
    _, meta = load_heads(model / "radfollow_heads.json")
    assert meta["encoder"] == str(model)


def test_train_adds_a_sites_reports_and_sentences(corpora: Path, tmp_path: Path) -> None:
    site_reports = tmp_path / "site_reports.jsonl"
    site_reports.write_text(json.dumps(_gold(*REPORTS[0], 99)) + "\n")
    site_sentences = tmp_path / "site_sentences.jsonl"
    site_sentences.write_text(
        json.dumps(
            {
                "text": "Oblique views may better show the fracture line.",
                "is_recommendation": True,
                "conditional": True,
            }
        )
        + "\n"
    )
    out = tmp_path / "heads.json"
    args = ["train", "--corpora", str(corpora), "--out", str(out)]
    result = runner.invoke(
        app, [*args, "--reports", str(site_reports), "--sentences", str(site_sentences)]
    )
    assert result.exit_code == 0, result.output
    _, meta = load_heads(out)
    extra = meta["extra_training_files"]
    assert [(x["kind"], x["file"], x["sentences"]) for x in extra] == [
        ("reports", "site_reports.jsonl", 1),
        ("sentences", "site_sentences.jsonl", 1),
    ]
    assert meta["training_sentences"] == len(SENTENCES) + 4 + 2


def test_train_refuses_a_missing_extra_file(corpora: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    result = runner.invoke(app, ["train", "--corpora", str(corpora), "--sentences", str(missing)])
    assert result.exit_code == 2
    assert "not a file" in result.output


def test_calibrate_on_stores_platt_scaling_and_thresholds(corpora: Path, tmp_path: Path) -> None:
    labelled = tmp_path / "calibration.jsonl"
    labelled.write_text(
        "".join(json.dumps(_gold(t, p, i)) + "\n" for i, (t, p) in enumerate(REPORTS))
    )
    out = tmp_path / "heads.json"
    result = runner.invoke(
        app,
        ["train", "--corpora", str(corpora), "--out", str(out), "--calibrate-on", str(labelled)],
    )
    assert result.exit_code == 0, result.output
    heads, meta = load_heads(out)
    assert meta["calibrated_on"][0]["file"] == "calibration.jsonl"
    for name, head in heads.items():
        calibration, thresholds = head.meta["calibration"], head.meta["thresholds"]
        assert calibration["method"] == "platt" and calibration["sentences"] == 4
        assert calibration["brier_after"] <= calibration["brier_before"] + 1e-9
        assert 0 < thresholds["veto"] < 1 and 0 < thresholds["add"] < 1
        assert f"{name} head calibrated on 4 sentences" in result.output
