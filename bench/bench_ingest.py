"""Benchmark: ingest of a city-scale world (≈100× the demo). Prints figures; not run in CI.

    make bench                 # or: .venv/bin/python bench/bench_ingest.py [--world DIR] [--seed N]

The world is simulated once into data/bench/city-<seed>/ and reused. Each source is
ingested in a fresh child process into a fresh warehouse, so the peak memory reported is
that of the ingest alone (ru_maxrss of the child). The child runs with
CHEMSIEVE_MEMORY_LIMIT (--memory-limit, default 3GB), as a small analyst machine would.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time, resource
from pathlib import Path
from pipeline.db import connect
from pipeline.ingest import ingest_files
source, db, files = sys.argv[1], sys.argv[2], sys.argv[3:]
con = connect(db)
t0 = time.perf_counter()
verdicts = ingest_files(con, source, [Path(f) for f in files], Path("configs"), None)
secs = time.perf_counter() - t0
print(json.dumps({"source": source, "seconds": secs,
                  "rows_read": sum(v.rows_read or 0 for v in verdicts),
                  "rows_loaded": sum(v.rows_loaded or 0 for v in verdicts),
                  "rows_rejected": sum(v.rows_rejected or 0 for v in verdicts),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--world", type=Path, default=None)
    ap.add_argument("--sources", nargs="*", default=None)
    ap.add_argument("--memory-limit", default="3GB", help="DuckDB memory_limit of the ingest ('' = DuckDB default)")
    a = ap.parse_args()
    world = a.world or ROOT / "data" / "bench" / f"city-{a.seed}"
    if not (world / "inbox").exists():
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pipeline", "simulate", "--scale", "city",
                        "--seed", str(a.seed), "--out", str(world)], cwd=ROOT, check=True)
        print(f"simulate --scale city: {time.perf_counter() - t0:.1f} s "
              f"(peak {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MB)")
    from pipeline.ingest import SOURCES

    print(f"{'source':16} {'files':>5} {'MB':>8} {'rows':>12} {'rejected':>9} {'seconds':>8} {'rows/s':>12} {'peak MB':>8}")
    for source in a.sources or SOURCES:
        files = sorted(p for p in (world / "inbox" / source).glob("*") if p.is_file())
        if not files:
            continue
        db = world / f"bench_{source}.duckdb"
        for p in (db, Path(str(db) + ".wal")):
            p.unlink(missing_ok=True)
        env = dict(os.environ, CHEMSIEVE_MEMORY_LIMIT=a.memory_limit)
        out = subprocess.run([sys.executable, "-c", CHILD, source, str(db), *map(str, files)],
                             cwd=ROOT, check=True, capture_output=True, text=True, env=env)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        mb = sum(f.stat().st_size for f in files) / 2**20
        print(f"{source:16} {len(files):5d} {mb:8.0f} {r['rows_read']:12,d} {r['rows_rejected']:9,d} "
              f"{r['seconds']:8.1f} {r['rows_read'] / r['seconds']:12,.0f} {r['peak_mb']:8.0f}")
        for p in (db, Path(str(db) + ".wal")):
            p.unlink(missing_ok=True)
        shutil.rmtree(Path(str(db) + ".tmp"), ignore_errors=True)


if __name__ == "__main__":
    main()
