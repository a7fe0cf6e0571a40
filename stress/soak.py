"""A soak: the bundled rule set evaluating for a long time across threads and processes, checking
that nothing fails, nothing drifts and memory stays flat.

Run it with ``python3 dev.py soak --minutes 10``. One rule set is shared by ``--threads`` threads in
this process, each evaluating generated assessments (valid ones, and one in five invalid); at the
same time a :class:`intervention_rules.scale.Batch` with ``--processes`` worker processes evaluates
generated JSON Lines. Every decision for a repeated assessment must be byte for byte the same JSON
as its first; an invalid assessment must raise AssessmentError and nothing else. The resident
memory of this process and of the batch workers is sampled every ``--every`` seconds. The figures
(evaluations, errors, RSS first and last) are printed at the end, as JSON too.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
from pathlib import Path
from typing import Any

import intervention_rules as ir
from intervention_rules.scale import Batch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from generate import Assessments  # the benchmarks' generator of valid assessments


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def spoil(rng: random.Random, a: dict[str, Any]) -> dict[str, Any]:
    """An invalid variant: an unknown key, a wrong type or an out-of-range age."""
    spoilt = dict(a)
    kind = rng.randrange(3)
    if kind == 0:
        spoilt["colour " + str(rng.random())] = "red"
    elif kind == 1:
        spoilt["age"] = str(spoilt.get("age", 1))
    else:
        spoilt["age"] = 10_000
    return spoilt


class Totals:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.evaluations = 0
        self.refused = 0
        self.errors: list[str] = []

    def add(self, evaluations: int, refused: int, errors: list[str]) -> None:
        with self.lock:
            self.evaluations += evaluations
            self.refused += refused
            self.errors.extend(errors[:10])


def thread_worker(rs: ir.RuleSet, seed: int, deadline: float, totals: Totals) -> None:
    rng = random.Random(seed)
    pool = Assessments(rs, seed).many(200)
    first: dict[int, str] = {}
    done = refused = 0
    errors: list[str] = []
    while time.monotonic() < deadline:
        for _ in range(100):
            i = rng.randrange(len(pool))
            a = pool[i]
            try:
                if rng.random() < 0.2:
                    try:
                        rs.evaluate(spoil(rng, a))
                        errors.append("an invalid assessment was accepted")
                    except ir.AssessmentError:
                        refused += 1
                else:
                    text = json.dumps(rs.evaluate(a).to_dict(), sort_keys=True)
                    if first.setdefault(i, text) != text:
                        errors.append("a decision changed between two evaluations of one assessment")
            except Exception as error:  # noqa: BLE001 - the soak counts every unexpected failure
                errors.append(f"{type(error).__name__}: {error}"[:200])
            done += 1
        totals.add(done, refused, errors)
        done = refused = 0
        errors = []


def batch_worker(processes: int, deadline: float, totals: Totals, pids: list[int]) -> None:
    rng = random.Random(99)
    with Batch(workers=processes) as batch:
        rs = batch.ruleset
        lines = [json.dumps(a) for a in Assessments(rs, 99).many(300)]
        lines += [json.dumps(spoil(rng, json.loads(line))) for line in lines[:60]]
        while time.monotonic() < deadline:
            done = refused = 0
            errors: list[str] = []
            for result in batch.evaluate(lines):
                done += 1
                record = json.loads(result.record)
                if "error" in record:
                    if record["error"]["kind"] != "invalid_assessment":
                        errors.append(f"batch line {result.line}: {record['error']['kind']}")
                    refused += 1
            if done != len(lines):
                errors.append(f"a batch gave {done} records for {len(lines)} lines")
            totals.add(done, refused, errors)
            if batch._pool is not None and not pids:  # the soak samples the workers' memory
                pids.extend(p.pid for p in batch._pool._processes.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--every", type=float, default=30.0, help="seconds between memory samples")
    args = parser.parse_args()
    rs = ir.load_ruleset()
    totals = Totals()
    deadline = time.monotonic() + args.minutes * 60
    started = time.time()
    pids: list[int] = []
    threads = [
        threading.Thread(target=thread_worker, args=(rs, seed, deadline, totals))
        for seed in range(args.threads)
    ]
    threads.append(threading.Thread(target=batch_worker, args=(args.processes, deadline, totals, pids)))
    for t in threads:
        t.start()
    samples: list[dict[str, Any]] = []
    while any(t.is_alive() for t in threads):
        sample = {"seconds": round(time.time() - started), "rss_mb": round(rss_mb(os.getpid()), 1)}
        alive = [p for p in pids if Path(f"/proc/{p}").exists()]
        sample["worker_rss_mb"] = [round(rss_mb(p), 1) for p in alive]
        with totals.lock:
            sample["evaluations"] = totals.evaluations
        samples.append(sample)
        print(json.dumps(sample), flush=True)
        for t in threads:
            t.join(timeout=args.every / len(threads))
    working = [s for s in samples if s["evaluations"]] or samples  # after the rule set is loaded
    figures = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(started)),
        "minutes": round((time.time() - started) / 60, 1),
        "threads": args.threads,
        "processes": args.processes,
        "evaluations": totals.evaluations,
        "refused_as_invalid": totals.refused,
        "errors": len(totals.errors),
        "first_errors": totals.errors[:5],
        "rss_mb_first": working[0]["rss_mb"] if working else None,
        "rss_mb_last": working[-1]["rss_mb"] if working else None,
        "worker_rss_mb_first": next((s["worker_rss_mb"] for s in samples if s["worker_rss_mb"]), []),
        "worker_rss_mb_last": next((s["worker_rss_mb"] for s in reversed(samples) if s["worker_rss_mb"]), []),
        "cpu_cores": len(os.sched_getaffinity(0)),
    }
    print("soak figures:", json.dumps(figures, indent=2))
    raise SystemExit(1 if totals.errors else 0)


if __name__ == "__main__":
    main()
