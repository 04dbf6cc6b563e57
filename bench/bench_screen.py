"""Benchmark: `screen` of the demo subdistrict end to end (issue 5's target: ≤ 60 s). Prints
figures; not run in CI.

    make bench                 # or: .venv/bin/python bench/bench_screen.py [--seeds 7 3 11]

Each seed's world is simulated into data/bench/demo-<seed>/ (reused) and screened into a
fresh warehouse in a child process — `python -m pipeline screen`, as `make screen` runs it —
so the wall time includes interpreter start and imports, and the peak memory is the
child's. Stage timings come from the run's manifest.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[7, 3, 11])
    a = ap.parse_args()
    print(f"{'seed':>5} {'wall s':>7} {'peak MB':>8}  stages (s)")
    for seed in a.seeds:
        world = ROOT / "data" / "bench" / f"demo-{seed}"
        if not (world / "inbox").exists():
            subprocess.run([sys.executable, "-m", "pipeline", "simulate", "--out", str(world), "--seed", str(seed)],
                           cwd=ROOT, check=True, capture_output=True)
        work = world / "screen"
        shutil.rmtree(work, ignore_errors=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pipeline", "screen", "--inbox", str(world / "inbox"),
                        "--db", str(work / "warehouse.duckdb"), "--out", str(work / "out")],
                       cwd=ROOT, check=True, capture_output=True)
        wall = time.perf_counter() - t0
        peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
        (manifest,) = (work / "out").glob("*/manifest.json")
        timings = json.loads(manifest.read_text(encoding="utf-8"))["timings_s"]
        stages = ", ".join(f"{k.split('（')[1].rstrip('）')} {v:.1f}" for k, v in timings.items())
        print(f"{seed:>5} {wall:>7.1f} {peak:>8.0f}  {stages}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
