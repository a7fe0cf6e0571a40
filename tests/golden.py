"""Decisions as the code produced them before the decision path was optimised, kept to compare.

``tests/fixtures/golden/`` holds three frozen rule sets (a copy of ``rules/`` and two seeded generated
sets of 100 and 60 rules) and ``decisions.jsonl.gz``: for each of a fixed list of assessments (every
scenario assessment, and seeded generated ones), the decision's JSON (``json.dumps`` of
``to_dict()``), its text form, and the JSON of ``explain`` for some interventions, exactly as the
library wrote them when the file was made. The rule sets are copies so that later changes to
``rules/`` or to the generator do not move the comparison.

The file was written once, by ``python tests/golden.py`` on the code before the change, and is
committed; running this again on newer code would only copy that code's behaviour, so do that
only on purpose (for instance when the decision's JSON is deliberately extended).
"""

from __future__ import annotations

import gzip
import json
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GOLDEN = HERE / "fixtures" / "golden"
DECISIONS = GOLDEN / "decisions.jsonl.gz"
RULE_SETS = {
    "default": GOLDEN / "default-rules",
    "generated-100": GOLDEN / "generated-100",
    "generated-60": GOLDEN / "generated-60",
}
GENERATED_CASES = 40
EXPLAINED = 2  # interventions explained per assessment, in rotation over the catalogue


def records() -> Iterator[dict[str, Any]]:
    """The stored records, in order."""
    with gzip.open(DECISIONS, "rt", encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def observe(ruleset: Any, assessment: dict[str, Any], chosen: list[str]) -> dict[str, Any]:
    """What the library says about one assessment, as the stored records hold it."""
    decision = ruleset.evaluate(assessment)
    return {
        "decision": json.dumps(decision.to_dict(), ensure_ascii=False),
        "text": decision.to_text(),
        "explain": {iv: json.dumps(ruleset.explain(assessment, iv).to_dict()) for iv in chosen},
    }


def _valid(ruleset: Any, assessment: dict[str, Any]) -> bool:  # pragma: no cover - see _make
    import intervention_rules as ir

    try:
        ruleset.normalise(assessment)
    except ir.AssessmentError:
        return False
    return True


def _make() -> None:  # pragma: no cover - run by hand, once
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import Assessments, generated_ruleset

    import intervention_rules as ir
    from intervention_rules.testing import load_scenarios

    for name, seed in (("generated-100", 7), ("generated-60", 8)):
        if not RULE_SETS[name].exists():
            RULE_SETS[name].mkdir()
            with tempfile.TemporaryDirectory() as directory:
                made = generated_ruleset(Path(directory), int(name.split("-")[1]), seed=seed)
                shutil.copy(made, RULE_SETS[name] / made.name)
    out = []
    for name, path in RULE_SETS.items():
        ruleset = ir.load_ruleset(path)
        cases: list[dict[str, Any]] = []
        if name == "default":
            for file in load_scenarios(ROOT / "scenarios", ruleset):
                cases.extend(dict(s.assessment) for s in file.scenarios)
            cases = [c for c in cases if _valid(ruleset, c)]  # some scenarios expect a refusal
        cases.extend(Assessments(ruleset, seed=11).many(GENERATED_CASES))
        catalogue = list(ruleset.interventions)
        for index, case in enumerate(cases):
            chosen = [catalogue[(index + k) % len(catalogue)] for k in range(EXPLAINED)]
            out.append({"ruleset": name, "assessment": case, **observe(ruleset, case, chosen)})
    with gzip.open(DECISIONS, "wt", encoding="utf-8", compresslevel=9) as handle:
        for record in out:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"{len(out)} records in {DECISIONS}")


if __name__ == "__main__":
    _make()
