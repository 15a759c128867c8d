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
from radfollow.nlp.extensions import CANDIDATES
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
        Extractor(config=PipelineConfig(classifier=True, heads=tmp_path / "nope.json"))


PIPE_TEXTS = [
    "IMPRESSION: 6 mm nodule. Recommend follow-up CT chest in 6-12 months.",
    "FINDINGS: Clear lungs.\nIMPRESSION: No acute disease.",
    "IMPRESSION: Adrenal nodule. MRI could be obtained for further characterization.",
    "IMPRESSION: 6 mm nodule. Recommend follow-up CT chest in 6-12 months.",
    "Consider ultrasound if clinically indicated.",
]


@pytest.mark.parametrize("batch_size", [1, 2, 64])
def test_overlapped_pipe_equals_one_doc_at_a_time(full_extractor, batch_size: int) -> None:  # type: ignore[no-untyped-def]
    """Batches scored on the background thread give the same spans and scores, in order."""

    def summary(doc):  # type: ignore[no-untyped-def]
        # Scores agree to float rounding: an embedding may come from another batch.
        return [
            (s.start, s.end, round(s._.rad_score, 6), s._.rad_conditional)
            for s in doc.spans[CANDIDATES]
        ]

    nlp = full_extractor.nlp
    cache = nlp.get_pipe("radfollow_recommendation_classifier_v1").embedding_cache
    cache.clear()
    piped = [summary(d) for d in nlp.pipe(PIPE_TEXTS, batch_size=batch_size)]
    cache.clear()  # each document encoded again, alone
    single = [summary(nlp(t)) for t in PIPE_TEXTS]
    assert piped == single
    assert piped[0] and piped[0] == piped[3]
    assert not piped[1]


def test_repeated_sentences_are_encoded_once(full_extractor, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    clf = full_extractor.nlp.get_pipe("radfollow_recommendation_classifier_v1")
    encoded: list[str] = []
    real = clf.encoder.encode

    def counting(texts: list[str]):  # type: ignore[no-untyped-def]
        encoded.extend(texts)
        return real(texts)

    monkeypatch.setattr(clf.encoder, "encode", counting)
    sentence = "Recommend a dedicated renal ultrasound in 7 weeks for the left kidney lesion."
    vectors = clf.embed([sentence, sentence, "Something else was suggested today."])
    again = clf.embed([sentence])
    assert encoded.count(sentence) == 1
    assert np.array_equal(vectors[0], vectors[1]) and np.array_equal(vectors[0], again[0])


@pytest.mark.parametrize(("size", "kept"), [(2, ["a", "c"]), (0, [])])
def test_embedding_cache_evicts_least_recently_used(size: int, kept: list[str]) -> None:
    from radfollow.nlp.classifier.cache import EmbeddingCache

    cache = EmbeddingCache(size)
    batch = np.zeros((2, 2))
    cache.put("a", batch[0])
    cache.put("b", np.ones(2))
    cache.get("a")  # "a" is now more recent than "b"
    cache.put("c", np.ones(2))
    assert [t for t in ("a", "b", "c") if cache.get(t) is not None] == kept
    batch[0, 0] = 9.0  # the cache holds a copy, not a view of the batch
    assert all(v is None or v[0] == 0.0 for v in [cache.get("a")])
