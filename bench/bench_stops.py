"""Benchmark: our stop detection (pipeline.signals.stops) against trackintel 1.4 on real GPS.

    .venv-bench/bin/python bench/bench_stops.py [--dist 100] [--time 5] [--gap 15] [--copies 20]

trackintel is never a project dependency; it lives only in `.venv-bench` (bench/README.md).
The data are GeoLife trajectories in `../shared/reference/geolife/` (README there): the
scikit-mobility sample (217,653 fixes, users 001 and 005, mostly 1–5 s sampling) and one
raw PLT file. Without `../shared` the script says so and exits 0 (nothing to measure).

Both methods get the same fixes (exact duplicate rows dropped first, as trackintel does)
and the same thresholds: distance 100 m, time 5 min, gap 15 min (trackintel's defaults;
`--dist/--time/--gap`), trackintel with `include_last=True`.

- agreement: ours run with `gap_mode="trackintel"` (a run interrupted by a reporting gap is
  dropped, as trackintel does); a stay of one side is matched by a stay of the other side
  of the same user when their centroids are within 50 m and their start and end times
  differ by at most one sample interval (the larger of the intervals before the two start
  fixes / end fixes, at least 1 s). Reported both ways: share of trackintel's stays we
  find, share of ours trackintel finds.
- our default (`gap_mode="stop"`: a gap whose two ends are at the same place is a parked
  stop) is also compared, for information: it finds every trackintel stay plus the stays
  spanning recording gaps that trackintel drops.
- speed: fixes per second of each on the sample, wall clock and CPU time of the process
  (on a shared machine the CPU figure is the steadier one) (trackintel: `generate_staypoints` on a
  Positionfixes frame already built; ours: `detect_stops` on a pandas frame); ours also on
  `--copies` copies of the sample laid side by side as separate users (≈4 million fixes),
  since the sample alone runs in a few tens of milliseconds.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
GEOLIFE = ROOT.parent / "shared" / "reference" / "geolife"
sys.path.insert(0, str(ROOT))

from pipeline.signals.stops import detect_stops  # noqa: E402


def load_sample() -> pd.DataFrame:
    with gzip.open(GEOLIFE / "skmob_geolife_sample.txt.gz", "rt") as f:
        df = pd.read_csv(f, dtype={"uid": str})
    df = df.rename(columns={"lng": "lon", "datetime": "ts", "uid": "plate"})
    df["ts"] = pd.to_datetime(df["ts"])
    return df[["plate", "ts", "lon", "lat"]].drop_duplicates().reset_index(drop=True)


def load_plt() -> pd.DataFrame | None:
    files = sorted((GEOLIFE / "trackintel_geolife").rglob("*.plt"))
    if not files:
        return None
    parts = []
    for f in files:
        d = pd.read_csv(f, skiprows=6, header=None,
                        names=["lat", "lon", "zero", "alt", "days", "date", "time"])
        d["ts"] = pd.to_datetime(d["date"] + " " + d["time"])
        d["plate"] = f.parent.parent.name
        parts.append(d[["plate", "ts", "lon", "lat"]])
    return pd.concat(parts).drop_duplicates().reset_index(drop=True)


def run_trackintel(df: pd.DataFrame, dist: float, tmin: float, gap: float):
    import geopandas as gpd
    import trackintel as ti

    g = gpd.GeoDataFrame(
        {"user_id": df["plate"].to_numpy(), "tracked_at": df["ts"].dt.tz_localize("UTC")},
        geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs="EPSG:4326")
    pfs = ti.Positionfixes(g)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0, c0 = time.perf_counter(), time.process_time()
        _, sp = pfs.generate_staypoints(method="sliding", dist_threshold=dist, time_threshold=tmin,
                                        gap_threshold=gap, include_last=True, n_jobs=1)
        secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    out = pd.DataFrame({
        "plate": sp["user_id"].astype(str).to_numpy(),
        "started_at": sp["started_at"].dt.tz_localize(None).to_numpy(),
        "finished_at": sp["finished_at"].dt.tz_localize(None).to_numpy(),
        "lon": sp.geometry.x.to_numpy(), "lat": sp.geometry.y.to_numpy(),
    })
    return out, secs, cpu


def run_ours(df: pd.DataFrame, dist: float, tmin: float, gap: float, mode: str, repeat: int = 3):
    best = best_cpu = None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = detect_stops(df, dist, tmin, gap, gap_mode=mode)
        secs, cpu = time.perf_counter() - t0, time.process_time() - c0
        best = secs if best is None else min(best, secs)
        best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
    return out, best, best_cpu


def _interval_lookup(df: pd.DataFrame):
    """(plate, ts) -> interval before that fix (seconds, at least 1)."""
    d = df.sort_values(["plate", "ts"], kind="stable")
    dt_s = d.groupby("plate")["ts"].diff().dt.total_seconds().fillna(1.0).clip(lower=1.0)
    return pd.Series(dt_s.to_numpy(), index=pd.MultiIndex.from_arrays([d["plate"], d["ts"]])).groupby(level=[0, 1]).max()


def match_share(a: pd.DataFrame, b: pd.DataFrame, tol: pd.Series, radius_m: float = 50.0) -> float:
    """Share of stays in `a` that have a stay in `b` (same plate) within radius and one sample interval."""
    if not len(a):
        return float("nan")
    hits = 0
    for plate, ga in a.groupby("plate"):
        gb = b[b["plate"] == plate]
        if not len(gb):
            continue
        bs = gb["started_at"].to_numpy()
        be = gb["finished_at"].to_numpy()
        blon = np.radians(gb["lon"].to_numpy())
        blat = np.radians(gb["lat"].to_numpy())
        for r in ga.itertuples():           # stays are few (hundreds): a loop is fine here
            ts_tol = max(tol.get((plate, r.started_at), 1.0), 1.0)
            te_tol = max(tol.get((plate, r.finished_at), 1.0), 1.0)
            ok_t = (np.abs((bs - np.datetime64(r.started_at)) / np.timedelta64(1, "s")) <= ts_tol) & \
                   (np.abs((be - np.datetime64(r.finished_at)) / np.timedelta64(1, "s")) <= te_tol)
            if not ok_t.any():
                continue
            la, lo = np.radians(r.lat), np.radians(r.lon)
            h = np.sin((blat - la) / 2) ** 2 + np.cos(la) * np.cos(blat) * np.sin((blon - lo) / 2) ** 2
            d = 2 * 6371000 * np.arcsin(np.sqrt(h))
            hits += bool((ok_t & (d <= radius_m)).any())
    return hits / len(a)


def compare(name: str, df: pd.DataFrame, args) -> None:
    ti_sp, ti_s, ti_c = run_trackintel(df, args.dist, args.time, args.gap)
    ours, our_s, our_c = run_ours(df, args.dist, args.time, args.gap, "trackintel")
    ours_default, _, _ = run_ours(df, args.dist, args.time, args.gap, "stop", repeat=1)
    tol = _interval_lookup(df)
    n = len(df)
    print(f"\n== {name}: {n:,} fixes, {df['plate'].nunique()} users; thresholds {args.dist:g} m / "
          f"{args.time:g} min / gap {args.gap:g} min")
    print(f"  stays: trackintel {len(ti_sp)}, ours (trackintel gap semantics) {len(ours)}, "
          f"ours (default: same-place gap = parked) {len(ours_default)}")
    print(f"  agreement: trackintel stays we find {match_share(ti_sp, ours, tol):.1%}; "
          f"our stays trackintel finds {match_share(ours, ti_sp, tol):.1%}")
    print(f"  default mode vs trackintel: trackintel stays found {match_share(ti_sp, ours_default, tol):.1%}; "
          f"of ours, found by trackintel {match_share(ours_default, ti_sp, tol):.1%} "
          f"(the differences are stays across recording gaps: trackintel drops them or cuts them at the gap)")
    print(f"  speed (wall): trackintel {n / ti_s:,.0f} fixes/s ({ti_s:.2f} s); ours {n / our_s:,.0f} fixes/s "
          f"({our_s * 1000:.1f} ms); ours / trackintel = {ti_s / our_s:,.0f}×")
    print(f"  speed (CPU):  trackintel {n / ti_c:,.0f} fixes/s; ours {n / our_c:,.0f} fixes/s; "
          f"ours / trackintel = {ti_c / our_c:,.0f}×")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dist", type=float, default=100.0)
    ap.add_argument("--time", type=float, default=5.0)
    ap.add_argument("--gap", type=float, default=15.0)
    ap.add_argument("--copies", type=int, default=20)
    args = ap.parse_args(argv)
    if not GEOLIFE.exists():
        print(f"{GEOLIFE} not found (../shared absent): nothing to measure, skipping.")
        return 0
    try:
        import trackintel  # noqa: F401
    except ImportError:
        print("trackintel is not installed in this interpreter. Run with .venv-bench:\n"
              "    python3 -m venv .venv-bench && .venv-bench/bin/pip install -e . 'trackintel==1.4.*'\n"
              "    .venv-bench/bin/python bench/bench_stops.py")
        return 2
    print(f"trackintel {trackintel.__version__}")
    sample = load_sample()
    compare("scikit-mobility GeoLife sample", sample, args)
    plt = load_plt()
    if plt is not None:
        compare("trackintel GeoLife PLT", plt, args)
    # throughput of ours at scale: copies of the sample as separate users
    big = pd.concat([sample.assign(plate=sample["plate"] + f"_{i}") for i in range(args.copies)], ignore_index=True)
    for mode in ("stop", "trackintel"):
        out, secs, cpu = run_ours(big, args.dist, args.time, args.gap, mode, repeat=3)
        print(f"\n  ours at scale ({mode}): {len(big):,} fixes, {big['plate'].nunique()} users, "
              f"{len(out):,} stays in {secs:.2f} s = {len(big) / secs:,.0f} fixes/s wall, "
              f"{len(big) / cpu:,.0f} fixes/s CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
