"""Evaluate on a family of varied worlds (issue 11): N worlds, seeds S … S+N−1, each drawn
with `simulate --vary`, screened cold, measured against its truth; the per-world table, the
mean and the **worst case** (each figure its own worst over the worlds). Tune against the
worst case, never one world.

Figures per world (as evaluate-shapes, plus the link figures issue 11 names):
  recall@5%        planted places found within the first 5 % of premises
  found@50         planted places found in the first 50; best_found@50 the best single
                   office list of the inbox (evaluate_ranking's baselines), ratio = ours / it
  no_evidence      planted places with no evidence row at all
  category_accuracy 整治类别 right among planted places found within 5 %
  link_f1          pairwise F1 of premises_members against truth, all record pairs
  cross_f1         pairwise F1 over pairs of records from two different sources
  pa_reg_recall / pa_reg_f1   power account ↔ registry record pairs

A tool for us (like the simulator), not part of what the subdistrict runs.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import time
from pathlib import Path

import duckdb
import pandas as pd

log = logging.getLogger(__name__)

# figure → (Chinese column head, worst is the min (True) or the max (False), format)
FIGURES = {
    "recall@5%": ("前5%召回率", True, ".3f"),
    "found@50": ("前50名找到", True, ".1f"),
    "best_found@50": ("最佳单一清单", None, ".1f"),
    "ratio": ("倍数", True, ".2f"),
    "no_evidence": ("无任何证据", False, "d"),
    "category_accuracy": ("整治类别准确率", True, ".2f"),
    "link_f1": ("归并F1", True, ".3f"),
    "cross_f1": ("跨来源F1", True, ".3f"),
    "pa_reg_recall": ("用电户↔登记召回", True, ".3f"),
    "pa_reg_f1": ("用电户↔登记F1", True, ".3f"),
}
KNOB_NAMES = {"person_meter_share": "个人户名", "night_gap": "夜间差", "surge_ratio": "激增",
              "pre_running_share": "窗口前已开工", "silent_power": "无电力记录", "tip_vague": "模糊举报"}


def _prf(d: pd.DataFrame) -> tuple[float, float, float]:
    tp, tt, pp = float(d["tp"].sum()), float(d["true_pairs"].sum()), float(d["pred_pairs"].sum())
    prec = tp / pp if pp else float("nan")
    rec = tp / tt if tt else float("nan")
    f1 = 2 * prec * rec / (prec + rec) if pp and tt and (prec + rec) else float("nan")
    return prec, rec, f1


def link_figures(con, truth_dir: Path) -> dict:
    from pipeline.evaluate import load_truth_members, pair_counts_sql

    load_truth_members(con, truth_dir)
    pc = con.execute(pair_counts_sql()).df()
    _, _, f1 = _prf(pc)
    _, _, cross = _prf(pc[pc["sa"] != pc["sb"]])
    par = pc[(pc["sa"] == "power_accounts") & (pc["sb"] == "registry")]
    _, pr_rec, pr_f1 = _prf(par)
    return {"link_f1": f1, "cross_f1": cross, "pa_reg_recall": pr_rec, "pa_reg_f1": pr_f1}


def world_figures(db: Path, truth_dir: Path) -> dict:
    """Every figure of one screened world (the table's row)."""
    from pipeline.evaluate_shapes import shape_figures

    f = shape_figures(db, truth_dir)
    con = duckdb.connect(str(db), read_only=True)
    try:
        f.update(link_figures(con, truth_dir))
    finally:
        con.close()
    f["ratio"] = f["found@50"] / f["best_found@50"] if f["best_found@50"] else float("inf")
    return f


def key_params(truth_dir: Path) -> dict:
    vj = json.loads((Path(truth_dir) / "vary.json").read_text(encoding="utf-8"))
    return {k: vj["params"][k] for k in KNOB_NAMES}


def evaluate_vary(work: Path, worlds: int, seed0: int, scale: str = "demo", shape: str = "raw",
                  config_dir: Path = Path("configs"), overrides: dict | None = None) -> list[dict]:
    """Simulate, screen and measure worlds seed0 … seed0+worlds−1 under work/world<seed>/."""
    from pipeline.screen import screen
    from pipeline.simulate import simulate
    from pipeline.simulate.campaign import WORLD_RUN_DATE

    rows = []
    for seed in range(int(seed0), int(seed0) + int(worlds)):
        base = Path(work) / f"world{seed}"
        if base.exists():
            shutil.rmtree(base)
        world = base / "world"
        simulate(world, seed=seed, scale=scale, shape=shape, vary=True, vary_overrides=overrides)
        t0 = time.perf_counter()
        row = {"seed": seed, "error": ""}
        try:
            screen(world / "inbox", base / "warehouse.duckdb", base / "out", config_dir=config_dir,
                   archive_dir=base / "archive", run_date=WORLD_RUN_DATE)
            row.update(world_figures(base / "warehouse.duckdb", world / "truth"))
        except Exception as exc:          # a crash on a varied world is a finding: record it, go on
            log.exception("world %d failed", seed)
            row["error"] = f"{type(exc).__name__}: {exc}"
        row["screen_s"] = round(time.perf_counter() - t0, 1)
        row.update(key_params(world / "truth"))
        rows.append(row)
        log.debug("varied world %d: %s", seed, row)
    return rows


def summary_rows(rows: list[dict]) -> dict[str, dict]:
    """The worst case (each figure its own worst) and the mean, over worlds that screened."""
    ok = [r for r in rows if not r.get("error")]
    if not ok:
        return {}
    worst, mean = {}, {}
    for k, (_, low, _) in FIGURES.items():
        vals = [float(r[k]) for r in ok if r.get(k) is not None and not (isinstance(r[k], float) and math.isnan(r[k]))]
        if not vals:
            worst[k] = mean[k] = float("nan")
            continue
        mean[k] = sum(vals) / len(vals)
        worst[k] = min(vals) if low else max(vals) if low is False else float("nan")
    # the best single list beside the worst ratio comes from that same world
    w = min(ok, key=lambda r: (r["ratio"], r["seed"]))
    worst["best_found@50"], worst["best_list"] = w["best_found@50"], w["best_list"]
    worst["ratio_seed"] = w["seed"]
    worst["screen_s"] = max(r["screen_s"] for r in ok)
    mean["screen_s"] = sum(r["screen_s"] for r in ok) / len(ok)
    return {"worst": worst, "mean": mean}


def _cell(v, fmt: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if fmt == "d":
        return f"{v:.1f}" if isinstance(v, float) and not float(v).is_integer() else f"{int(v)}"
    return format(v, fmt)


def table_lines(rows: list[dict], summary: dict[str, dict]) -> list[str]:
    """The per-world table, the worst-case row and the mean, in Chinese."""
    from pipeline.evaluate import pad
    from pipeline.evaluate_ranking import RANKING_NAMES

    widths = {k: max(9, len(h) * 2 + 2) for k, (h, _, _) in FIGURES.items()}
    head = pad("世界", 12) + "".join(pad(h, widths[k], True) for k, (h, _, _) in FIGURES.items()) \
        + pad("筛查秒", 8, True) + "  主要抽取参数"
    lines = [head]

    def line(label, r, extra=""):
        cells = "".join(pad(_cell(r.get(k), fmt), widths[k], True) for k, (_, _, fmt) in FIGURES.items())
        return pad(label, 12) + cells + pad(_cell(r.get("screen_s"), ".0f"), 8, True) + "  " + extra

    for r in rows:
        params = "，".join(f"{KNOB_NAMES[k]} {r[k]:.2f}" for k in KNOB_NAMES if k in r)
        if r.get("error"):
            lines.append(pad(f"种子 {r['seed']}", 12) + f"  筛查失败：{r['error']}  " + params)
        else:
            best = RANKING_NAMES.get(r["best_list"], r["best_list"])
            lines.append(line(f"种子 {r['seed']}", r, params + f"；最佳单一清单：{best}"))
    if summary:
        w = summary["worst"]
        lines.append(line("最差情况", w, f"（倍数与最佳单一清单取自种子 {w['ratio_seed']}：{RANKING_NAMES.get(w['best_list'], w['best_list'])}）"))
        lines.append(line("平均", summary["mean"]))
    return lines


def write_figures(work: Path, rows: list[dict], summary: dict[str, dict]) -> tuple[Path, Path]:
    """vary_figures.csv (one row per world, then worst and mean) and vary_figures.json."""
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    keep = ["seed", "error", *FIGURES, "best_list", "n_planted", "n_premises", "k_5pct", "evidence_unlisted",
            "screen_s", *KNOB_NAMES]
    df = pd.DataFrame([{k: r.get(k) for k in keep} for r in rows])
    extra = [{"seed": name, **{k: v for k, v in s.items() if k in keep}} for name, s in summary.items()]
    df = pd.concat([df, pd.DataFrame(extra)], ignore_index=True)[keep]
    csv_path, json_path = work / "vary_figures.csv", work / "vary_figures.json"
    df.to_csv(csv_path, index=False, encoding="utf-8-sig", lineterminator="\n")
    clean = [{k: v for k, v in r.items() if k not in ("baselines", "unlisted_places")} | {
        "unlisted_places": r.get("unlisted_places", []), "baselines": r.get("baselines", {})} for r in rows]
    json_path.write_text(json.dumps({"worlds": clean, **summary}, ensure_ascii=False, indent=1, default=float) + "\n",
                         encoding="utf-8")
    return csv_path, json_path


__all__ = ["evaluate_vary", "world_figures", "link_figures", "summary_rows", "table_lines", "write_figures",
           "FIGURES", "pair_counts_sql"]
