"""Command-line options shared by several radfollow commands, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from radfollow.hl7 import DEFAULT_ACCESSION_FIELDS

RulesDir = Annotated[
    Path | None,
    typer.Option("--rules", help="Folder of site rule files overriding the packaged ones."),
]
Workers = Annotated[int, typer.Option("--workers", min=1, help="Worker processes for the NLP.")]
Threshold = Annotated[
    float,
    typer.Option("--threshold", min=0.0, max=1.0, help="Recommendation score threshold."),
]
UseClassifier = Annotated[
    bool,
    typer.Option("--classifier/--no-classifier", help="Score recommendations with the classifier."),
]
ModelDir = Annotated[
    Path | None,
    typer.Option("--model", help="Hugging Face model folder for the classifier's encoder."),
]
Heads = Annotated[
    Path | None, typer.Option("--heads", help="Classifier heads JSON written by 'radfollow train'.")
]
Backend = Annotated[str, typer.Option("--backend", help="auto (ONNX), onnx or torch.")]
Timezone = Annotated[
    str, typer.Option("--timezone", help="Time zone of HL7 times sent without an offset.")
]
AccessionFields = Annotated[
    str, typer.Option("--accession-fields", help="Where the accession is read, in order.")
]
DEFAULT_ACCESSION = ",".join(DEFAULT_ACCESSION_FIELDS)
