"""The layering of ../shared/HOUSE.md, kept by reading every module's imports.

A report flows forward: HL7 or text in, NLP, FHIR and tracker out, never back
up. Each top-level part of the package may import only the parts listed for
it below (and itself); imports inside functions and under TYPE_CHECKING count
too, because a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "radfollow"

#: Shared types and rule data: the bottom layer.
BASE = frozenset({"errors", "models", "due", "rules"})

#: What each part may import besides itself.
ALLOWED: dict[str, frozenset[str]] = {
    "errors": frozenset(),
    "models": frozenset(),
    "due": frozenset(),
    "rules": frozenset({"errors", "models"}),
    "io": frozenset({"errors", "models"}),
    "hl7": BASE | {"io"},
    "fhir": BASE,
    "nlp": BASE | {"io"},
    "tracker": BASE | {"io"},
    "guidance": BASE,
    # outreach: reads the tracker's outbox, builds FHIR resources; never loads spaCy
    "notify": BASE | {"io", "fhir", "tracker"},
    "evaluation": BASE | {"io", "nlp", "guidance"},
    "training": BASE | {"io", "nlp", "evaluation"},
    "processing": BASE | {"io", "hl7", "nlp", "fhir", "tracker", "guidance"},
    "listener": BASE | {"io", "hl7", "nlp", "fhir", "tracker", "processing", "notify"},
    # the Spark job: the processing core on executors; the tracker reads its output later
    "spark": BASE | {"io", "hl7", "nlp", "processing"},
    # the review app reads and acts through the tracker's functions; it never loads spaCy
    "web": BASE | {"io", "tracker"},
    "cli": BASE
    | {
        "io",
        "hl7",
        "nlp",
        "fhir",
        "tracker",
        "evaluation",
        "training",
        "processing",
        "listener",
        "web",
        "guidance",
        "notify",
        "spark",
    },
    "__init__": frozenset(),
    "__main__": frozenset({"cli"}),
}

#: Specific modules a part must never import, although the part is allowed.
FORBIDDEN_MODULES: dict[str, tuple[str, ...]] = {
    "listener": ("radfollow.processing.batch",),  # the listener is not a batch job
}


def _part(module: str) -> str:
    """``radfollow.tracker.db`` -> ``tracker``; ``radfollow.errors`` -> ``errors``."""
    return module.split(".")[1] if "." in module else "__init__"


def _module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1] if len(parts) > 2 else [*parts[:-1], "__init__"]
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every radfollow module ``path`` imports, relative imports resolved."""
    module = _module_name(path)
    package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            # ``from radfollow.processing import batch`` imports a module too
            found.update(f"{target}.{a.name}" for a in node.names if _is_module(target, a.name))
    return {name for name in found if name == "radfollow" or name.startswith("radfollow.")}


def _is_module(package: str, name: str) -> bool:
    folder = PACKAGE.parent.joinpath(*package.split("."))
    return (folder / f"{name}.py").is_file() or (folder / name / "__init__.py").is_file()


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_part_has_a_layer() -> None:
    parts = {_part(_module_name(p)) for p in MODULES}
    assert parts <= set(ALLOWED), f"add {sorted(parts - set(ALLOWED))} to ALLOWED"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_follow_the_layers(path: Path) -> None:
    part = _part(_module_name(path))
    allowed = ALLOWED.get(part, frozenset()) | {part}
    bad = []
    for name in sorted(_imports(path)):
        target = _part(name) if name != "radfollow" else "__init__"
        if name == "radfollow":  # ``from radfollow import __version__``: package metadata
            continue
        if target not in allowed or name.startswith(FORBIDDEN_MODULES.get(part, ("\0",))):
            bad.append(name)
    assert bad == [], f"{part} may not import {bad}"


@pytest.mark.parametrize(
    ("importer", "imported", "ok"),
    [
        ("radfollow.tracker.ingest", "radfollow.nlp.ruleset", False),
        ("radfollow.nlp.classifier.training", "radfollow.evaluation.report", False),
        ("radfollow.hl7.adapter", "radfollow.nlp.extract", False),
        ("radfollow.listener.worker", "radfollow.processing.batch", False),
        ("radfollow.listener.worker", "radfollow.processing.core", True),
        ("radfollow.cli.batch", "radfollow.processing.batch", True),
        ("radfollow.processing.core", "radfollow.tracker.ingest", True),
        ("radfollow.web.pages.detail", "radfollow.tracker.review", True),
        ("radfollow.web.app", "radfollow.nlp.extract", False),
        ("radfollow.tracker.accounts", "radfollow.web.security", False),
        ("radfollow.cli.serve", "radfollow.web.app", True),
    ],
)
def test_the_rules_themselves(importer: str, imported: str, ok: bool) -> None:
    """The table above says what HOUSE.md says (a positive and a negative case each)."""
    part, target = _part(importer), _part(imported)
    allowed = (target in ALLOWED[part] | {part}) and not imported.startswith(
        FORBIDDEN_MODULES.get(part, ("\0",))
    )
    assert allowed is ok
