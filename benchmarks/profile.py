"""Where ``RuleSet.evaluate`` spends its time: a pyinstrument profile of many evaluations.

Run from the repository root in an environment with the ``bench`` extra::

    python benchmarks/profile.py                 # 3,000 evaluations on the generated 100-rule set
    python benchmarks/profile.py --rules 1000 --evaluations 500 --top 20

Prints the top of the call tree under ``RuleSet.evaluate`` (shares of the whole run), for
docs/performance.md's before and after.
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
    parser.add_argument("--top", type=int, default=15, help="lines of the call tree shown")
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
    session = profiler.last_session
    print(f"{args.evaluations} evaluations: {session.cpu_time:.2f} s of CPU time in {session.duration:.2f} s")
    tree = profiler.output_text(time="percent_of_total")
    lines = [line for line in tree.splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if "RuleSet.evaluate" in line), 0)
    print("\n".join(lines[start : start + args.top]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
