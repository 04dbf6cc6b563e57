"""The simulator: a deterministic demo world of the Lingyuan subdistrict.

`simulate(out_dir, seed, scale, shape)` writes `<out>/inbox/<source>/…` in the office
formats of DESIGN §3 (with their mess) and `<out>/truth/` (planted sites, look-alikes, which
record belongs to which place, the deliberately broken rows). The pipeline never reads truth/.

`shape` is what the offices handed over (issue 15), on the same world:
- raw (default): the raw data — 用电客户档案, daily readings, GPS tracks … (unchanged).
- lists: the offices' own lists instead — registry, 市场监管所排查名单, licences, 营销系统
  monthly bills (24 months, no daily readings), 电量激增清单, waybills, 联网联控 alarms,
  tips, sites; no 用电客户档案, no daily readings, no tracks.
- mixed: everything of raw plus the four list exports.
The lists are drawn from a separate generator, so raw output is byte-identical to before.

`vary=True` (`simulate --vary`, issue 11, demo and tiny scale) draws the world's behavioural
assumptions — person-named meters, address forms, typos, how strong and steady the planted
patterns are, silent sources, trades' own night rhythms, look-alike mix, tip vagueness,
datum mix-ups and GPS error — from the documented ranges of `pipeline/simulate/vary.py`
(its docstring holds the table) and writes the drawn values to `truth/vary.json`. Without
it every shape is byte-identical to the unvaried simulator.
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
SHAPES = ("raw", "lists", "mixed")
LIST_SOURCES = ("registry_list", "power_surge_list", "track_alarms")


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


def simulate(out_dir: Path, seed: int = 7, scale: str = "demo", shape: str = "raw", vary: bool = False,
             vary_overrides: dict | None = None) -> dict:
    """Write a simulated world to out_dir; returns counts per source and planted sites.

    shape: raw | lists | mixed (module docstring); lists and mixed only at demo and tiny
    scale. The world (places, planted sites, truth/places.csv) is the same in every shape.
    vary: draw the world's assumptions from vary.py's ranges (demo and tiny scale);
    vary_overrides pins some of them (inside their ranges), for tests.
    """
    from pipeline.simulate.emit import demo_readings, demo_tracks, members, prepare, write_demo
    from pipeline.simulate.sources import build
    from pipeline.simulate.tracks import build_tracks
    from pipeline.simulate.truth import write_truth

    if scale not in SCALES:
        raise UserError(f"未知规模 {scale!r}，可选：{', '.join(SCALES)}")
    if shape not in SHAPES:
        raise UserError(f"未知数据形态 {shape!r}，可选：{', '.join(SHAPES)}")
    if shape != "raw" and scale not in ("demo", "tiny"):
        raise UserError(f"数据形态 {shape} 只支持 demo 与 tiny 规模；city 规模只生成原始数据（--shape raw）")
    if vary and scale not in ("demo", "tiny"):
        raise UserError("--vary 只支持 demo 与 tiny 规模")
    out = Path(out_dir)
    t0 = time.perf_counter()
    _prepare_out(out)
    cfg = SCALES[scale]
    params = applied = None
    if vary:
        from pipeline.simulate.vary import apply, draw

        params = draw(int(seed), vary_overrides)
    b, frames = build(int(seed), scale, cfg["k"], cfg["bulk"], params["lookalike"] if params else None)
    if params:
        applied = apply(frames, params, b)
    rng = b.rng
    frames["communities"] = b.comms
    prepare(frames, rng)
    mem = members(frames)
    log.debug("world drawn: %d places, %d registry, %d accounts (%.1fs)", len(frames["places"]),
             len(frames["registry"]), len(frames["accounts"]), time.perf_counter() - t0)
    tracks, stops = build_tracks(rng, frames["fleet"], frames["waybills"], frames["places"], b.w.night_stops)
    if params:
        from pipeline.simulate.vary import vary_tracks

        tracks, applied["track_gcj_plates"] = vary_tracks(tracks, params)
    monthly: dict = {}
    if scale in ("demo", "tiny"):
        # every shape writes (and so draws) the raw files first: the main generator's stream,
        # hence the world and its mess, stay the same whatever is handed over
        results = write_demo(out, frames, rng)
        r_res, corrections, n_readings = demo_readings(out, frames["accounts"], rng,
                                                       monthly if shape != "raw" else None)
        results += r_res + demo_tracks(out, tracks, rng)
    else:
        from pipeline.simulate.city import write_city
        results, corrections, n_readings = write_city(out, frames, tracks, rng)
    alarms = None
    n_tracks = len(tracks)
    if shape != "raw":
        import pandas as pd

        from pipeline.simulate.lists import write_lists

        l_res, l_mem, alarms, n_bills = write_lists(out, frames, monthly["window"], tracks, stops, seed)
        mem = pd.concat([mem, l_mem], ignore_index=True)
        if shape == "lists":
            # not handed over: the account roster, the daily readings, the GPS fixes
            daily = {r["info"]["file"] for r in r_res}
            for r in results:
                i = r["info"]
                if i["source"] in ("power_accounts", "tracks") or (i["source"] == "power_readings" and i["file"] in daily):
                    (out / "inbox" / i["source"] / i["file"]).unlink()
            for src in ("power_accounts", "tracks"):
                (out / "inbox" / src).rmdir()
            results = [r for r in results if r["info"]["source"] not in ("power_accounts", "tracks")
                       and not (r["info"]["source"] == "power_readings" and r["info"]["file"] in daily)]
            mem = mem[mem["source"] != "power_accounts"].reset_index(drop=True)
            corrections = corrections.iloc[0:0]
            n_readings, n_tracks = 0, None
        results += l_res
        n_readings += n_bills
    counts = write_truth(out, frames, mem, results, stops, corrections, alarms, shape,
                         vary=None if params is None else {"params": params, "applied": applied})
    counts.update({"power_readings": int(n_readings)})
    if n_tracks is not None:
        counts["tracks"] = int(n_tracks)
    if alarms is not None:
        counts["track_alarms"] = int(len(alarms))
    summary = {"scale": scale, "seed": int(seed), "shape": shape, "vary": bool(vary), "out": str(out), "counts": counts,
               "planted": int((frames["places"]["role"] == "planted").sum()),
               "lookalikes": int((frames["places"]["role"] == "lookalike").sum()),
               "places": int(len(frames["places"])),
               "planted_by_category": {str(c): int(n) for c, n in
                                       frames["places"].loc[frames["places"]["role"] == "planted", "category"]
                                       .value_counts().sort_index().items()},
               "files": len(results)}
    log.debug("simulated %s world (seed %d, shape %s) in %s: %s — %.1fs", scale, seed, shape, out, counts,
              time.perf_counter() - t0)
    return summary


__all__ = ["simulate", "SOURCES", "SCALES", "SHAPES"]
