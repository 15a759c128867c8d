"""One timed peer run in a fresh process: load, then read JSONL, ``nlp.pipe``, write JSONL.

    python child.py medspacy|negspacy CORPUS.jsonl OUT.jsonl TARGETS.json [--n-process N] [--quiet]

Started by ``benchmarks/peers.py`` with the project's Python (medspaCy) or with the
negspacy venv's (spaCy 3.8), so it needs only the standard library and the peer itself.
Prints one JSON line: ``load_s``, ``run_s``, ``processed``, ``rss_kb`` (the largest of this
process and its ``n_process`` workers), or ``error``.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # spaCy is imported inside the timed load
    from spacy.language import Language
    from spacy.tokens import Span

# Where each peer keeps its negation flag and section on an entity.
ATTRIBUTES = {
    "medspacy": ("is_negated", "section_category"),
    "negspacy": ("negex", None),
}
WARM_UP = "FINDINGS: No nodule. IMPRESSION: 1 cm mass."


def phrases(targets: Path) -> list[tuple[str, str]]:
    data = json.loads(targets.read_text())
    return [(phrase, t["label"]) for t in data["targets"] for phrase in t["phrases"]]


def build_medspacy(targets: list[tuple[str, str]], quiet: bool) -> Language:
    """``medspacy.load()`` (PyRuSH, target matcher, ConText) plus the sectionizer."""
    if quiet:
        from loguru import logger

        logger.remove()
    import medspacy
    from medspacy.ner import TargetRule

    nlp = medspacy.load()
    nlp.add_pipe("medspacy_sectionizer")
    nlp.get_pipe("medspacy_target_matcher").add([TargetRule(p, label) for p, label in targets])
    return nlp


def build_negspacy(targets: list[tuple[str, str]]) -> Language:
    """Blank English, sentencizer, entity ruler on lower-cased phrases, NegEx (en_clinical)."""
    import spacy
    from negspacy import negation  # noqa: F401  (registers the "negex" factory)

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    ruler.add_patterns([{"label": label, "pattern": p} for p, label in targets])
    nlp.add_pipe("negex")
    return nlp


def entity(ent: Span, negated: str, section: str | None) -> dict[str, Any]:
    return {
        "label": ent.label_,
        "text": ent.text,
        "start": ent.start_char,
        "end": ent.end_char,
        "negated": bool(getattr(ent._, negated)),
        "section": getattr(ent._, section) if section else None,
    }


def reports(corpus: Path) -> Iterator[tuple[str, str]]:
    with corpus.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                row = json.loads(line)
                yield row["text"], row["id"]


def run(nlp: Language, system: str, corpus: Path, out: Path, n_process: int) -> int:
    negated, section = ATTRIBUTES[system]
    processed = 0
    with out.open("w", encoding="utf-8") as sink:
        for doc, report_id in nlp.pipe(reports(corpus), as_tuples=True, n_process=n_process):
            ents = [entity(ent, negated, section) for ent in doc.ents]
            sink.write(json.dumps({"id": report_id, "entities": ents}) + "\n")
            processed += 1
    return processed


def peak_rss_kb() -> int:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return max(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def reason(exc: BaseException) -> str:
    """The innermost line of the error (spaCy wraps worker errors in E871)."""
    lines = "".join(traceback.format_exception_only(exc)).strip().splitlines()
    return next(line.strip() for line in reversed(lines) if line.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("system", choices=sorted(ATTRIBUTES))
    parser.add_argument("corpus", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("targets", type=Path)
    parser.add_argument("--n-process", type=int, default=1)
    parser.add_argument("--quiet", action="store_true", help="medspaCy: remove loguru's sink")
    args = parser.parse_args()
    started = time.perf_counter()
    targets = phrases(args.targets)
    if args.system == "medspacy":
        nlp = build_medspacy(targets, args.quiet)
    else:
        nlp = build_negspacy(targets)
    nlp(WARM_UP)
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    try:
        processed = run(nlp, args.system, args.corpus, args.out, args.n_process)
    except Exception as exc:
        print(json.dumps({"error": reason(exc)}))
        return
    run_s = time.perf_counter() - started
    stats = {"load_s": load_s, "run_s": run_s, "processed": processed, "rss_kb": peak_rss_kb()}
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
