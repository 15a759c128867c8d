"""The settings of one Spark run, shipped to every executor.

A plain pydantic model (picklable, no Spark import): the driver checks it once
(:meth:`SparkSettings.processing_options` raises on a bad rules folder or time
zone), and each Python worker builds its processing core from it once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from radfollow.hl7.adapter import DEFAULT_ACCESSION_FIELDS
from radfollow.hl7.options import HL7Options
from radfollow.io.inputs import DEFAULT_MAX_FILE_BYTES
from radfollow.nlp.pipeline import CLASSIFIER_BY_DEFAULT, PipelineConfig
from radfollow.processing.core import ProcessingOptions

InputFormat = Literal["jsonl", "parquet", "hl7"]


class SparkSettings(BaseModel):
    """What decides how the job reads and processes its input.

    ``rules``, ``model`` and ``heads`` are paths on the driver; the job ships
    them to the executors (``SparkContext.addFile``) and each worker reads its
    copy (:meth:`localised`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    input_format: InputFormat
    batch_size: int = Field(default=256, ge=1, description="Rows per Arrow batch.")
    bundles: bool = Field(default=False, description="Also render FHIR Bundles (HL7 input).")
    rules: Path | None = None
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    classifier: bool = CLASSIFIER_BY_DEFAULT
    model: Path | None = None
    heads: Path | None = None
    backend: Literal["auto", "onnx", "torch"] = "auto"
    timezone: str = "UTC"
    accession_fields: tuple[str, ...] = DEFAULT_ACCESSION_FIELDS
    max_file_bytes: int = Field(default=DEFAULT_MAX_FILE_BYTES, ge=1)
    accept_test_messages: bool = False
    record_text: bool = Field(default=False, description="Keep each report's text in its record.")

    def processing_options(self) -> ProcessingOptions:
        """The processing core's options. Raises RuleFileError (a broken site rule
        file) or ValueError (an unknown time zone or accession field)."""
        pipeline = PipelineConfig(
            rules_dir=self.rules,
            threshold=self.threshold,
            classifier=self.classifier,
            model=self.model,
            heads=self.heads,
            backend=self.backend,
        )
        hl7 = HL7Options.from_settings(self.timezone, self.accession_fields, self.rules)
        return ProcessingOptions(
            pipeline=pipeline,
            hl7=hl7,
            accept_test_messages=self.accept_test_messages,
            record_text=self.record_text,
        )

    def shipped(self) -> dict[str, Path]:
        """The files and folders the executors need: setting name -> driver path."""
        paths = {"rules": self.rules, "model": self.model, "heads": self.heads}
        return {name: path for name, path in paths.items() if path is not None}

    def localised(self, where: dict[str, Path]) -> SparkSettings:
        """These settings with the shipped paths replaced by ``where``'s (the worker's copies)."""
        return self.model_copy(update=where)
