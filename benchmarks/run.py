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
import collections
import contextlib
import dataclasses
import datetime
import functools
import gc
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import psutil  # noqa: E402 - after the path set-up above
from generate import Assessments, generated_ruleset  # noqa: E402
from raw import RawEngine  # noqa: E402
from tqdm import tqdm  # noqa: E402
from zen_table import ZenRuleSet  # noqa: E402

import intervention_rules as ir  # noqa: E402
from intervention_rules.scale import Batch  # noqa: E402
from intervention_rules.scale._batch import CHUNK_LINES  # noqa: E402

TARGET_ZEN = 0.5  # our evaluate over zen-engine's matched rules (decision tables), at most
TARGET_FULL_ZEN = 1.0  # our evaluate then to_dict over zen-engine's matched rules, at most
TARGET_RAW = 2.0  # our time per decision over the raw engine's, at most
TARGET_LOAD_1000 = 1.0  # seconds to load and compile 1,000 rules, at most
T = TypeVar("T")
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
        self.zen = ZenRuleSet(self.ruleset, "table")
        self.zen_expr = ZenRuleSet(self.ruleset, "expression")
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
            zen_expr = self.zen_expr.fired(case)
            raw = self.raw.rule_ids(self.raw.run(self.raw.prepare(case)))
            if not (ours == zen == zen_expr and set(ours) == raw):
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
        """Per-call CPU times of ours (with and without ``to_dict``), zen-engine (decision tables
        with and without serialising its result; whole-rule expressions) and the raw engine on
        the same cases.

        Warm (the default): each round runs each evaluator over all the cases in turn, in a
        rotating order, so each runs in its steady state, its code and data in the CPU caches,
        as in a service or a batch doing nothing else. Interleaved: call by call, each evaluator
        runs after the others have evicted it from the caches, which costs the interpreted
        library more than the compiled engines. CPU time rather than wall-clock time, so that
        waiting for a core on a busy machine counts for none of them. Everything loaded is first
        moved out of the garbage collector's reach (``gc.freeze``, as a service would after
        start-up), so that a collection costs only what the calls left behind.
        """
        prepared = [self.raw.prepare(c) for c in cases]
        evaluate = self.ruleset.evaluate
        runs: dict[str, tuple[Callable[[Any], Any], list[Any]]] = {
            "ours": (evaluate, cases),
            "ours+dict": (lambda case: evaluate(case).to_dict(), cases),
            "zen": (self.zen.evaluate, cases),
            "zen+json": (self.zen.serialised, cases),
            "zen expr": (self.zen_expr.evaluate, cases),
            "raw": (self.raw.run, prepared),
        }
        names = list(runs)
        clock = time.process_time
        out: dict[str, list[float]] = {name: [] for name in runs}
        for call, inputs in runs.values():  # warm up
            for item in inputs[:20]:
                call(item)
        gc.collect()
        gc.freeze()
        try:
            for round_ in progress(range(rounds), "interleaved" if interleaved else "warm"):
                if interleaved:
                    for position in range(len(cases)):
                        for name in names:
                            call, inputs = runs[name]
                            t0 = clock()
                            call(inputs[position])
                            out[name].append(clock() - t0)
                    continue
                turn = round_ % len(names)
                for name in names[turn:] + names[:turn]:
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


def progress(items: Iterable[T], what: str, total: int | None = None) -> Iterable[T]:
    """A progress bar on a terminal (stderr), nothing in a pipe."""
    return tqdm(items, desc=what, total=total, leave=False, file=sys.stderr, disable=not sys.stderr.isatty())


# --- the benchmarks ------------------------------------------------------------------------------


EVALUATORS = (
    ("intervention-rules evaluate (ranked; its words written when read)", "ours"),
    ("intervention-rules evaluate, then to_dict()", "ours+dict"),
    ("zen-engine decision tables, a column a feature (collect)", "zen"),
    ("zen-engine decision tables, then json.dumps of its result", "zen+json"),
    ("zen-engine, one whole-rule expression a row (collect)", "zen expr"),
    ("raw durable_rules (compiled facts)", "raw"),
)


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
        for name, key in EVALUATORS
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
    "zen rows",
    "fired/decision",
    "load+compile (CPU)",
    "ours",
    "ours+to_dict",
    "zen tables",
    "zen tables+JSON",
    "zen expressions",
    "raw engine",
    "ours/zen",
    "ours+to_dict/zen",
    "ours/zen expr",
    "ours/raw",
    "interleaved: ours/zen",
    "ours+to_dict/zen",
    "ours/raw",
    "same rules fired",
)


