"""Tables (Markdown, also printed), ratios, docs/benchmarks.md and the words/s chart."""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from radfollow.evaluation.metrics import PRF

from .systems import SYSTEMS, Measurement, System

LOG_SCALE_SPREAD = 20  # log axis when the fastest bar is this many times the slowest


@dataclass(frozen=True)
class Accuracy:
    measurement: Measurement
    prf: dict[str, PRF]
    scored: int


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def rate(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def speed_row(m: Measurement) -> list[str]:
    head = [m.system.name, m.corpus.name, str(m.workers)]
    if not m.ok:
        return [*head, f"failed: {m.error}", "", "", ""]
    return [
        *head,
        rate(m.reports_per_s),
        f"{m.words_per_s:,.0f}",
        f"{m.load_s:.2f}",
        f"{m.rss_mb:,.0f}",
    ]


def speed_table(measurements: Sequence[Measurement]) -> str:
    header = ["system", "corpus", "workers", "reports/s", "words/s", "load s", "peak RSS MB"]
    return table(header, [speed_row(m) for m in measurements])


def accuracy_table(results: Sequence[Accuracy]) -> str:
    rows = [
        [
            a.measurement.system.name,
            label,
            f"{prf.precision:.3f}",
            f"{prf.recall:.3f}",
            f"{prf.f1:.3f}",
            f"{prf.tp}/{prf.fp}/{prf.fn}",
        ]
        for a in results
        for label, prf in a.prf.items()
    ]
    return table(["system", "label", "P", "R", "F1", "tp/fp/fn"], rows)


def _find(ms: Sequence[Measurement], system: System, corpus: str, workers: int) -> Measurement:
    return next(
        m for m in ms if m.system == system and m.corpus.name == corpus and m.workers == workers
    )


def _ratio(ours: Measurement, peer: Measurement) -> str:
    if not (ours.ok and peer.ok):
        return "n/a (" + ("peer" if ours.ok else "radfollow") + " failed)"
    ratio = ours.words_per_s / peer.words_per_s
    return f"{ratio:.1f}x" if ratio >= 1 else f"{ratio:.2f}x"


def ratio_table(ms: Sequence[Measurement]) -> str:
    """radfollow (classifier on) words/s over each peer's, corpus by corpus."""
    ours = SYSTEMS[0]
    corpora = list(dict.fromkeys(m.corpus.name for m in ms))
    rows = []
    for corpus in corpora:
        one, two = (_find(ms, ours, corpus, w) for w in (1, 2))
        for peer in (s for s in SYSTEMS if s.is_peer):
            peer_one, peer_two = (_find(ms, peer, corpus, w) for w in (1, 2))
            rows.append(
                [
                    corpus,
                    peer.name,
                    _ratio(one, peer_one),
                    _ratio(two, peer_one),
                    _ratio(two, peer_two),
                ]
            )
    header = ["corpus", "peer", "1 worker vs 1 process", "2 vs 1", "2 vs 2"]
    return table(header, rows)


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _short(value: float) -> str:
    return f"{value / 1000:,.1f}k" if value >= 1000 else f"{value:,.0f}"


def _style(m: Measurement) -> dict[str, object]:
    """One colour per system; 2-worker bars hatched."""
    import matplotlib.pyplot as plt

    colour = plt.get_cmap("tab10")(SYSTEMS.index(m.system))
    return {"color": colour, "hatch": "//" if m.workers > 1 else None, "edgecolor": "white"}


def chart(ms: Sequence[Measurement], title: str) -> bytes:
    """Grouped bars of words/s, one group per corpus; PNG bytes (Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = [m for m in ms if m.ok]
    corpora = list(dict.fromkeys(m.corpus.name for m in ms))
    labels = list(dict.fromkeys(m.label for m in ok))
    width = 0.8 / max(1, len(labels))
    fig, ax = plt.subplots(figsize=(11, 5.5), dpi=120)
    for i, label in enumerate(labels):
        runs = [m for m in ok if m.label == label]
        xs = [corpora.index(m.corpus.name) - 0.4 + width * (i + 0.5) for m in runs]
        ys = [m.words_per_s for m in runs]
        drawn = ax.bar(xs, ys, width * 0.9, label=label, **_style(runs[0]))
        ax.bar_label(drawn, [_short(y) for y in ys], fontsize=7, padding=2)
    speeds = [m.words_per_s for m in ok]
    if speeds and max(speeds) > LOG_SCALE_SPREAD * min(speeds):
        ax.set_yscale("log")
        ax.set_ylabel("words/s, log scale (higher is better)")
    else:
        ax.set_ylabel("words/s (higher is better)")
    ax.set_xticks(range(len(corpora)), corpora)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    failed = list(dict.fromkeys(m.label for m in ms if not m.ok))
    if failed:
        fig.text(0.01, 0.01, "failed, not shown: " + "; ".join(failed), fontsize=7)
    fig.tight_layout(rect=(0, 0.03 if failed else 0, 1, 1))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


@dataclass(frozen=True)
class RunInfo:
    date: str
    command: str
    elapsed_s: float
    machine: dict[str, str]
    versions: dict[str, str]


SPEED_NOTE = """\
Whole files, sealed reports included (speed only). Every row is a fresh child process;
the best of `--repeat` runs by run time. Load (imports, building the pipeline, one warm-up
document) is timed apart and left out of reports/s and words/s. The timed work is the same
for every system: read the JSONL file, put every report through the pipeline, write one JSON
line per report. Words are whitespace-separated tokens of `text`. Peak RSS is that of the
largest single process (the child or one of its workers), from `getrusage`.
radfollow is timed as `radfollow extract` runs (`run_extract`), on an `ExtractorPool` whose
pipelines (one per worker process) are built and warmed during load; the peers'
`nlp.pipe(n_process=2)` forks its workers from the loaded pipeline inside the timed run."""

ACCURACY_NOTE = """\
Scored from the outputs of the timed Open-i 1-worker runs against NegBio's gold labels
(`negbio_gold_labels`), {scored:,} reports (sealed reports left out). radfollow: a
`pulmonary_nodule` (Nodule) or `lung_mass` (Mass) finding with assertion `present`, outside
the indication/exam/comparison sections and not called a granuloma (as in
`benchmarks/openi_accuracy.py`). Peers: a Nodule (nodule, nodules, nodular opacity, nodular
density) or Mass (mass, masses) entity anywhere in the report that is not negated, as in
../shared/corpora/README.md."""

RATIO_NOTE = """\
radfollow's words/s (classifier on) divided by the peer's, on the same corpus: 1 worker
against the peer's single process, 2 workers against the peer's single process, and 2
against 2 where the peer ran with `n_process=2`."""


def _corpora_line(ms: Sequence[Measurement]) -> str:
    corpora = {m.corpus.name: m.corpus for m in ms}.values()
    return "; ".join(f"{c.name}: {c.reports:,} reports, {c.words:,} words" for c in corpora) + "."


def document(
    info: RunInfo, ms: Sequence[Measurement], acc: Sequence[Accuracy], png: str | None
) -> str:
    scored = acc[0].scored if acc else 0
    facts = [[k, v] for k, v in {"date": info.date, **info.machine, **info.versions}.items()]
    parts = [
        "# Benchmarks: radfollow, stock medspaCy and negspacy",
        f"Generated by `benchmarks/peers.py` in {info.elapsed_s / 60:.1f} min; rerun it rather "
        "than editing this file. Command:",
        f"```bash\n{info.command}\n```",
        "## Machine and versions",
        table(["", ""], facts),
        "## Speed",
        SPEED_NOTE + "\n" + _corpora_line(ms),
        speed_table(ms),
        *([f"![words/s by system and corpus]({png})"] if png else []),
        "## Speed ratios",
        RATIO_NOTE,
        ratio_table(ms),
        "## Accuracy: Open-i Nodule and Mass",
        ACCURACY_NOTE.format(scored=scored),
        accuracy_table(acc),
        "## Systems",
        "\n".join(f"- **{s.name}**: {s.note}" for s in SYSTEMS),
    ]
    return "\n\n".join(parts) + "\n"
