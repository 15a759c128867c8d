"""Time the sentence splitter and the whole pipeline against report size.

    python benchmarks/sentences.py [--sizes 10000 100000 1000000] [--classifier]

Builds synthetic reports (no corpus text) of each size in five shapes: one
line, one sentence per line, hard-wrapped at 70 characters, a lowercased
" ." export on one line, and a hostile text of findings and negations with no
period. Prints seconds for the splitter alone (on a Doc
already tokenized and sectionized) and for the whole pipeline
(``radfollow.nlp.pipeline``, rules only unless ``--classifier``), and the
seconds per 100 KB, which stay flat when the time grows linearly. The largest
report radfollow accepts (``MAX_REPORT_CHARS``, docs/processing.md) was chosen
from these figures.
"""

from __future__ import annotations

import argparse
import textwrap
import time
from collections.abc import Callable

from radfollow.nlp.pipeline import PipelineConfig, build_pipeline
from radfollow.nlp.registrations import SECTIONIZER, SENTENCES

SENTENCES_POOL = (
    "There is a 6 mm nodule in the right upper lobe, stable since the prior study.",
    "No pleural effusion or pneumothorax.",
    "The heart is normal in size. Mild degenerative changes of the spine.",
    "Nodule measures 1.2 x 0.8 cm, e.g. unchanged, as seen by Dr. Smith.",
    "Recommend follow-up CT chest in 12 months.",
    "No adrenal mass. The liver is normal in size and echotexture.",
)


def report(size: int, shape: str) -> str:
    """A report of ``size`` characters: FINDINGS and IMPRESSION around repeated sentences."""
    body: list[str] = []
    length = 0
    while length < size:
        sentence = SENTENCES_POOL[len(body) % len(SENTENCES_POOL)]
        body.append(sentence)
        length += len(sentence) + 1
    text = "FINDINGS: " + " ".join(body)
    if shape == "line per sentence":
        text = "FINDINGS: " + "\n".join(body)
    elif shape == "wrapped at 70":
        text = "\n".join(textwrap.wrap(text, 70))
    elif shape == "no stops, dense cues":  # a hostile sender: findings and negations, no period
        text = "FINDINGS: " + "no nodule or mass, " * (size // 19 + 1)
    elif shape != "one line":  # lowercased " ." export
        text = text.lower().replace(".", " .").replace(",", " ,")
    return text[:size] + "\nIMPRESSION: Stable nodule."


def seconds(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--classifier", action="store_true", help="include the classifier")
    args = parser.parse_args()
    nlp = build_pipeline(PipelineConfig(classifier=args.classifier, max_length=10**8))
    sectionizer, splitter = nlp.get_pipe(SECTIONIZER), nlp.get_pipe(SENTENCES)
    nlp("FINDINGS: warm-up. IMPRESSION: Stable nodule.")
    print(
        f"{'shape':<22} {'chars':>9} {'sentences':>9} {'splitter s':>10} {'s/100KB':>8} "
        f"{'pipeline s':>10} {'s/100KB':>8}"
    )
    shapes = ("one line", "line per sentence", "wrapped at 70", 'lowercased " ."')
    for shape in (*shapes, "no stops, dense cues"):
        for size in args.sizes:
            text = report(size, shape)
            doc = sectionizer(nlp.make_doc(text))
            split = seconds(lambda doc=doc: splitter(doc))
            sentences = sum(1 for _ in doc.sents)
            whole = seconds(lambda text=text: nlp(text))
            per = 100_000 / len(text)
            print(
                f"{shape:<22} {len(text):>9,} {sentences:>9,} {split:>10.3f} {split * per:>8.3f} "
                f"{whole:>10.2f} {whole * per:>8.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