@dataclasses.dataclass
class Verdict:
    """The ratios the targets are judged on for one rule set: (warm, interleaved)."""

    label: str
    ours_zen: tuple[float, float]
    full_zen: tuple[float, float]
    ours_raw: tuple[float, float]
    load: float


def ratios(times: dict[str, list[float]]) -> tuple[float, float, float, float]:
    """ours/zen, ours+to_dict/zen, ours/zen expressions, ours/raw."""
    ours = mean(times["ours"])
    zen = mean(times["zen"])
    return (
        ours / zen,
        mean(times["ours+dict"]) / zen,
        ours / mean(times["zen expr"]),
        ours / mean(times["raw"]),
    )


def scaling_row(subject: Subject, evaluations: int) -> tuple[tuple[Any, ...], Verdict]:
    """One row of the rule-count table, and the figures the targets are judged on."""
    agreed, fired = subject.agree(subject.cases)
    rounds = subject.rounds(len(subject.cases), evaluations)
    warm = subject.time(subject.cases, rounds)
    cold = subject.time(subject.cases, max(1, rounds // 2), interleaved=True)
    ours_zen, full_zen, ours_expr, ours_raw = ratios(warm)
    cold_zen, cold_full, _, cold_raw = ratios(cold)
    row = (
        subject.label,
        subject.live,
        len(subject.ruleset._plan.chunks),
        subject.zen.rows,
        f"{fired:.1f}",
        ms(subject.load),
        *(us(mean(warm[key])) for key in ("ours", "ours+dict", "zen", "zen+json", "zen expr", "raw")),
        f"{ours_zen:.2f}",
        f"{full_zen:.2f}",
        f"{ours_expr:.2f}",
        f"{ours_raw:.2f}",
        f"{cold_zen:.2f}",
        f"{cold_full:.2f}",
        f"{cold_raw:.2f}",
        "yes" if agreed else "NO",
    )
    verdict = Verdict(
        subject.label, (ours_zen, cold_zen), (full_zen, cold_full), (ours_raw, cold_raw), subject.load
    )
    return row, verdict


def assessment_size(subject: Subject, count: int, evaluations: int) -> tuple[str, list[Any], list[Any]]:
    optional = [n for n, f in subject.ruleset.features.items() if not f.required]
    sizes = sorted({0, len(optional) // 3, 2 * len(optional) // 3, len(optional)})
    rows = []
    for size in sizes:
        cases = subject.draw.many(count, size=size)
        agreed, fired = subject.agree(cases)
        times = subject.time(cases, subject.rounds(count, evaluations))
        ours_zen, full_zen, _, ours_raw = ratios(times)
        rows.append(
            (
                size,
                f"{fired:.1f}",
                *(us(mean(times[key])) for key in ("ours", "ours+dict", "zen", "raw")),
                f"{ours_zen:.2f}",
                f"{full_zen:.2f}",
                f"{ours_raw:.2f}",
                "yes" if agreed else "NO",
            )
        )
    return (
        f"Scaling with assessment size ({subject.label}: optional features recorded, of {len(optional)})",
        (
            "recorded",
            "fired/decision",
            "ours",
            "ours+to_dict",
            "zen tables",
            "raw engine",
            "ours/zen",
            "ours+to_dict/zen",
            "ours/raw",
            "same rules fired",
        ),
        rows,
    )


def throughput(subjects: list[Subject], lines: int, repeats: int) -> list[tuple[str, str, str]]:
    """Decisions per second in-process and in batches on 1, 2 and all cores, full and compact.

    Wall-clock, so it suffers from the machine's other load: every configuration runs once per
    repeat, in a rotating order, and each ratio is taken within a repeat (blocks run back to
    back), then the median of the repeats is reported.
    """
    cores = os.cpu_count() or 1
    rows: list[tuple[Any, ...]] = []
    targets: list[tuple[str, str, str]] = []
    for subject in subjects:
        cases = (subject.cases * (lines // len(subject.cases) + 1))[:lines]
        texts = [json.dumps(case) for case in cases]
        runs: dict[str, Callable[[], None]] = {
            "RuleSet.evaluate, one thread": _in_process(subject.ruleset, cases, to_dict=False),
            "RuleSet.evaluate then to_dict, one thread": _in_process(subject.ruleset, cases, to_dict=True),
        }
        with contextlib.ExitStack() as stack:
            for workers in sorted({1, 2, cores}):
                for form in ("full", "summary"):
                    batch = stack.enter_context(
                        Batch(subject.path, workers=workers, fields=None if form == "full" else form)
                    )
                    # start every worker (each loads the rule set) before the clock starts
                    collections.deque(batch.evaluate_chunks(texts[: 4 * CHUNK_LINES * workers]), 0)
                    noun = "process" if workers == 1 else "processes"
                    how = f"Batch, {workers} worker {noun}, {form} records"
                    runs[how] = _batch_run(batch, texts)
            rates: dict[str, list[float]] = {name: [] for name in runs}
            names = list(runs)
            for repeat in progress(range(repeats), f"throughput {subject.label}"):
                turn = repeat % len(names)
                for name in names[turn:] + names[:turn]:
                    start = time.perf_counter()
                    runs[name]()
                    rates[name].append(lines / (time.perf_counter() - start))
        for name, values in rates.items():
            rows.append(
                (subject.label, name, lines, f"{statistics.median(values):,.0f}", f"{max(values):,.0f}")
            )
        ratio = functools.partial(_ratio, rates)

        two = ratio("Batch, 2 worker processes, summary records", "Batch, 1 worker process, summary records")
        one = ratio("Batch, 1 worker process, summary records", "RuleSet.evaluate, one thread")
        two_full = ratio("Batch, 2 worker processes, full records", "Batch, 1 worker process, full records")
        targets += [
            (f"{subject.label}: batch summary, 2 cores / 1 core >= 1.6", f"{two:.2f}", _met(two >= 1.6)),
            (f"{subject.label}: batch summary 1 core / evaluate >= 0.8", f"{one:.2f}", _met(one >= 0.8)),
            (f"{subject.label}: batch full, 2 cores / 1 core (no target)", f"{two_full:.2f}", "-"),
        ]
    table(
        f"Throughput ({cores} cores; wall-clock, median and best of {repeats} alternating blocks)",
        ("rule set", "how", "decisions", "decisions/s (median)", "best"),
        rows,
    )
    return targets


def _ratio(rates: dict[str, list[float]], a: str, b: str) -> float:
    """The median over repeats of a's rate over b's in the same repeat."""
    return statistics.median(x / y for x, y in zip(rates[a], rates[b], strict=True))


def _in_process(ruleset: ir.RuleSet, cases: list[dict[str, Any]], *, to_dict: bool) -> Callable[[], None]:
    def run() -> None:
        for case in cases:
            decision = ruleset.evaluate(case)
            if to_dict:
                decision.to_dict()

    return run


def _batch_run(batch: Batch, texts: list[str]) -> Callable[[], None]:
    """One pass of a batch over the lines, as the command line runs it (without writing)."""

    def run() -> None:
        for _ in batch.evaluate_chunks(texts):
            pass

    return run


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
        batch_targets = throughput([default, medium], 600 if quick else 4_000, 3 if quick else 5)
        del medium
        gc.collect()
    settled, last = memory(default, memory_evaluations)

    rows = []
    for v in verdicts:
        if v.label.startswith("default") or v.label in ("generated 100", "generated 1000"):
            for what, (warm, cold), target in (
                ("ours+to_dict/zen tables", v.full_zen, TARGET_FULL_ZEN),
                ("ours/zen tables", v.ours_zen, TARGET_ZEN),
                ("ours/raw", v.ours_raw, TARGET_RAW),
            ):
                rows.append(
                    (f"{v.label}: {what} <= {target}", f"{warm:.2f} ({cold:.2f})", _met(warm <= target))
                )
        if v.label == "generated 1000":
            rows.append(
                (f"load+compile 1,000 rules < {TARGET_LOAD_1000:.0f} s", ms(v.load), _met(v.load < 1.0))
            )
    rows.extend(batch_targets)
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
