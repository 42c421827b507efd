"""Benchmark of the weekly scope estimate (DESIGN §12) on real customer queries: Banking77 intent groups as
deployments (benchmarks/scope_sim.py: the split, the groups, the simulation). Per group and true
out-of-scope share 0 / 10 / 30%, over 20 seeded weeks of 300 requests: the estimated share and its status
(medium tier: warn 0.05, critical 0.15) without audit, and with 40 audited requests a week the estimate,
its error, interval and coverage; per group the AUROC of the placement score and place() requests/s on
2 processes. Then what labelled references and a threshold from audited traffic change (item 3).
Held-out groups were run only after every constant was set on the tuning groups. Each group and share is
RUNS simulated deployments of 20 weeks (the weeks of one deployment share its learned error rates).

Run: .venv/bin/python benchmarks/scope.py [--quick] [--groups tuning|held-out|fresh|all]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import scope_sim as sim  # noqa: E402

from metrics.status import Levels, status_of  # noqa: E402
from scopetext import ScopeModel  # noqa: E402

LEVELS = Levels(0.05, 0.15)  # medium tier (DESIGN §6)
MIN_N = 100
# Independent simulated deployments per group and share, each 20 weeks: the weeks of one deployment share
# the error rates learned from its audits, so one run of 20 weeks says little about coverage.
RUNS = 3

_MODEL: ScopeModel | None = None


def _init(model: ScopeModel) -> None:
    global _MODEL
    _MODEL = model


def _place(texts: list[str]) -> int:
    assert _MODEL is not None
    return len(_MODEL.place(texts)[0])


def throughput(model: ScopeModel, texts: list[str], workers: int = 2, chunk: int = 1000) -> float:
    """Requests per second of full place() calls (featurization included), best of 3, `workers` processes."""
    chunks = [texts[i : i + chunk] for i in range(0, len(texts), chunk)]
    best = 0.0
    with mp.get_context("fork").Pool(workers, initializer=_init, initargs=(model,)) as pool:
        pool.map(_place, chunks[:workers])
        for _ in range(3):
            start = time.perf_counter()
            done = sum(pool.map(_place, chunks))
            best = max(best, done / (time.perf_counter() - start))
    return best


def status(week: sim.ScopeWeek) -> str:
    return status_of("out_of_scope_share", week.value, week.n, week.ci, LEVELS, MIN_N)


def alarms(statuses: list[str]) -> str:
    warn = sum(s == "warn" for s in statuses)
    critical = sum(s == "critical" for s in statuses)
    return f"{warn + critical}/{len(statuses)}" + (f" ({critical} crit)" if critical else "")


def run_group(name: str, weeks: int, runs: int) -> list[str]:
    group = sim.build_group(name)
    auroc = roc_auc_score(group.out_of_scope, -group.scores)
    rps = throughput(group.model, group.texts)
    lines = []
    for share in sim.SHARES:
        results = [
            r
            for run in range(runs)
            for r in sim.simulate(group, share, seed=1000 * run + int(share * 100), weeks=weeks)
        ]
        plain = np.array([r.inferred.value for r in results])
        audited = np.array([r.audited.value for r in results])
        truth = np.array([r.truth for r in results])
        width = np.array([r.audited.ci[1] - r.audited.ci[0] for r in results])
        covered = np.mean([r.audited.ci[0] - 1e-9 <= r.truth <= r.audited.ci[1] + 1e-9 for r in results])
        err = np.abs(audited - truth)
        lines.append(
            f"| {name} | {sim.role(name)} | {share:.0%} | {plain.mean():.1%} | "
            f"{alarms([status(r.inferred) for r in results])} | {audited.mean():.1%} | {err.mean() * 100:.1f} / "
            f"{err.max() * 100:.1f} | {width.mean() * 100:.1f} | {covered:.0%} | "
            f"{alarms([status(r.audited) for r in results])} | {auroc:.3f} | {rps:,.0f} |"
        )
        print(lines[-1], flush=True)
    return lines


def placement_gains(name: str) -> str:
    """Item 3: AUROC with 10 labelled references per intent, and the real false-flag rate with the threshold
    from the examples and from 200 audited approved requests."""
    base = sim.build_group(name)
    more = sim.build_group(name, references=10)
    inside = base.inside()
    rng = np.random.default_rng(7)
    audit = rng.choice(inside, 200, replace=False)
    rest = np.setdiff1d(inside, audit)
    traffic = base.model.recalibrated(base.scores[audit])
    real_examples = float(np.mean(base.scores[inside] < base.model.threshold))
    real_traffic = float(np.mean(base.scores[rest] < traffic.threshold))
    return (
        f"| {name} | {roc_auc_score(base.out_of_scope, -base.scores):.3f} | "
        f"{roc_auc_score(more.out_of_scope, -more.scores):.3f} | "
        f"{base.model.calibration['expected_false_flag_rate']:.1%} / {real_examples:.1%} | "
        f"{traffic.calibration['expected_false_flag_rate']:.1%} / {real_traffic:.1%} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="5 weeks instead of 20, no item-3 table")
    parser.add_argument("--groups", choices=["tuning", "held-out", "fresh", "all"], default="all")
    parser.add_argument(
        "--runs", type=int, default=RUNS, help=f"simulated deployments per group and share (default {RUNS})"
    )
    args = parser.parse_args()
    if not sim.DATA.exists():
        print(f"Banking77 not found at {sim.DATA}")
        return 1
    names = {
        "tuning": list(sim.TUNING),
        "held-out": [*sim.HELD_OUT, *sim.FRESH],
        "fresh": list(sim.FRESH),
        "all": [*sim.TUNING, *sim.HELD_OUT, *sim.FRESH],
    }[args.groups]
    weeks = 5 if args.quick else sim.WEEKS
    runs = 1 if args.quick else args.runs
    print(
        f"scope estimate benchmark — {time.strftime('%Y-%m-%d')} — {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, Python {platform.python_version()}; "
        f"{runs} simulated deployments × {weeks} seeded weeks of {sim.WEEK_SIZE} requests, {sim.AUDIT} audited "
        "a week; medium tier "
        f"(warn {LEVELS.warn}, critical {LEVELS.critical})\n"
    )
    print(
        "| group | split | true share | no audit: mean estimate | no audit: warn or critical weeks | "
        "40 audited: mean estimate | error mean / max (pp) | mean 95% interval (pp) | coverage | "
        "40 audited: warn or critical weeks | AUROC | place() req/s, 2 processes |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in names:
        run_group(name, weeks, runs)
    if not args.quick:
        print(
            "\n| group | AUROC, registry examples | AUROC, + 10 labelled references per intent | "
            "false-flag rate predicted / real, threshold from the examples | same, threshold from 200 audited "
            "approved requests |"
        )
        print("|---|---|---|---|---|")
        for name in names:
            print(placement_gains(name), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
