"""Evaluate by what was handed over: the same simulated world screened from three inboxes.

  raw    today's raw exports: registry, licences, power accounts + daily readings, waybills,
         GPS tracks, tips, sites
  lists  what offices hand over most easily: the market office's screened list beside the
         registry, licences, monthly bills (营销系统), the power office's 电量激增清单,
         waybills, the platform's alarm export, tips, sites — no roster, no daily readings,
         no GPS
  mixed  everything of both

The world (places, planted sites, truth) is the same across shapes, so the figures differ
only by the inbox. For each shape: found in the first 50 (and the best single office list
of that inbox), recall within 5% of places, category accuracy, link F1, and the coverage
of planted places: with no evidence at all / with evidence but on no list.

A tool for us (like the simulator), not part of what the subdistrict runs.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

import duckdb
import pandas as pd

log = logging.getLogger(__name__)

SHAPES = ("raw", "lists", "mixed")
SHAPE_NAMES = {"raw": "原始数据", "lists": "仅各单位清单", "mixed": "两者都有"}


def coverage(con, truth_dir: Path, run_id: int) -> dict:
    """Planted places with no evidence at all, and with evidence but on no visit list."""
    from pipeline.evaluate_ranking import premises_truth

    df = premises_truth(con, truth_dir)
    ev = {r[0] for r in con.execute("SELECT DISTINCT premises_id FROM evidence WHERE run_id = ?", [run_id]).fetchall()}
    listed = {r[0] for r in con.execute("SELECT premises_id FROM visit_lists WHERE run_id = ?", [run_id]).fetchall()}
    places = pd.read_csv(Path(truth_dir) / "places.csv", dtype=str)
    planted = set(places.loc[places["role"] == "planted", "place_id"])
    by_place = df.dropna(subset=["planted_place"]).groupby("planted_place")["premises_id"].apply(set)
    no_ev, unlisted = [], []
    for pl in sorted(planted):
        prem = by_place.get(pl, set())
        if not prem & ev:
            no_ev.append(pl)
        elif not prem & listed:
            unlisted.append(pl)
    return {"no_evidence": no_ev, "evidence_unlisted": unlisted}


def shape_figures(db: Path, truth_dir: Path) -> dict:
    from pipeline.evaluate import latest_finished_run, link_metrics
    from pipeline.evaluate_ranking import baseline_rankings, ranking_report

    con = duckdb.connect(str(db), read_only=True)
    try:
        run_id, as_of = latest_finished_run(con)
        ours = con.execute("SELECT premises_id, score, category AS suggested FROM scores "
                           "WHERE run_id = ? AND score > 0", [run_id]).df()
        rep = ranking_report(con, truth_dir, ours, as_of)
        base = {name: ranking_report(con, truth_dir, df, as_of)["found@50"]
                for name, df in baseline_rankings(con, as_of).items() if name != "random"}
        best_name = max(base, key=lambda k: (base[k], k)) if base else None
        links = link_metrics(con, truth_dir)
        f1 = links.loc[links["pair"] == "overall", "f1"] if "pair" in links else pd.Series(dtype=float)
        cov = coverage(con, truth_dir, run_id)
        return {"found@50": rep["found@50"], "best_list": best_name, "best_found@50": base.get(best_name, 0.0),
                "recall@5%": rep["recall@5%"], "category_accuracy": rep.get("category_accuracy", float("nan")),
                "link_f1": float(f1.iloc[0]) if len(f1) else float("nan"),
                "n_planted": rep["n_planted"], "n_premises": rep["n_premises"], "k_5pct": rep["k_5pct"],
                "no_evidence": len(cov["no_evidence"]), "evidence_unlisted": len(cov["evidence_unlisted"]),
                "unlisted_places": cov["evidence_unlisted"], "baselines": base}
    finally:
        con.close()


def evaluate_shapes(work: Path, seed: int, scale: str = "demo", shapes=SHAPES,
                    config_dir: Path = Path("configs")) -> dict[str, dict]:
    """Simulate one world per shape under work/<shape>/ and screen it; figures per shape."""
    from pipeline.screen import screen
    from pipeline.simulate import simulate
    from pipeline.simulate.campaign import WORLD_RUN_DATE

    out = {}
    for shape in shapes:
        base = Path(work) / f"seed{seed}" / shape
        if base.exists():
            shutil.rmtree(base)
        world = base / "world"
        simulate(world, seed=seed, scale=scale, shape=shape)
        t0 = time.perf_counter()
        screen(world / "inbox", base / "warehouse.duckdb", base / "out", config_dir=config_dir,
               archive_dir=base / "archive", run_date=WORLD_RUN_DATE)
        secs = time.perf_counter() - t0
        fig = shape_figures(base / "warehouse.duckdb", world / "truth")
        fig["screen_s"] = round(secs, 1)
        out[shape] = fig
        log.debug("shape %s seed %d: %s", shape, seed, fig)
    return out


def table_lines(figs: dict[str, dict]) -> list[str]:
    """The three-shape table in Chinese, one line per shape."""
    from pipeline.evaluate_ranking import RANKING_NAMES

    head = ("数据形态", "前50名找到", "最佳单一清单", "倍数", "前5%召回率", "整治类别准确率", "归并F1",
            "无任何证据", "有证据未上清单", "筛查秒数")
    lines = [" | ".join(head)]
    for shape, f in figs.items():
        ratio = f["found@50"] / f["best_found@50"] if f["best_found@50"] else float("inf")
        lines.append(" | ".join([
            SHAPE_NAMES.get(shape, shape), f"{f['found@50']:.1f}",
            f"{f['best_found@50']:.1f}（{RANKING_NAMES.get(f['best_list'], f['best_list'])}）",
            f"{ratio:.2f}×", f"{f['recall@5%']:.3f}", f"{f['category_accuracy']:.2f}", f"{f['link_f1']:.3f}",
            f"{f['no_evidence']}/{f['n_planted']}", str(f["evidence_unlisted"]), f"{f['screen_s']:.0f}"]))
    return lines


def worst_case(per_seed: dict[int, dict[str, dict]]) -> dict[str, dict]:
    """Per shape, the worst figure over the seeds (each figure on its own)."""
    out = {}
    shapes = {s for figs in per_seed.values() for s in figs}
    for shape in [s for s in SHAPES if s in shapes]:
        rows = [figs[shape] for figs in per_seed.values() if shape in figs]
        ratios = [r["found@50"] / r["best_found@50"] if r["best_found@50"] else float("inf") for r in rows]
        # found@50 and its best single list from the seed with the worst ratio (they belong
        # together); every other figure is its own worst over the seeds
        w = dict(rows[min(range(len(rows)), key=lambda i: (ratios[i], i))])
        w.update({"recall@5%": min(r["recall@5%"] for r in rows),
                  "category_accuracy": min(r["category_accuracy"] for r in rows),
                  "link_f1": min(r["link_f1"] for r in rows), "no_evidence": max(r["no_evidence"] for r in rows),
                  "evidence_unlisted": max(r["evidence_unlisted"] for r in rows),
                  "screen_s": max(r["screen_s"] for r in rows)})
        out[shape] = w
    return out


__all__ = ["SHAPES", "evaluate_shapes", "shape_figures", "table_lines", "worst_case", "coverage"]
