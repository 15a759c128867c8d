"""Three-valued conditions of guidance.json: a rule's ``when`` holds (True), fails
(False) or cannot be decided because an input that may be unknown is (None)."""

from __future__ import annotations

from dataclasses import dataclass

from radfollow.guidance.inputs import Inputs
from radfollow.rules.schema.guidance import Condition, Range

#: Input names as missing_inputs lists them.
INPUT_NAMES = {
    "age": "age",
    "female": "sex",
    "menopause": "menopausal status",
    "risk": "risk",
    "size_mm": "size",
}


@dataclass(frozen=True)
class Verdict:
    """A condition's result and, when undecided, the inputs it lacked (their names)."""

    holds: bool | None
    unknown: frozenset[str] = frozenset()


_FALSE = Verdict(False)


def _categorical(condition: Condition, inputs: Inputs) -> bool:
    for name in ("composition", "multiplicity", "bosniak", "exam_modality"):
        allowed = getattr(condition, name)
        if allowed is not None and getattr(inputs, name) not in allowed:
            return False
    return True


def _flags(condition: Condition, inputs: Inputs) -> bool:
    for name in ("benign", "known_cancer", "immunosuppressed", "screening"):
        wanted = getattr(condition, name)
        if wanted is not None and getattr(inputs, name) != wanted:
            return False
    if condition.features and not set(condition.features) <= inputs.features:
        return False
    return not (condition.no_features and set(condition.no_features) & inputs.features)


def _known(condition: Condition, inputs: Inputs) -> bool:
    """Every condition on an input that is always known (a None HU fails)."""
    if condition.density_hu is not None and (
        inputs.density_hu is None or not condition.density_hu.holds(inputs.density_hu)
    ):
        return False
    return _categorical(condition, inputs) and _flags(condition, inputs)


def _unknowable(condition: Condition, inputs: Inputs) -> Verdict:
    unknown: set[str] = set()
    for name in ("age", "size_mm", "female", "menopause", "risk"):
        wanted = getattr(condition, name)
        value = getattr(inputs, name)
        if wanted is None:
            continue
        if value is None:
            unknown.add(INPUT_NAMES[name])
        elif not (wanted.holds(value) if isinstance(wanted, Range) else value == wanted):
            return _FALSE
    return Verdict(None, frozenset(unknown)) if unknown else Verdict(True)


def evaluate(condition: Condition, inputs: Inputs) -> Verdict:
    """Whether ``condition`` holds for ``inputs``: True, False, or None with the names of
    the unknown inputs that leave it open (age, sex, menopausal status, risk, size)."""
    if not _known(condition, inputs):
        return _FALSE
    return _unknowable(condition, inputs)
