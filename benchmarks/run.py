"""Benchmarks of intervention-rules, side by side with GoRules zen-engine and the raw engine.

Run from the repository root: ``python3 dev.py bench`` (sets up the environment with the
``bench`` extra), or ``python benchmarks/run.py`` in an environment that has it. ``--quick`` runs
fewer evaluations and says so. Not part of the test suite.

Every ratio is measured in one run, interleaved call by call on the same assessments, so that
whatever else the machine is doing affects all three alike. Per-call times are CPU time of this
process (all its threads), so waiting for a core on a busy machine counts for none of them;
throughput is wall-clock.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import psutil  # noqa: E402 - after the path set-up above
from generate import Assessments, generated_ruleset  # noqa: E402
from raw import RawEngine  # noqa: E402
from zen_table import ZenRuleSet  # noqa: E402

import intervention_rules as ir  # noqa: E402
from intervention_rules.scale import Batch  # noqa: E402
from intervention_rules.scale._batch import CHUNK_LINES  # noqa: E402

TARGET_ZEN = 0.5  # our time per decision over zen-engine's, at most
TARGET_RAW = 2.0  # our time per decision over the raw engine's, at most
TARGET_LOAD_1000 = 1.0  # seconds to load and compile 1,000 rules, at most
BUDGET_SECONDS = 30.0  # at most about this long timing one rule set (the 4,000-rule set needs it)


# --- output -----------------------------------------------------------------------------------


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(f"\n## {title}\n")
    print("| " + " | ".join(c.ljust(w) for c, w in zip(cells[0], widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells[1:]:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    sys.stdout.flush()


def us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f} us" if seconds < 0.1 else f"{seconds * 1e3:,.0f} ms"


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.0f} ms"


def p99(samples: Sequence[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine(quick: bool) -> None:
    packages = [
        "intervention-rules",
        "durable-rules",
        "zen-engine",
        "pyyaml",
        "jsonschema",
        "jsonschema-rs",
        "attrs",
        "dask",
        "distributed",
    ]
    rows = [
        ("date", datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("mode", "QUICK (fewer evaluations; not for publishing)" if quick else "full"),
        ("CPU", cpu_model()),
        ("cores", f"{os.cpu_count()} logical, {psutil.cpu_count(logical=False)} physical"),
        ("memory", f"{psutil.virtual_memory().total / 2**30:.1f} GiB"),
        ("load average", " ".join(f"{x:.2f}" for x in os.getloadavg())),
        ("OS", platform.platform()),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
    ]
    for name in packages:
        try:
            rows.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            rows.append((name, "not installed"))
    table("Machine", ("what", "value"), rows)


# --- measuring ------------------------------------------------------------------------------


class Subject:
    """One rule set under the three evaluators, checked to agree on every assessment."""

    def __init__(self, label: str, path: Path | None, cases: int, seed: int = 1) -> None:
        self.label = label
        self.path = path
        start = time.process_time()
        self.ruleset = ir.load_ruleset(path)
        self.load = time.process_time() - start
        self.zen = ZenRuleSet(self.ruleset)
        self.raw = RawEngine(self.ruleset)
        self.draw = Assessments(self.ruleset, seed)
        self.cases = self.draw.many(cases)
        self.live = sum(1 for r in self.ruleset.rules if r.status != "retired")
        self.per_case = 0.0

    def agree(self, cases: list[dict[str, Any]]) -> tuple[bool, float]:
        """Whether all three fire the same rules on every case, and the mean number fired."""
        fired = 0
        start = time.perf_counter()
        for case in cases:
            ours = self.ruleset.evaluate(case).fired
            zen = self.zen.fired(case)
            raw = self.raw.rule_ids(self.raw.run(self.raw.prepare(case)))
            if not (ours == zen and set(ours) == raw):
                print(f"DISAGREEMENT on {self.label}: {json.dumps(case)}", file=sys.stderr)
                return False, 0.0
            fired += len(ours)
        self.per_case = (time.perf_counter() - start) / max(1, len(cases))
        return True, fired / max(1, len(cases))

    def rounds(self, cases: int, evaluations: int) -> int:
        """Rounds over the cases for about ``evaluations`` calls, within the time budget."""
        affordable = BUDGET_SECONDS / max(self.per_case * cases, 1e-9)
        return max(1, min(evaluations // cases, int(affordable)))

    def time(
        self, cases: list[dict[str, Any]], rounds: int, *, interleaved: bool = False
    ) -> dict[str, list[float]]:
        """Per-call CPU times of ours, zen-engine and the raw engine on the same cases.

        Warm (the default): each round runs each evaluator over all the cases in turn, in a
        rotating order, so each runs in its steady state, its code and data in the CPU caches,
        as in a service or a batch doing nothing else. Interleaved: call by call, each evaluator
        runs after the other two have evicted it from the caches, which costs the interpreted
        library more than the compiled engines. CPU time rather than wall-clock time, so that
        waiting for a core on a busy machine counts for none of them. Everything loaded is first
        moved out of the garbage collector's reach (``gc.freeze``, as a service would after
        start-up), so that a collection costs only what the calls left behind.
        """
        prepared = [self.raw.prepare(c) for c in cases]
        runs: dict[str, tuple[Callable[[Any], Any], list[Any]]] = {
            "ours": (self.ruleset.evaluate, cases),
            "zen": (self.zen.evaluate, cases),
            "raw": (self.raw.run, prepared),
        }
        clock = time.process_time
        out: dict[str, list[float]] = {name: [] for name in runs}
        for call, inputs in runs.values():  # warm up
            for item in inputs[:20]:
                call(item)
        gc.collect()
        gc.freeze()
        try:
            for round_ in range(rounds):
                if interleaved:
                    for case, facts in zip(cases, prepared, strict=True):
                        for name, item in (("ours", case), ("zen", case), ("raw", facts)):
                            t0 = clock()
                            runs[name][0](item)
                            out[name].append(clock() - t0)
                    continue
                names = list(runs)
                for name in names[round_ % 3 :] + names[: round_ % 3]:
                    call, inputs = runs[name]
                    samples = out[name]
                    for item in inputs:
                        t0 = clock()
                        call(item)
                        samples.append(clock() - t0)
        finally:
            gc.unfreeze()
        return out


def mean(samples: list[float]) -> float:
    return statistics.fmean(samples)


# --- the benchmarks ------------------------------------------------------------------------------


def latency(subject: Subject, evaluations: int) -> None:
    subject.agree(subject.cases)
    rounds = subject.rounds(len(subject.cases), evaluations)
    warm = subject.time(subject.cases, rounds)
    cold = subject.time(subject.cases, max(1, rounds // 2), interleaved=True)
    rows = [
        (
            name,
            len(warm[key]),
            us(statistics.median(warm[key])),
            us(p99(warm[key])),
            us(mean(warm[key])),
            us(mean(cold[key])),
        )
        for name, key in (
            ("intervention-rules evaluate (full explanations)", "ours"),
            ("zen-engine decision graph (collect)", "zen"),
            ("raw durable_rules (compiled facts)", "raw"),
        )
    ]
    table(
        f"Single-evaluation latency: default rule set ({subject.ruleset.name} {subject.ruleset.version}, "
        f"{subject.live} rules; CPU time per call)",
        ("evaluator", "calls", "median", "p99", "mean", "mean, interleaved"),
        rows,
    )


SCALING_HEADER = (
    "rule set",
    "rules",
    "engine rulesets",
    "fired/decision",
    "load+compile (CPU)",
    "ours",
    "zen-engine",
    "raw engine",
    "ours/zen",
    "ours/raw",
    "interleaved: ours/zen",
    "ours/raw",
    "same rules fired",
)


def scaling_row(
    subject: Subject, evaluations: int
) -> tuple[tuple[Any, ...], tuple[str, float, float, float, float, float]]:
    """One row of the rule-count table, and the figures the targets are judged on."""
    agreed, fired = subject.agree(subject.cases)
    rounds = subject.rounds(len(subject.cases), evaluations)
    warm = subject.time(subject.cases, rounds)
    cold = subject.time(subject.cases, max(1, rounds // 2), interleaved=True)
    ours, zen, raw = mean(warm["ours"]), mean(warm["zen"]), mean(warm["raw"])
    cold_zen = mean(cold["ours"]) / mean(cold["zen"])
    cold_raw = mean(cold["ours"]) / mean(cold["raw"])
    row = (
        subject.label,
        subject.live,
        len(subject.ruleset._plan.chunks),
        f"{fired:.1f}",
        ms(subject.load),
        us(ours),
        us(zen),
        us(raw),
        f"{ours / zen:.2f}",
        f"{ours / raw:.2f}",
        f"{cold_zen:.2f}",
        f"{cold_raw:.2f}",
        "yes" if agreed else "NO",
    )
    return row, (subject.label, ours / zen, ours / raw, cold_zen, cold_raw, subject.load)


def assessment_size(subject: Subject, count: int, evaluations: int) -> tuple[str, list[Any], list[Any]]:
    optional = [n for n, f in subject.ruleset.features.items() if not f.required]
    sizes = sorted({0, len(optional) // 3, 2 * len(optional) // 3, len(optional)})
    rows = []
    for size in sizes:
        cases = subject.draw.many(count, size=size)
        agreed, fired = subject.agree(cases)
        times = subject.time(cases, subject.rounds(count, evaluations))
        ours, zen, raw = mean(times["ours"]), mean(times["zen"]), mean(times["raw"])
        rows.append(
            (
                size,
                f"{fired:.1f}",
                us(ours),
                us(zen),
                us(raw),
                f"{ours / zen:.2f}",
                f"{ours / raw:.2f}",
                "yes" if agreed else "NO",
            )
        )
    return (
        f"Scaling with assessment size ({subject.label}: optional features recorded, of {len(optional)})",
        (
            "recorded",
            "fired/decision",
            "ours",
            "zen-engine",
            "raw engine",
            "ours/zen",
            "ours/raw",
            "same rules fired",
        ),
        rows,
    )


def throughput(subjects: list[Subject], lines: int) -> None:
    cores = os.cpu_count() or 1
    rows = []
    for subject in subjects:
        cases = (subject.cases * (lines // len(subject.cases) + 1))[:lines]
        start = time.perf_counter()
        for case in cases:
            subject.ruleset.evaluate(case)
        single = time.perf_counter() - start
        rows.append((subject.label, "RuleSet.evaluate, one thread", lines, f"{lines / single:,.0f}"))
        for workers in sorted({1, cores}):
            with Batch(subject.path, workers=workers) as batch:
                # start every worker (each loads the rule set) before the clock starts
                list(batch.evaluate_assessments(cases[: 4 * CHUNK_LINES * workers]))
                start = time.perf_counter()
                for result in batch.evaluate_assessments(cases):
                    assert result.ok
                elapsed = time.perf_counter() - start
            how = f"Batch, {workers} worker process{'es' if workers > 1 else ''}, JSON lines in and out"
            rows.append((subject.label, how, lines, f"{lines / elapsed:,.0f}"))
    table(f"Throughput ({cores} cores)", ("rule set", "how", "decisions", "decisions/s"), rows)


def memory(subject: Subject, evaluations: int) -> tuple[float, float]:
    process = psutil.Process()
    cases = subject.cases
    samples: list[tuple[int, float]] = []
    step = max(1, evaluations // 20)
    gc.collect()
    evaluate = subject.ruleset.evaluate
    for i in range(evaluations + 1):
        if i % step == 0:
            samples.append((i, process.memory_info().rss / 2**20))
        if i < evaluations:
            evaluate(cases[i % len(cases)])
    table(
        f"Memory over {evaluations:,} evaluations (resident set size, default rule set)",
        ("evaluations", "RSS"),
        [(f"{n:,}", f"{mb:.1f} MiB") for n, mb in samples],
    )
    settled = samples[len(samples) // 10][1]  # after the first tenth, once caches are warm
    return settled, samples[-1][1]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer evaluations (for a smoke run)")
    parser.add_argument("--sizes", default="10,100,1000,4000", help="generated rule counts")
    parser.add_argument("--memory-evaluations", type=int, help="default: 1,000,000 (quick: 50,000)")
    args = parser.parse_args(argv)
    quick = args.quick
    evaluations = 600 if quick else 3000
    memory_evaluations = args.memory_evaluations or (50_000 if quick else 1_000_000)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    cases = 100 if quick else 300

    print("# intervention-rules benchmarks")
    machine(quick)
    default = Subject("default (rules/)", None, cases)
    latency(default, evaluations)
    # One rule set in memory at a time besides the default one, as in a service: the garbage
    # collector's full passes walk every object held, so extra rule sets would slow the others.
    row, verdict = scaling_row(default, evaluations)
    rows, verdicts = [row], [verdict]
    by_size = None
    with tempfile.TemporaryDirectory() as directory:
        for size in sizes:
            count = cases if size <= 1000 else cases // 5  # thousands of rules fire on each: fewer
            subject = Subject(f"generated {size}", generated_ruleset(Path(directory), size), count)
            row, verdict = scaling_row(subject, evaluations)
            rows.append(row)
            verdicts.append(verdict)
            if size == 1000:
                by_size = assessment_size(subject, 50 if quick else 100, evaluations // 3)
            del subject
            gc.collect()
        table(
            "Scaling with rule count (mean time per decision; ratios measured side by side)",
            SCALING_HEADER,
            rows,
        )
        if by_size is not None:
            table(*by_size)
        medium = Subject("generated 100", generated_ruleset(Path(directory), 100), cases)
        throughput([default, medium], 2_000 if quick else 20_000)
        del medium
        gc.collect()
    settled, last = memory(default, memory_evaluations)

    rows = []
    for label, over_zen, over_raw, cold_zen, cold_raw, load in verdicts:
        if label.startswith("default") or label in ("generated 100", "generated 1000"):
            rows.append(
                (
                    f"{label}: ours/zen <= {TARGET_ZEN}",
                    f"{over_zen:.2f} ({cold_zen:.2f})",
                    _met(over_zen <= TARGET_ZEN),
                )
            )
            rows.append(
                (
                    f"{label}: ours/raw <= {TARGET_RAW}",
                    f"{over_raw:.2f} ({cold_raw:.2f})",
                    _met(over_raw <= TARGET_RAW),
                )
            )
        if label == "generated 1000":
            rows.append((f"load+compile 1,000 rules < {TARGET_LOAD_1000:.0f} s", ms(load), _met(load < 1.0)))
    growth = last - settled
    rows.append(
        (
            f"memory flat over {memory_evaluations:,} evaluations",
            f"{growth:+.1f} MiB after warm-up",
            _met(growth < 5),
        )
    )
    table("Targets (ratios warm, interleaved in brackets)", ("target", "measured", "met"), rows)
    return 0


def _met(ok: bool) -> str:
    return "yes" if ok else "NO"


if __name__ == "__main__":
    sys.exit(main())
