"""Benchmark: signals, score and learn on a city-scale world (≈100× the demo). Not run in CI.

    .venv/bin/python bench/bench_signals_scale.py [--world data/bench/city-11]

Starts from the linked warehouse of bench_link_scale.py (run that first), copies it once to
`bench_signals.duckdb` and ingests the readings and GPS tracks into the copy, then runs the
stages after link in a child process: wall time per stage, evidence rows per signal and
peak memory (ru_maxrss of the child).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import datetime as dt, json, logging, resource, sys, time
logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
logging.getLogger("pipeline.signals").setLevel(logging.DEBUG)   # the per-signal seconds are debug lines
from pipeline import config
from pipeline.db import connect
from pipeline.learn import learn
from pipeline.score import score_premises
from pipeline.signals import compute_evidence
from pipeline.screen import latest_data_date
cfg = config.load("configs")
con = connect(sys.argv[1])
as_of = latest_data_date(con)
out = {"as_of": str(as_of), "premises": con.execute("SELECT count(*) FROM premises").fetchone()[0]}
t0 = time.perf_counter()
out["fired"] = compute_evidence(con, cfg, 1, as_of)
out["signals_s"] = time.perf_counter() - t0
t0 = time.perf_counter()
score_premises(con, cfg, 1, as_of)
out["score_s"] = time.perf_counter() - t0
t0 = time.perf_counter()
learn(con, cfg, 1, as_of)
out["learn_s"] = time.perf_counter() - t0
out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--world", type=Path, default=ROOT / "data" / "bench" / "city-11")
    a = ap.parse_args()
    linked = a.world / "bench_link.duckdb"
    if not linked.exists():
        print(f"{linked} is missing: run bench/bench_link_scale.py first", file=sys.stderr)
        return 2
    db = a.world / "bench_signals.duckdb"
    if not db.exists():
        tmp = db.with_suffix(".tmp")
        shutil.copy(linked, tmp)
        from pipeline.db import connect
        from pipeline.ingest import ingest_files

        con = connect(tmp)
        t0 = time.perf_counter()
        for source in ("power_readings", "tracks"):
            files = sorted((a.world / "inbox" / source).iterdir())
            ingest_files(con, source, files, ROOT / "configs", None)
        con.close()
        tmp.rename(db)
        print(f"ingested readings and tracks in {time.perf_counter() - t0:.0f} s")
    work = a.world / "bench_signals_run.duckdb"
    shutil.copy(db, work)
    try:
        t0 = time.perf_counter()
        r = subprocess.run([sys.executable, "-c", CHILD, str(work)], cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if r.returncode != 0:
            print(r.stderr[-3000:], file=sys.stderr)
            return 1
        out = json.loads(r.stdout.strip().splitlines()[-1])
        per_signal = [ln for ln in r.stderr.splitlines() if ln.startswith("signal ")]
    finally:
        work.unlink(missing_ok=True)
    print(f"premises {out['premises']:,}, data as of {out['as_of']}")
    print(f"signals {out['signals_s']:.1f} s, score {out['score_s']:.1f} s, learn {out['learn_s']:.1f} s "
          f"(child wall {wall:.1f} s), peak {out['peak_mb']:,.0f} MB")
    for line in per_signal:
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
