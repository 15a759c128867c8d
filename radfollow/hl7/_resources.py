"""Load the JSON rule files shipped in ``radfollow/hl7/`` (or a site's own file)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from radfollow.errors import RuleFileError

ModelT = TypeVar("ModelT", bound=BaseModel)


def load_rules(model: type[ModelT], name: str, path: Path | None = None) -> ModelT:
    """Read ``path`` (or the packaged file ``name``) and validate it with ``model``."""
    where = str(path) if path is not None else f"radfollow/hl7/{name}"
    try:
        if path is None:
            text = resources.files("radfollow.hl7").joinpath(name).read_text(encoding="utf-8")
        else:
            text = path.read_text(encoding="utf-8")
        return model.model_validate(json.loads(text))
    except OSError as exc:
        raise RuleFileError(f"cannot read rule file: {exc.strerror}", where=where) from exc
    except json.JSONDecodeError as exc:
        raise RuleFileError(f"not JSON: {exc.msg} at line {exc.lineno}", where=where) from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(part) for part in first["loc"])
        raise RuleFileError(f"invalid rule file at {loc}: {first['msg']}", where=where) from exc
