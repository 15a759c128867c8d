"""The negspacy venv, the machine and the package versions behind a benchmark run."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from _shared import ROOT

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "negspacy-requirements.txt"
NEGSPACY_VENV = ROOT / "benchmarks" / ".venv-negspacy"
STAMP = ".requirements-sha256"
RADFOLLOW_INFO = (
    "import json, radfollow; from pathlib import Path; "
    "print(json.dumps([radfollow.__version__, str(Path(radfollow.__file__).parent)]))"
)
NEGSPACY_VERSIONS = (
    "import json; from importlib.metadata import version; "
    "print(json.dumps({p: version(p) for p in ('spacy', 'negspacy')}))"
)


@dataclass(frozen=True)
class NegspacyEnv:
    """The negspacy venv's python, or why it could not be built."""

    python: Path | None
    error: str | None = None


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _requirements_digest() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def _venv_is_current(venv: Path) -> bool:
    stamp = venv / STAMP
    return (
        venv_python(venv).is_file()
        and stamp.is_file()
        and stamp.read_text() == (_requirements_digest())
    )


def ensure_negspacy_venv(venv: Path = NEGSPACY_VENV) -> Path:
    """Build (or rebuild, when the pinned file changed) the negspacy venv; return its python.

    Raises ``RuntimeError`` with pip's last line when the build fails.
    """
    if _venv_is_current(venv):
        return venv_python(venv)
    steps = [
        [sys.executable, "-m", "venv", "--clear", str(venv)],
        [str(venv_python(venv)), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"building {venv.name} failed: {last}")
    (venv / STAMP).write_text(_requirements_digest())
    return venv_python(venv)


def negspacy_env() -> NegspacyEnv:
    try:
        return NegspacyEnv(ensure_negspacy_venv())
    except (RuntimeError, OSError) as exc:
        return NegspacyEnv(None, f"negspacy venv: {exc}")


def _json_from(command: list[str], cwd: Path = ROOT) -> Any:
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=cwd)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _package(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _git_commit(folder: Path) -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True)
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "no git"
    return commit + (" + uncommitted changes" if git("status", "--porcelain", ".") else "")


def versions(negspacy_python: Path | None) -> dict[str, str]:
    """Versions as the timed children see them (radfollow as imported from the repo root)."""
    radfollow_version, folder = _json_from([sys.executable, "-c", RADFOLLOW_INFO])
    found = {
        "radfollow": f"{radfollow_version} ({folder}, git {_git_commit(Path(folder))})",
        "spaCy (radfollow, medspaCy)": _package("spacy"),
        "medspaCy": _package("medspacy"),
        "PyRuSH": _package("PyRuSH"),
        "onnxruntime": _package("onnxruntime"),
    }
    if negspacy_python is not None:
        peer = _json_from([str(negspacy_python), "-c", NEGSPACY_VERSIONS])
        found["spaCy (negspacy venv)"] = peer["spacy"]
        found["negspacy"] = peer["negspacy"]
    return found


def _proc_field(path: str, field: str) -> str:
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return "unknown"
    return next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith(field)), "unknown")


def machine() -> dict[str, str]:
    mem_kb = _proc_field("/proc/meminfo", "MemTotal").split()[0]
    ram = f"{int(mem_kb) / 1024**2:.1f} GiB" if mem_kb.isdigit() else "unknown"
    return {
        "CPU": _proc_field("/proc/cpuinfo", "model name"),
        "cores": str(os.cpu_count()),
        "RAM": ram,
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "load average at start (1, 5, 15 min)": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
