"""The simulator: a deterministic demo world of the Lingyuan subdistrict.

`simulate(out_dir, seed, scale)` writes `<out>/inbox/<source>/…` in the office formats of
DESIGN §3 (with their mess) and `<out>/truth/` (planted sites, look-alikes, which record
belongs to which place, the deliberately broken rows). The pipeline never reads truth/.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path


from pipeline.errors import UserError

log = logging.getLogger("pipeline.simulate")

MARKER = ".chemsieve_simulated"

SCALES = {
    "demo": {"k": 1, "bulk": {"n_biz": 2650, "n_home": 2200, "n_farm": 40, "n_tech": 40}},
    # a small world on the demo code path, for fast tests
    "tiny": {"k": 1, "bulk": {"n_biz": 300, "n_home": 250, "n_farm": 10, "n_tech": 10}},
    "city": {"k": 100, "bulk": {"n_biz": 265_000, "n_home": 220_000, "n_farm": 4_000, "n_tech": 4_000}},
}

SOURCES = ("registry", "licenses", "power_accounts", "power_readings", "waybills", "tracks", "tips", "sites")


def _prepare_out(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    inbox, truth = out / "inbox", out / "truth"
    existing = [p for p in (inbox, truth) if p.exists() and any(p.iterdir())]
    if existing and not (out / MARKER).exists():
        raise UserError(f"目录 {out} 已有非模拟数据（{existing[0].name}），模拟数据不会写入真实收件箱，请换一个 --out 目录。")
    for p in (inbox, truth):
        if p.exists():
            shutil.rmtree(p)
    (out / MARKER).write_text("written by python -m pipeline simulate\n", encoding="utf-8")


def simulate(out_dir: Path, seed: int = 7, scale: str = "demo") -> dict:
    """Write a simulated world to out_dir; returns counts per source and planted sites."""
    from pipeline.simulate.emit import demo_readings, demo_tracks, members, prepare, write_demo
    from pipeline.simulate.sources import build
    from pipeline.simulate.tracks import build_tracks
    from pipeline.simulate.truth import write_truth

    if scale not in SCALES:
        raise UserError(f"未知规模 {scale!r}，可选：{', '.join(SCALES)}")
    out = Path(out_dir)
    t0 = time.perf_counter()
    _prepare_out(out)
    cfg = SCALES[scale]
    b, frames = build(int(seed), scale, cfg["k"], cfg["bulk"])
    rng = b.rng
    frames["communities"] = b.comms
    prepare(frames, rng)
    mem = members(frames)
    log.debug("world drawn: %d places, %d registry, %d accounts (%.1fs)", len(frames["places"]),
             len(frames["registry"]), len(frames["accounts"]), time.perf_counter() - t0)
    tracks, stops = build_tracks(rng, frames["fleet"], frames["waybills"], frames["places"], b.w.night_stops)
    if scale in ("demo", "tiny"):
        results = write_demo(out, frames, rng)
        r_res, corrections, n_readings = demo_readings(out, frames["accounts"], rng)
        results += r_res + demo_tracks(out, tracks, rng)
    else:
        from pipeline.simulate.city import write_city
        results, corrections, n_readings = write_city(out, frames, tracks, rng)
    counts = write_truth(out, frames, mem, results, stops, corrections)
    counts.update({"power_readings": int(n_readings), "tracks": int(len(tracks))})
    summary = {"scale": scale, "seed": int(seed), "out": str(out), "counts": counts,
               "planted": int((frames["places"]["role"] == "planted").sum()),
               "lookalikes": int((frames["places"]["role"] == "lookalike").sum()),
               "places": int(len(frames["places"])),
               "planted_by_category": {str(c): int(n) for c, n in
                                       frames["places"].loc[frames["places"]["role"] == "planted", "category"]
                                       .value_counts().sort_index().items()},
               "files": len(results)}
    log.debug("simulated %s world (seed %d) in %s: %s — %.1fs", scale, seed, out, counts, time.perf_counter() - t0)
    return summary


__all__ = ["simulate", "SOURCES", "SCALES"]
