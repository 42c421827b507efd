"""`postlaunch sample`: write the seeded sample organization (registry and data files) into a folder.

Parses the options and prints a summary; the generator lives in `samplegen`. It never
opens the database (`--db` and `--config` are ignored).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from samplegen import write_sample


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "sample",
        parents=parents,
        description="Write a seeded sample organization into DIR: postlaunch.toml (four deployments, each "
        "with a story) and usage, cost, feedback, incidents and changes files, with a few messy rows. "
        "Same arguments give identical files.",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write into (created if missing)")
    p.add_argument(
        "--weeks", type=int, default=16, metavar="N", help="number of ISO weeks, 6-156 (default 16)"
    )
    p.add_argument("--seed", type=int, default=42, metavar="S", help="random seed (default 42)")
    p.add_argument(
        "--scale",
        type=float,
        default=1.0,
        metavar="X",
        help="multiplies event volume; 1.0 is thousands of events per week (default 1.0)",
    )
    p.add_argument(
        "--end-week",
        metavar="YYYY-Www",
        help="last week of the data (default: the last complete ISO week before today)",
    )
    p.add_argument("--gzip", action="store_true", help="write usage as usage.csv.gz")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    result = write_sample(
        Path(args.out),
        weeks=args.weeks,
        seed=args.seed,
        scale=args.scale,
        end_week=args.end_week,
        compress=args.gzip,
    )
    print(
        f"sample organization written to {result['out']}: {len(result['deployments'])} deployments, "
        f"{result['weeks']} weeks {result['first_week']}..{result['last_week']}, seed {result['seed']}, "
        f"scale {result['scale']:g}"
    )
    print(f"  postlaunch.toml  deployments={','.join(result['deployments'])}")
    for name, rows in result["files"].items():
        messy = result["messy"].get(name.split(".")[0], {})
        note = f"  (messy: {', '.join(f'{k}={v}' for k, v in messy.items())})" if messy else ""
        print(f"  {name:<16} rows={rows:,}{note}")
    for dep, info in result["deployments"].items():
        print(f"  {dep:<20} events={info['events']:,} feedback={info['feedback_rows']:,}")
    return 0
