"""Benchmark: the link stage on a city-scale world (≈100× the demo). Not run in CI.

    .venv/bin/python bench/bench_link_scale.py [--world data/bench/city-11]

Ingests the linkable sources of the world (registry, licenses, power_accounts, waybills,
tips, sites — not readings or tracks, which the link stage does not read) into a fresh
warehouse once, then times `build_premises` in a child process and reports candidate
pairs per second and peak memory (ru_maxrss of that child). With --truth, also link
quality against the world's truth.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINKED = ("registry", "licenses", "power_accounts", "waybills", "tips", "sites")

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from pipeline import config
from pipeline.db import connect
from pipeline.link import build_premises
cfg = config.load("configs")
cfg.linking["decisions_dir"] = None
con = connect(sys.argv[1])
t0 = time.perf_counter()
counts = build_premises(con, cfg)
secs = time.perf_counter() - t0
out = {"seconds": secs, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, **counts}
if len(sys.argv) > 2:
    from pipeline.evaluate import link_metrics
    m = link_metrics(con, Path(sys.argv[2]))
    out["f1"] = {r.pair: round(r.f1, 4) for r in m.itertuples()}
    out["bcubed_f1"] = round(m.attrs["bcubed_f1"], 4)
print(json.dumps(out))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--world", type=Path, default=ROOT / "data" / "bench" / "city-11")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--truth", action="store_true", help="also measure link quality against truth/")
    a = ap.parse_args()
    if not (a.world / "inbox").exists():
        subprocess.run([sys.executable, "-m", "pipeline", "simulate", "--scale", "city", "--seed",
                        str(a.seed), "--out", str(a.world)], cwd=ROOT, check=True)
    db = a.world / "bench_link.duckdb"
    if not db.exists():
        from pipeline.db import connect
        from pipeline.ingest import ingest_files

        con = connect(db)
        t0 = time.perf_counter()
        for source in LINKED:
            files = sorted(p for p in (a.world / "inbox" / source).glob("*") if p.is_file())
            ingest_files(con, source, files, ROOT / "configs", None)
        con.close()
        print(f"ingest of the linkable sources: {time.perf_counter() - t0:.1f} s")
    args = [sys.executable, "-c", CHILD, str(db)] + ([str(a.world / "truth")] if a.truth else [])
    out = subprocess.run(args, cwd=ROOT, check=True, capture_output=True, text=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"link stage: {r['members']:,} records, {r['pairs']:,} candidate pairs → {r['premises']:,} premises")
    print(f"  wall time {r['seconds']:.1f} s, {r['pairs'] / r['seconds']:,.0f} candidate pairs/s, "
          f"peak memory {r['peak_mb']:,.0f} MB")
    if "f1" in r:
        print("  F1 by source pair:", json.dumps(r["f1"], ensure_ascii=False), " B-cubed F1", r["bcubed_f1"])


if __name__ == "__main__":
    main()
