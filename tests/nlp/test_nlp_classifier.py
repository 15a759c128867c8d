"""The recommendation classifier: heads, encoder pinning, ONNX/torch agreement, pipeline use."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from radfollow.errors import ModelError
from radfollow.nlp.classifier import encoder as encoder_module
from radfollow.nlp.classifier.component import default_heads_path
from radfollow.nlp.classifier.head import Head, fit_logistic, load_heads, save_heads
from radfollow.nlp.classifier.onnx_export import export, is_valid_export, load_encoder
from radfollow.nlp.extract import ReportText

ROOT = Path(__file__).resolve().parents[2]


def _gated_sentences(extractor, limit: int = 120) -> list[str]:  # type: ignore[no-untyped-def]
    rows = [
        json.loads(line) for line in (ROOT / "corpora/gold/test.jsonl").read_text().splitlines()
    ]
    rules = extractor.nlp.get_pipe("radfollow_recommendation_rules_v1")
    texts = []
    for doc in extractor.nlp.pipe(r["text"] for r in rows[:60]):
        texts += [s.text.strip() for s in doc.sents if rules.gate(s.text)]
    return texts[:limit]


def test_fit_logistic_separates_and_is_deterministic() -> None:
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(1, 0.5, (50, 3)), rng.normal(-1, 0.5, (50, 3))])
    y = np.array([1.0] * 50 + [0.0] * 50)
    w1, b1 = fit_logistic(x, y)
    w2, b2 = fit_logistic(x, y)
    assert np.array_equal(w1, w2) and b1 == b2
    head = Head({"recommendation": w1.tolist()}, {"recommendation": b1}, ["a", "b", "c"])
    p = head.predict(x)["recommendation"]
    assert ((p > 0.5) == (y == 1)).mean() > 0.95


def test_heads_round_trip(tmp_path: Path) -> None:
    heads, meta = load_heads(default_heads_path())
    save_heads(tmp_path / "h.json", heads, meta)
    again, meta2 = load_heads(tmp_path / "h.json")
    assert meta2 == meta
    assert again["combined"].features == heads["combined"].features
    assert again["combined"].weights == heads["combined"].weights


def test_packaged_heads_are_small_and_pinned_to_the_encoder() -> None:
    path = default_heads_path()
    assert path.stat().st_size < 2_000_000
    _, meta = load_heads(path)
    assert meta["encoder_sha256"] == {
        k: v for k, v in encoder_module.lock()["files"].items() if k in meta["encoder_sha256"]
    }


def test_changed_model_file_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    lock = encoder_module.lock()
    lock["files"]["model.safetensors"] = "0" * 64
    monkeypatch.setattr(encoder_module, "lock", lambda: lock)
    encoder_module.resolve_model.cache_clear()
    try:
        with pytest.raises(ModelError, match="pinned sha256"):
            encoder_module.resolve_model(None)
    finally:
        encoder_module.resolve_model.cache_clear()


def test_folder_that_is_not_a_model_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not a Hugging Face model folder"):
        encoder_module.resolve_model(str(tmp_path))


@pytest.fixture(scope="module")
def encoders(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("onnx")
    return {
        "torch": load_encoder(backend="torch"),
        "fp32": load_encoder(backend="onnx", precision="fp32", directory=folder),
        "int8": load_encoder(backend="onnx", precision="int8", directory=folder),
    }


def test_onnx_export_is_recorded_against_its_source(tmp_path: Path) -> None:
    folder = encoder_module.resolve_model(None)
    path = export(folder, "fp32", tmp_path)
    assert is_valid_export(path, folder)
    meta = json.loads(path.with_suffix(".json").read_text())
    meta["source_sha256"]["model.safetensors"] = "changed"
    path.with_suffix(".json").write_text(json.dumps(meta))
    assert not is_valid_export(path, folder)


def test_onnx_and_torch_scores_agree(encoders, extractor) -> None:  # type: ignore[no-untyped-def]
    """ONNX fp32 (the default) gives torch's scores; int8 stays close for the default head."""
    heads, _ = load_heads(default_heads_path())
    rules = extractor.nlp.get_pipe("radfollow_recommendation_rules_v1")
    texts = _gated_sentences(extractor)
    signals = np.array([rules.features(t, "impression") for t in texts])
    scores = {}
    for name, enc in encoders.items():
        x = enc.encode(texts)
        scores[name] = {
            "classifier": heads["classifier"].predict(x)["recommendation"],
            "combined": heads["combined"].predict(np.hstack([x, signals]))["recommendation"],
        }
    for head in ("classifier", "combined"):
        assert np.abs(scores["fp32"][head] - scores["torch"][head]).max() < 1e-3
    int8, fp32 = scores["int8"]["combined"], scores["torch"]["combined"]
    assert ((int8 >= 0.5) == (fp32 >= 0.5)).mean() >= 0.97


def test_padding_does_not_change_embeddings(encoders) -> None:  # type: ignore[no-untyped-def]
    """fp32 paths give a sentence the same embedding whatever its batch.

    Dynamic int8 does not (activation ranges are taken per batch), which is why
    fp32 is the default precision.
    """
    short, long = "Recommend CT.", "Recommend follow-up CT chest in 6 to 12 months per Fleischner."
    for enc in (encoders["torch"], encoders["fp32"]):
        alone = enc.encode([short])[0]
        batched = enc.encode([short, long])[0]
        assert float(alone @ batched) > 0.999


def test_pipeline_scores_recommendations(full_extractor) -> None:  # type: ignore[no-untyped-def]
    text = (
        "FINDINGS: 6 mm nodule in the right upper lobe.\n"
        "IMPRESSION:\n1. 6 mm nodule.\n2. Recommend follow-up CT chest in 6-12 months.\n"
        "3. Clinical correlation is recommended."
    )
    result = full_extractor.extract(ReportText(text))
    assert [r.text for r in result.recommendations] == [
        "Recommend follow-up CT chest in 6-12 months."
    ]
    assert result.recommendations[0].score is not None and result.recommendations[0].score > 0.5


def test_missing_heads_file_is_a_clear_error(tmp_path: Path) -> None:
    from radfollow.nlp.extract import Extractor
    from radfollow.nlp.pipeline import PipelineConfig

    with pytest.raises(ModelError, match="cannot read classifier heads"):
        Extractor(config=PipelineConfig(heads=tmp_path / "nope.json"))
