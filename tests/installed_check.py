"""Run inside a fresh environment where the wheel was installed (tests/test_install.py copies it
there): import the package, run the core commands in this process, ask every subcommand for its
help, and print what happened as JSON, so the test can check it.

Usage: python installed_check.py ASSESSMENT.json
"""

from __future__ import annotations

import contextlib
import io
import json
import pkgutil
import re
import sys


def loaded() -> list[str]:
    """The top-level modules imported so far."""
    return sorted({name.partition(".")[0] for name in sys.modules})


def run(argv: list[str]) -> dict[str, object]:
    from intervention_rules.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):  # argparse's --help
        status = main(argv, stdout=out, stderr=err)
    return {"status": status, "stdout": out.getvalue(), "stderr": err.getvalue()}


def main() -> None:
    assessment = sys.argv[1]
    report: dict[str, object] = {"importable": sorted(m.name for m in pkgutil.iter_modules())}
    import intervention_rules

    report["file"] = intervention_rules.__file__
    report["after_import"] = loaded()
    core = {
        "evaluate": ["evaluate", assessment],
        "validate": ["validate"],
        "explain": ["explain", assessment, "family_therapy"],
    }
    report["core"] = {name: {**run(argv), "loaded": loaded()} for name, argv in core.items()}
    top = run(["--help"])
    report["help"] = top
    match = re.search(r"\{([\w,-]+)\}", str(top["stdout"]))
    commands = match.group(1).split(",") if match else []
    report["subcommands"] = {command: run([command, "--help"]) for command in commands}
    report["after_help"] = loaded()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
