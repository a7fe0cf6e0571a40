#!/usr/bin/env python3
"""Project tasks that set themselves up: ``python3 dev.py example``, ``python3 dev.py test``,
``python3 dev.py docs`` (serves the documentation; ``docs build`` writes it to ``site/``),
``python3 dev.py bench`` (the benchmarks; ``--quick`` for a short run), and the long reliability
runs that are not part of the tests: ``python3 dev.py fuzz --minutes 10`` (a coverage-guided
fuzzing campaign with atheris) and ``python3 dev.py soak --minutes 10`` (threads and processes
evaluating for a long time); see docs/safety.md.

Each creates a virtual environment in ``.venv`` (with the interpreter running this script, which
must be Python 3.11 or 3.12) and installs the project with the extras it needs the first time,
or again when ``pyproject.toml`` changes or it needs an extra not yet installed. ``example``
needs the package alone; the others need the development tools (the ``dev`` extra).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
STAMP = VENV / ".installed"


def ensure_environment(*extras: str) -> None:
    """Install the project (editable) with ``extras`` into ``.venv``, unless the stamp says it is.

    The stamp records the digest of ``pyproject.toml`` and the extras installed with it, so the
    package alone (``example``) and the development tools (``test``) share one environment: a task
    that needs an extra not yet installed installs it, and no task installs more than it needs.
    """
    if sys.version_info[:2] not in ((3, 11), (3, 12)):
        sys.exit(
            f"Python 3.11 or 3.12 is needed (durable-rules does not import on later versions); "
            f"this is {sys.version.split()[0]}. Run this script with python3.11 or python3.12."
        )
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    digest, _, listed = (STAMP.read_text() if STAMP.exists() else "").partition("\n")
    installed = set(filter(None, listed.split(","))) if digest == wanted and PYTHON.exists() else set()
    if digest == wanted and set(extras) <= installed and PYTHON.exists():
        return
    if not PYTHON.exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    everything = sorted(installed | set(extras))
    what = "and its development tools " if "dev" in everything else ""
    print(f"Installing intervention-rules {what}...", flush=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    target = f"{ROOT}[{','.join(everything)}]" if everything else str(ROOT)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--editable", target], check=True)
    STAMP.write_text(f"{wanted}\n{','.join(everything)}")


CHROMIUM = Path("/usr/bin/chromium")


def _apt_install(package: str, why: str) -> None:
    print(f"Installing {package} from the distribution's packages ({why}) ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", package], check=True, env=env)


def ensure_chromium() -> None:
    """The HTML report is tested in the distribution's Chromium; install it when it is missing."""
    if CHROMIUM.exists() or os.name == "nt":
        return
    _apt_install("chromium", "for the HTML report tests")


def ensure_postgres() -> None:
    """The audit tests start a throw-away PostgreSQL server; install it when there is none."""
    if os.name == "nt" or any(Path("/usr/lib/postgresql").glob("*/bin/initdb")) or shutil.which("initdb"):
        return
    _apt_install("postgresql", "for the audit tests")


def run(*command: str) -> None:
    print("$", " ".join(command), flush=True)
    result = subprocess.run(command, cwd=ROOT)
    if result.returncode != 0:
        sys.exit(result.returncode)


def example() -> None:
    ensure_environment()  # the package alone: evaluating a file needs no extra
    run(str(BIN / "intervention-rules"), "evaluate", "--format", "text", "examples/adolescent.json")


def test() -> None:
    ensure_environment("dev")
    ensure_chromium()
    ensure_postgres()
    run(str(BIN / "ruff"), "check", "src", "tests", "benchmarks", "stress", "dev.py")
    run(str(BIN / "ruff"), "format", "--check", "src", "tests", "benchmarks", "stress", "dev.py")
    run(str(BIN / "mypy"))
    run(str(PYTHON), "-m", "pytest", *sys.argv[2:])


def docs() -> None:
    """Serve the documentation on http://127.0.0.1:8000 (``docs build``: write it to ``site/``)."""
    ensure_environment("dev")
    run(str(BIN / "mkdocs"), *(sys.argv[2:] or ["serve"]))


def bench() -> None:
    ensure_environment("dev", "bench")
    run(str(PYTHON), "benchmarks/run.py", *sys.argv[2:])


def fuzz() -> None:
    ensure_environment("dev", "fuzz")
    run(str(PYTHON), "stress/fuzz.py", *sys.argv[2:])


def soak() -> None:
    ensure_environment("dev")
    run(str(PYTHON), "stress/soak.py", *sys.argv[2:])


TASKS = {"example": example, "test": test, "docs": docs, "bench": bench, "fuzz": fuzz, "soak": soak}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in TASKS:
        sys.exit(f"usage: python3 {Path(__file__).name} {{{'|'.join(TASKS)}}} [arguments for its tool]")
    TASKS[sys.argv[1]]()
