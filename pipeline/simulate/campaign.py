"""A simulated campaign: weekly screen → visits → returns → re-screen, from a world's truth.

Each week (runs on Mondays from `start`) the pipeline screens the world's inbox plus all
returns so far; each community's team then gets through `per_community` visits of its list
that week (the top by score and their share of the random picks); the simulated inspectors
return what they find (pipeline.simulate.returns). The world's other data stay as exported
(the offices do not deliver new readings here), so what changes week to week is what the
inspectors found — and what the learn stage makes of it.

Figures per week: visits that saw inside, hits, hit rate of the scored part and of the
random picks, the model's status and measured lift, and the random-share estimate of the
illegal places left below the cut against the truth. For the note of issue 6 and `make
campaign`; the screening pipeline never reads truth/.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import yaml

from pipeline.learn import BELOW_CUT_SQL
from pipeline.learn.text import PART_RANDOM
from pipeline.publish.text import RANDOM_PICK
from pipeline.simulate.returns import _truth_of_premises, inspector_returns
from pipeline.simulate.world import N_DAYS, START

log = logging.getLogger(__name__)

# The simulated world's own calendar: its data end on the last day of the world (2021-06-30)
# and its first lists are dated the next Monday. The demo screens as of this day, not today —
# against today every demo source would look stale and every deadline long past.
_DATA_END = START + dt.timedelta(days=N_DAYS - 1)
WORLD_RUN_DATE = _DATA_END + dt.timedelta(days=(7 - _DATA_END.weekday()) % 7 or 7)


def _config_copy(config_dir: Path, dest: Path, learning: bool) -> Path:
    shutil.copytree(config_dir, dest, dirs_exist_ok=True)
    path = dest / "learning.yaml"
    lr = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    lr["enabled"] = learning
    path.write_text(yaml.safe_dump(lr, allow_unicode=True), encoding="utf-8")
    return dest


def _truth_below_cut(db: Path, truth_dir: Path, run_id: int) -> tuple[int, int]:
    """(premises below this run's cut not yet seen inside, how many of them stand for a
    planted workshop) — what the random-share estimate should estimate."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        truth = _truth_of_premises(con, truth_dir)
        below = con.execute(BELOW_CUT_SQL, {"run_id": run_id}).df()
    finally:
        con.close()
    planted = below.merge(truth, on="premises_id", how="left")["planted_category"].notna().sum()
    return len(below), int(planted)


def run_campaign(world: Path, work: Path, weeks: int = 6, per_community: int = 5, learning: bool = True,
                 start: dt.date = WORLD_RUN_DATE, seed: int = 7, config_dir: Path = Path("configs"),
                 no_access_rate: float = 0.08, not_found_rate: float = 0.02) -> pd.DataFrame:
    from pipeline.screen import screen

    work = Path(work)
    if work.exists():
        shutil.rmtree(work)
    inbox = work / "inbox"
    shutil.copytree(Path(world) / "inbox", inbox, ignore=shutil.ignore_patterns("outcomes"))
    cfg_dir = _config_copy(Path(config_dir), work / "configs", learning)
    random_share = float(yaml.safe_load((cfg_dir / "scoring.yaml").read_text(encoding="utf-8")).get("random_share", 0.1))
    db, truth = work / "warehouse.duckdb", Path(world) / "truth"
    rows = []
    for w in range(weeks + 1):
        run_date = start + dt.timedelta(weeks=w)
        res = screen(inbox, db, work / "out", config_dir=cfg_dir, archive_dir=work / "archive", run_date=run_date)
        est = {r["part"]: r for r in _estimates(db, res.run_id)}
        below, planted_below = _truth_below_cut(db, truth, res.run_id)
        m = res.model
        row = {"week": w, "run_date": run_date, "model": m.get("status"), "model_used": bool(m.get("used")),
               "labels": m.get("n_labels"), "precision_rule": m.get("precision_rule"),
               "precision_model": m.get("precision_model"), "lift": m.get("lift"),
               "below_cut": below, "planted_below_truth": planted_below}
        rnd = est.get(PART_RANDOM)
        if rnd:
            row.update(missed_estimate=rnd["missed_estimate"], missed_low=rnd["missed_low"],
                       missed_high=rnd["missed_high"], random_visits=rnd["visits"], random_hits=rnd["hits"])
        if w == weeks:                # the last run only reads the last week's returns
            rows.append(row)
            break
        ret = inspector_returns(db, truth, res.out_dir, inbox / "outcomes" / f"检查结果回报_第{w + 1}周.csv",
                                run_date, seed=seed * 100 + w, no_access_rate=no_access_rate,
                                not_found_rate=not_found_rate, per_community=per_community,
                                random_share=random_share, spread_days=5)
        lists = pd.concat([pd.read_csv(p, encoding="utf-8-sig", dtype=str, keep_default_na=False)
                           for p in sorted(res.out_dir.glob("visit_list_*.csv"))], ignore_index=True)
        rand_ids = set(lists.loc[lists["主要依据"] == RANDOM_PICK, "场所编号"])
        inside = ret[ret["检查结论"].isin(["违法违规", "未发现问题"])]
        is_rnd = inside["场所编号"].isin(rand_ids)
        hit = inside["检查结论"] == "违法违规"
        row.update(visits=len(ret), inside=len(inside), hits=int(hit.sum()),
                   list_inside=int((~is_rnd).sum()), list_hits=int((hit & ~is_rnd).sum()),
                   rnd_inside=int(is_rnd.sum()), rnd_hits=int((hit & is_rnd).sum()))
        rows.append(row)
        log.info("模拟专项行动第 %d 周（%s）：走访 %d 处，查实 %d 处", w + 1, run_date, len(ret), int(hit.sum()))
    return pd.DataFrame(rows)


def _estimates(db: Path, run_id: int) -> list[dict]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT * FROM hit_rate_estimates WHERE run_id = ?", [run_id]).df().to_dict("records")
    finally:
        con.close()
