"""The one loader of rule files: the packaged ones, or a site's, validated and cached.

Two entry points, both returning the validated (frozen) model:

* ``load_rule_file(Model, path=None)``: one given file; ``None`` takes the
  packaged ``radfollow/rules/<Model.file_name>``.
* ``load_rules(Model, rules_dir=None)``: the file named ``Model.file_name`` in
  a site's rules folder (``--rules DIR``) when the folder has one, else the
  packaged file. This is how a site replaces any packaged rule file.

A site that only wants to add wording keeps the packaged file and writes
``<name>.additions.json`` beside its rules (``recommendations.additions.json``):
its lists are appended to the base file's lists, its objects merged key by key
(recursively), other values replace the base's; the merged rules are then
validated as a whole. The base is the site's replacement file when there is
one, else the packaged file, so additions survive upgrades of the packaged
rules.

Every failure is a :class:`~radfollow.errors.RuleFileError` whose ``where`` is
the file (or folder) and whose message says what is wrong: a missing file,
JSON that does not parse, or the first schema error with its location.

Loaded files are cached per model and path for the life of the process (a
file edited after its first load is not read again) and shared by every
caller: never change a loaded model (they are frozen). No spaCy import here.
"""

from __future__ import annotations

import json
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar, cast

from pydantic import ValidationError

from radfollow.errors import RuleFileError
from radfollow.rules.schema import RuleFile

RuleT = TypeVar("RuleT", bound=RuleFile)


def _file_name(model_or_name: type[RuleFile] | str) -> str:
    return model_or_name if isinstance(model_or_name, str) else model_or_name.file_name


@cache
def _packaged(name: str) -> Path:
    return Path(str(resources.files("radfollow.rules").joinpath(name)))


def packaged_rule_file(model_or_name: type[RuleFile] | str) -> Path:
    """Path of the packaged rule file of a model (or of a file name) in ``radfollow/rules/``."""
    return _packaged(_file_name(model_or_name))


ADDITIONS_SUFFIX = ".additions.json"


def additions_name(model_or_name: type[RuleFile] | str) -> str:
    """``recommendations.json`` -> ``recommendations.additions.json``."""
    return _file_name(model_or_name).removesuffix(".json") + ADDITIONS_SUFFIX


def site_rule_file(model_or_name: type[RuleFile] | str, rules_dir: str | Path | None) -> str | None:
    """Path of the site's file for a rule file, or None when there is none.

    The site's additions file when it has one (``load_rule_file`` merges it
    onto the base), else its replacement file.

    ``rules_dir`` None or empty: None. Raises RuleFileError when ``rules_dir``
    is given but is not a folder (a mistyped ``--rules`` must not silently
    fall back to the packaged rules).
    """
    if not rules_dir:
        return None
    folder = Path(rules_dir)
    if not folder.is_dir():
        raise RuleFileError("rules folder not found (or not a folder)", where=str(folder))
    for name in (additions_name(model_or_name), _file_name(model_or_name)):
        candidate = folder / name
        if candidate.is_file():
            return str(candidate)
    return None


def load_rule_file(model: type[RuleT], path: str | Path | None = None) -> RuleT:
    """The validated rules of one file; ``path`` None (or empty): the packaged file.

    Raises RuleFileError naming the file when it is missing or unreadable, is
    not JSON, or fails ``model``'s schema (first error location and message).
    """
    resolved = Path(path) if path else packaged_rule_file(model)
    return cast(RuleT, _load_cached(model, str(resolved)))


def load_rules(model: type[RuleT], rules_dir: str | Path | None = None) -> RuleT:
    """``model``'s rules: the site's file in ``rules_dir`` when present, else the packaged one.

    Raises RuleFileError as ``load_rule_file`` does, and when ``rules_dir`` is
    given but is not a folder.
    """
    return load_rule_file(model, site_rule_file(model, rules_dir))


def check_rules(rules_dir: str | Path | None) -> None:
    """Load every rule file a site's folder may replace, so that a broken one stops a
    command at its start rather than failing each report. Raises RuleFileError."""
    from radfollow.rules.schema import RULE_FILES

    for model in RULE_FILES:
        load_rules(model, rules_dir)


def _read_json(path: str) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise RuleFileError("rule file not found", where=path) from err
    except (OSError, UnicodeDecodeError) as err:
        raise RuleFileError(f"cannot read rule file: {err}", where=path) from err
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise RuleFileError(f"not valid JSON: {err}", where=path) from err


def merge_additions(base: Any, additions: Any) -> Any:
    """Lists appended, objects merged key by key, anything else replaced."""
    if isinstance(base, dict) and isinstance(additions, dict):
        merged = dict(base)
        for key, value in additions.items():
            merged[key] = merge_additions(base[key], value) if key in base else value
        return merged
    if isinstance(base, list) and isinstance(additions, list):
        return [*base, *additions]
    return additions


@lru_cache(maxsize=64)
def _load_cached(model: type[RuleFile], path: str) -> RuleFile:
    if path.endswith(ADDITIONS_SUFFIX):
        additions = _read_json(path)
        if not isinstance(additions, dict):
            raise RuleFileError("an additions file must hold a JSON object", where=path)
        replacement = Path(path).with_name(model.file_name)
        base_path = str(replacement) if replacement.is_file() else str(packaged_rule_file(model))
        data = merge_additions(_read_json(base_path), additions)
    else:
        data = _read_json(path)
    try:
        return model.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise RuleFileError(
            f"{loc}: {first['msg']} ({err.error_count()} error(s))", where=path
        ) from err
