"""FHIR R4 output: one Bundle per report (see docs/fhir.md).

Resources are built as plain dicts and validated once per Bundle with the
``fhir.resources.R4B`` models (R4-compatible), not the package's default R5.
"""

from radfollow.fhir.bundle import build_bundle, bundle_json, validate_bundle
from radfollow.fhir.terminology import Terminology, load_terminology

__all__ = ["Terminology", "build_bundle", "bundle_json", "load_terminology", "validate_bundle"]
