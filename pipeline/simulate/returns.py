"""Simulated inspectors: visit what a run's lists name and return what they find there.

The inspector knows the world (truth/): a listed premises that stands for a planted
workshop — by its records, or by sharing its street number with one (a 厂中厂 in the
host's building) — is found 违法违规 with the workshop's 整治类别 and typical measures;
any other premises is 未发现问题. Some visits fail: the door is locked (无法进入) or the
place is not where the list says (未找到). The returns are written in the office format of
DESIGN §3 (outcomes), ready for the inbox. For demos and tests of the visit → return →
re-screen loop only; the screening pipeline never reads truth/.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

HEADERS = ["场所编号", "检查日期", "检查人", "检查结论", "整治类别", "处置措施", "没收违法所得(万元)", "备注"]
INSPECTORS = ["陈建国", "王丽华", "林志明", "许秀英", "蔡文斌", "洪海燕"]
MEASURES_BY_CATEGORY = {
    "1": ["责令停产整顿", "原料产品安全处置"],
    "2": ["责令停产", "封闭非法生产装置", "原料产品安全处置"],
    "3": ["责令停产", "设备设施拆除", "原料产品安全处置"],
    "4": ["责令停产", "设备设施拆除", "原料产品安全处置"],
    "5": ["责令停产", "原料产品安全处置"],
}


def _truth_of_premises(con, truth_dir: Path) -> pd.DataFrame:
    members = pd.read_csv(truth_dir / "members.csv", dtype=str)
    places = pd.read_csv(truth_dir / "places.csv", dtype=str)
    con.register("_tm", members)
    best = con.execute("""
        WITH v AS (SELECT p.premises_id, t.place_id, count(*) AS n
                   FROM premises_members p JOIN _tm t USING (source, source_key) GROUP BY ALL)
        SELECT premises_id, arg_max(place_id, n) AS place_id FROM v GROUP BY premises_id
    """).df()
    con.unregister("_tm")
    number = places["address"].str.extract(r"^(.*?\d+号)", expand=False)
    planted = places[places["role"] == "planted"].assign(k=number)
    at_number = planted.dropna(subset=["k"]).drop_duplicates("k").set_index("k")["place_id"]
    best = best.merge(places[["place_id", "role", "category"]], on="place_id", how="left")
    via = best["place_id"].map(pd.Series(number.to_numpy(), index=places["place_id"])).map(at_number)
    cat_of = places.set_index("place_id")["category"]
    best["planted_category"] = best["category"].where(best["role"] == "planted", via.map(cat_of))
    return best[["premises_id", "planted_category"]]


def _this_weeks_visits(listed: pd.DataFrame, per_community: int, random_share: float, rng) -> pd.DataFrame:
    """What a community's inspectors get through in a week: the top of the list by score,
    and random picks in proportion — each visit slot goes to one with probability
    `random_share` (rounding up per community would make a third of 3 visits random)."""
    from pipeline.publish.text import RANDOM_PICK

    out = []
    for _, part in listed.groupby("社区", sort=True):
        rnd = part[part["主要依据"] == RANDOM_PICK]
        top = part[part["主要依据"] != RANDOM_PICK]
        n_rnd = min(len(rnd), int(rng.binomial(per_community, random_share)))
        out += [top.head(per_community - n_rnd), rnd.head(n_rnd)]
    return pd.concat(out, ignore_index=True) if out else listed.head(0)


def inspector_returns(db: Path, truth_dir: Path, lists_dir: Path, out_csv: Path, visit_date: dt.date,
                      seed: int = 7, no_access_rate: float = 0.08, not_found_rate: float = 0.02,
                      per_community: int | None = None, random_share: float = 0.1,
                      spread_days: int = 1) -> pd.DataFrame:
    """Returns for the visits to the lists in `lists_dir`: all of them, or per community the
    `per_community` a team gets through in a week (visit dates spread over `spread_days`
    working days from `visit_date`)."""
    rng = np.random.default_rng(seed)
    listed = pd.concat([pd.read_csv(p, encoding="utf-8-sig", dtype=str, keep_default_na=False)
                        for p in sorted(Path(lists_dir).glob("visit_list_*.csv"))], ignore_index=True)
    if per_community is not None:
        listed = _this_weeks_visits(listed, per_community, random_share, rng)
    con = duckdb.connect(str(db), read_only=True)
    try:
        truth = _truth_of_premises(con, Path(truth_dir))
    finally:
        con.close()
    df = listed[["场所编号"]].rename(columns={"场所编号": "premises_id"}).merge(truth, on="premises_id", how="left")
    rows = []
    for pid, cat in zip(df["premises_id"], df["planted_category"]):
        day = visit_date + dt.timedelta(days=int(rng.integers(spread_days)))
        u = rng.random()
        inspector = INSPECTORS[int(rng.integers(len(INSPECTORS)))]
        if u < no_access_rate:
            rows.append([pid, day, inspector, "无法进入", "", "", "", "大门紧锁，约定复查"])
        elif u < no_access_rate + not_found_rate:
            rows.append([pid, day, inspector, "未找到", "", "", "", "按清单地址未找到该场所"])
        elif isinstance(cat, str) and cat:
            measures = list(MEASURES_BY_CATEGORY[cat])
            confiscated = ""
            if rng.random() < 0.4:
                measures.append("立案查处")
            if rng.random() < 0.2:
                measures.append("没收违法所得")
                confiscated = round(float(rng.uniform(0.5, 8.0)), 1)
            if rng.random() < 0.1:
                measures.append("移送司法机关")
            rows.append([pid, day, inspector, "违法违规", cat, "、".join(measures), confiscated, ""])
        else:
            rows.append([pid, day, inspector, "未发现问题", "", "", "", ""])
    out = pd.DataFrame(rows, columns=HEADERS)
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(out_csv, index=False, encoding="utf-8-sig")
    return out
