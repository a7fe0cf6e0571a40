"""Where ``RuleSet.evaluate`` spends its time: a pyinstrument profile of many evaluations.

Run from the repository root in an environment with the ``bench`` extra::

    python benchmarks/profile.py                 # 3,000 evaluations on the generated 100-rule set
    python benchmarks/profile.py --rules 1000 --evaluations 500 --top 20

Prints the functions that take the most time themselves (a flat profile, as a share of the total),
for docs/performance.md's before and after.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import Assessments, generated_ruleset  # noqa: E402
from pyinstrument import Profiler  # noqa: E402

import intervention_rules as ir  # noqa: E402


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rules", type=int, default=100, help="generated rule count (0: the default set)")
    parser.add_argument("--evaluations", type=int, default=3000)
    parser.add_argument("--to-dict", action="store_true", help="profile evaluate(...).to_dict()")
    parser.add_argument("--top", type=int, default=15, help="entries shown, by time spent in them")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        path = generated_ruleset(Path(directory), args.rules) if args.rules else None
        ruleset = ir.load_ruleset(path)
    cases = Assessments(ruleset, seed=1).many(300)
    for case in cases[:50]:  # warm up
        ruleset.evaluate(case)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for i in range(args.evaluations):
        decision = ruleset.evaluate(cases[i % len(cases)])
        if args.to_dict:
            decision.to_dict()
    profiler.stop()
    flat = profiler.output_text(flat=True, time="percent_of_total")
    lines = [line for line in flat.splitlines() if line.strip()]
    header = [line for line in lines if not line[:1].isdigit()]
    entries = [line for line in lines if line[:1].isdigit()]
    print("\n".join(header[-3:] + entries[: args.top]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
