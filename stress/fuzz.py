"""A coverage-guided fuzzing campaign (atheris, on libFuzzer) for the three places untrusted bytes
enter: the YAML loader (a rule file, through schema, cross-checks and compilation), the JSON
reader (one assessment or batch line) and evaluation (the parsed JSON evaluated by the bundled rule
set, and the batch record written for it).

Run it with ``python3 dev.py fuzz --minutes 10`` (it installs the ``fuzz`` extra). Each input's
first byte chooses the target. A finding is any exception other than the library's own error for
that input, a batch record that is not valid UTF-8 JSON, or an assessment's text showing up in an
error message; libFuzzer writes the input to ``stress/findings/`` and stops. Each finding becomes
a regression test (tests/test_fuzz_findings.py).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
from pathlib import Path

import atheris

with atheris.instrument_imports():
    import intervention_rules as ir
    from intervention_rules import _compile, _schema, _validate, _yaml
    from intervention_rules._jsonio import UnreadableJSON, parse_json
    from intervention_rules.scale._batch import _evaluate_line, _Settings

ROOT = Path(__file__).resolve().parent
RULESET = ir.load_ruleset()
#: Text that may legitimately appear in a message: names, vocabulary (also as the messages list
#: it, "a, b, c"), patterns.
VOCABULARY = json.dumps(
    {
        name: [f.type, list(f.values or ()), ", ".join(f.values or ()), f.pattern, f.minimum, f.maximum]
        for name, f in RULESET.features.items()
    }
    | {name: list(fields) for name, fields in RULESET.objects.items()}
)
LIMIT = 64 * 1024
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")


def fuzz_yaml(text: str) -> None:
    doc, problems = _yaml.load_located("f.yaml", text)
    if doc is None or problems:
        return
    if _schema.schema_problems(doc):
        return
    definition, problems = _validate.build_definition([doc])
    if definition is None:
        return
    _compile.compile_plan(definition.rules, definition.features)


def _strings(value: object) -> list[str]:
    """The text an assessment holds: its string values, and its keys that do not look like field
    names (a key that does is named in problems, by design)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        keys = [k for k in value if not NAME.fullmatch(k)]
        return keys + [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def fuzz_json(data: bytes) -> None:
    with contextlib.suppress(UnreadableJSON):
        parse_json(data, limit=LIMIT)
    _, record, _ = _evaluate_line(RULESET, 1, data, _Settings(limit=LIMIT))
    json.loads(record.encode("utf-8"))


def fuzz_evaluate(data: bytes) -> None:
    try:
        assessment = parse_json(data, limit=LIMIT)
    except UnreadableJSON:
        return
    try:
        decision = RULESET.evaluate(assessment)
    except ir.AssessmentError as error:
        shown = str(error) + repr(error.problems) + "".join(str(p) for p in error.problems)
        for text in _strings(assessment):
            if len(text) >= 8 and text not in VOCABULARY and text in shown:
                raise AssertionError("an assessment's text appears in an error message") from None
        return
    json.dumps(decision.to_dict(), ensure_ascii=False).encode("utf-8")
    decision.to_text()


def one_input(data: bytes) -> None:
    if not data:
        return
    target, body = data[0] % 3, data[1:]
    if target == 0:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return
        fuzz_yaml(text)
    elif target == 1:
        fuzz_json(body)
    else:
        fuzz_evaluate(body)


def seed(corpus: Path) -> None:
    """Start from real inputs: the bundled rule files and the example assessments."""
    corpus.mkdir(parents=True, exist_ok=True)
    repo = ROOT.parent
    for i, path in enumerate(sorted((repo / "rules").glob("*.yaml"))):
        (corpus / f"seed-yaml-{i}").write_bytes(b"\x00" + path.read_bytes())
    for i, path in enumerate(sorted((repo / "examples").glob("*.json"))):
        (corpus / f"seed-json-{i}").write_bytes(b"\x01" + path.read_bytes())
        (corpus / f"seed-eval-{i}").write_bytes(b"\x02" + path.read_bytes())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long to run (default 10)")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus", help="the growing corpus")
    parser.add_argument("inputs", nargs="*", type=Path, help="run only these inputs (a finding), once each")
    args = parser.parse_args()
    if args.inputs:
        atheris.Setup([sys.argv[0], *map(str, args.inputs)], one_input)
        atheris.Fuzz()
    seed(args.corpus)
    findings = ROOT / "findings"
    findings.mkdir(exist_ok=True)
    libfuzzer = [
        sys.argv[0],
        str(args.corpus),
        f"-max_total_time={int(args.minutes * 60)}",
        f"-artifact_prefix={findings}/",
        "-max_len=65536",
        "-rss_limit_mb=2048",
        "-timeout=30",
        "-print_final_stats=1",
    ]
    sys.setrecursionlimit(3000)
    atheris.Setup(libfuzzer, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
