"""FHIR R4 output: one Bundle per report (see docs/fhir.md).

Resources are built as plain dicts and validated once per Bundle with the
``fhir.resources.R4B`` models (R4-compatible), not the package's default R5.
The code tables are ``radfollow/rules/terminology.json`` (:class:`Terminology`).
"""

from radfollow.fhir.bundle import build_bundle, bundle_json, validate_bundle
from radfollow.rules.schema import Terminology

__all__ = ["Terminology", "build_bundle", "bundle_json", "validate_bundle"]
