"""The HL7 fuzz harness (benchmarks/fuzz_hl7.py): seeded inputs through the process path.

``test_fuzz_seeded_run_has_no_crash_and_no_hang`` is the CI run of issue 11: a
fixed seed and range of mutated corpus messages through framing, adapter,
checks, NLP, FHIR and tracker, asserting no crash and no input over the
(generous, hang-detecting) time limit. The other tests check the harness
itself: inputs are reproducible, and a crash or a hang is counted.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from radfollow.errors import HL7ParseError
from radfollow.nlp.extract import Extractor

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpora" / "hl7"
#: Inputs of the CI run (seed 1): about 50 s on the 2-core development machine.
CI_INPUTS = 2000


@pytest.fixture
def fuzz(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The harness package ``benchmarks/hl7fuzz`` (benchmarks/ is not a package root)."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import hl7fuzz.mutators
    import hl7fuzz.runner

    return hl7fuzz


def _settings(fuzz: ModuleType, **changes: Any) -> Any:
    return fuzz.runner.Settings(**{"seed": 1, "time_limit": 20.0, "corpus": CORPUS, **changes})


def test_fuzz_seeded_run_has_no_crash_and_no_hang(
    fuzz: ModuleType, extractor: Extractor, tmp_path: Path
) -> None:
    tally = fuzz.runner.run_inline(
        _settings(fuzz, save_dir=tmp_path), 0, CI_INPUTS, extractor=extractor
    )
    assert tally.inputs == CI_INPUTS
    assert tally.crashes == [], "reproducers in " + str(tmp_path)
    assert tally.over_time_inputs == []
    # The run reaches both ends of the path: reports stored and inputs rejected.
    assert tally.processed > CI_INPUTS // 4
    assert tally.rejected > CI_INPUTS // 10


@pytest.mark.parametrize(("seed", "other_seed"), [(1, 2), (3, 4)])
def test_fuzz_inputs_are_reproducible_and_mutated(
    fuzz: ModuleType, seed: int, other_seed: int
) -> None:
    corpus = fuzz.runner.load_corpus(CORPUS)
    first = [fuzz.mutators.make_input(corpus, seed, i) for i in range(300)]
    again = [fuzz.mutators.make_input(corpus, seed, i) for i in range(300)]
    other = [fuzz.mutators.make_input(corpus, other_seed, i) for i in range(300)]
    assert first == again
    assert [x.data for x in first] != [x.data for x in other]
    assert sum(x.data != corpus[x.base] for x in first) > 270


def test_every_mutator_changes_some_message(fuzz: ModuleType) -> None:
    corpus = fuzz.runner.load_corpus(CORPUS)[:20]
    for name, (mutate, weight) in fuzz.mutators.MUTATORS.items():
        rng = random.Random(name)
        changed = [mutate(rng, message) != message for message in corpus]
        assert weight > 0 and any(changed), name


def test_fuzz_counts_a_crash_and_saves_the_input(
    fuzz: ModuleType, extractor: Extractor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Any, raw: Any) -> Any:
        raise TypeError("a bug")

    monkeypatch.setattr("radfollow.processing.core.ReportProcessor.read", broken)
    tally = fuzz.runner.run_inline(_settings(fuzz, save_dir=tmp_path), 5, 8, extractor=extractor)
    crashed_or_empty = tally.crashed + tally.empty
    assert crashed_or_empty == 3 and tally.crashed >= 1
    crash = tally.crashes[0]
    assert (crash.kind, crash.stage, crash.seed) == ("TypeError", "read", 1)
    assert (tmp_path / f"1-{crash.index}.hl7").is_file()


def test_fuzz_counts_a_rejection_by_code_not_as_a_crash(
    fuzz: ModuleType, extractor: Extractor, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: Any, raw: Any) -> Any:
        raise HL7ParseError("refused")

    monkeypatch.setattr("radfollow.processing.core.ReportProcessor.read", refuse)
    tally = fuzz.runner.run_inline(_settings(fuzz), 5, 8, extractor=extractor)
    assert tally.crashed == 0
    assert tally.codes["RF301"] >= 1


def test_fuzz_counts_an_input_over_the_time_limit(
    fuzz: ModuleType, extractor: Extractor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def slow(self: Any, raw: Any) -> Any:
        while True:
            time.sleep(0.01)

    monkeypatch.setattr("radfollow.processing.core.ReportProcessor.read", slow)
    settings = _settings(fuzz, time_limit=0.2, save_dir=tmp_path)
    tally = fuzz.runner.run_inline(settings, 0, 2, extractor=extractor)
    assert tally.over_time + tally.empty == 2 and tally.over_time >= 1
    assert tally.crashed == 0
    seed, index, _ = tally.over_time_inputs[0]
    assert (tmp_path / f"{seed}-{index}.hl7").is_file()


def test_adapter_only_run_reads_without_nlp(fuzz: ModuleType, extractor: Extractor) -> None:
    """``--through adapter``: framing, adapter and checks; no text reaches the NLP."""
    tally = fuzz.runner.run_inline(_settings(fuzz, through="adapter"), 0, 200, extractor=extractor)
    assert tally.inputs == 200 and tally.crashes == []
    assert tally.processed > 50 and tally.rejected > 10
    assert tally.nlp_texts == 0


def test_fresh_tracker_every_k_inputs(
    fuzz: ModuleType, extractor: Extractor, tmp_path: Path
) -> None:
    """The tracker database starts empty again every ``fresh_tracker_every`` inputs."""
    from radfollow.tracker.schema import Study

    corpus = fuzz.runner.load_corpus(CORPUS)

    def studies_after_ten(every: int) -> int:
        folder = tmp_path / str(every)
        folder.mkdir()
        settings = _settings(fuzz, fresh_tracker_every=every, memo_size=0)
        harness = fuzz.runner.Harness(settings, corpus, folder, extractor)
        try:
            assert harness.run(0, 10).processed >= 6
            with harness.tracker.session() as session:
                return int(session.query(Study).count())
        finally:
            harness.close()

    one_database, fresh_every_4 = studies_after_ten(0), studies_after_ten(4)
    assert one_database >= 6  # the warm-up's study and every stored report
    assert 1 <= fresh_every_4 < one_database  # inputs 8 and 9 only
