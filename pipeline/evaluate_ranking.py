"""Ranking quality against a simulated world's truth, beside the offices' own lists.

All figures are tie-aware: premises with equal scores are taken in random order, and the
figures are the expected values over that order (computed exactly, not by sampling).
A planted place counts as found at the rank of its best-ranked premises — or of the
best-ranked premises of another place at the same address: an inspector who visits the host
factory finds the workshop hidden in it (厂中厂 drawing on the host's meter has no records
of its own).

Baselines are the single-source lists each office would hand over, built from the same
data and mapped to the same premises:
  power_surge_list   供电所: accounts by recent-4-weeks / previous-12-weeks consumption ratio
  night_use_list     供电所: accounts by valley (谷) share of recent consumption
  keyword_list       市场监管所: registrations whose name or scope contains 化工/化学 (all tied)
  consignee_list     交通: unlicensed waybill consignees by number of waybills
  office_surge_list  供电所's own 电量激增清单 as handed over, by its growth (kWh 本期/同期)
  monthly_yoy_list   供电所: monthly bills, latest month against the same month a year earlier
  market_list        市场监管所's own screened list (all tied)
  random             every premises tied
A baseline whose source is not in the inbox ranks nothing (it is left out of the table).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

KS = (10, 20, 50, 100)

# What the printed evaluation calls each ranking.
RANKING_NAMES = {"chemsieve": "chemsieve（本系统）", "power_surge_list": "仅用电激增清单",
                 "night_use_list": "仅夜间用电清单", "keyword_list": "仅名称关键词清单",
                 "consignee_list": "仅危货收货方清单", "office_surge_list": "仅供电所电量激增清单",
                 "monthly_yoy_list": "仅月度电量同比清单", "market_list": "仅市场监管所排查名单",
                 "random": "随机走访"}

_BASELINES_SQL = {
    "power_surge_list": """
        WITH d AS (
            SELECT account_no, avg(kwh) FILTER (WHERE day > $as_of - 28) AS recent,
                   avg(kwh) FILTER (WHERE day <= $as_of - 28 AND day > $as_of - 112) AS base
            FROM stg_power_readings WHERE period = 'day' AND day <= $as_of GROUP BY account_no
        )
        SELECT m.premises_id, max(recent / greatest(base, 1)) AS score
        FROM d JOIN premises_members m ON m.source = 'power_accounts' AND m.source_key = d.account_no
        WHERE recent IS NOT NULL GROUP BY m.premises_id""",
    "night_use_list": """
        WITH d AS (
            SELECT account_no, sum(kwh_valley) / nullif(sum(kwh), 0) AS share, avg(kwh) AS daily
            FROM stg_power_readings WHERE period = 'day' AND day > $as_of - 28 AND day <= $as_of
            GROUP BY account_no
        )
        SELECT m.premises_id, max(share) AS score
        FROM d JOIN premises_members m ON m.source = 'power_accounts' AND m.source_key = d.account_no
        WHERE share IS NOT NULL AND daily >= 5 GROUP BY m.premises_id""",
    "keyword_list": """
        SELECT DISTINCT m.premises_id, 1.0 AS score
        FROM stg_registry r JOIN premises_members m ON m.source = 'registry' AND m.source_key = r.source_key
        WHERE regexp_matches(coalesce(r.name, '') || coalesce(r.scope, ''), '化工|化学')""",
    "consignee_list": """
        SELECT m.premises_id, count(*)::DOUBLE AS score
        FROM stg_waybills w JOIN premises_members m ON m.source = 'waybills' AND m.source_key = w.waybill_no
        WHERE m.premises_id NOT IN (SELECT premises_id FROM premises_members WHERE source = 'licenses')
          AND (w.depart_at IS NULL OR w.depart_at::DATE <= $as_of)
        GROUP BY m.premises_id""",
    "office_surge_list": """
        SELECT m.premises_id,
               max(coalesce(CASE WHEN s.kwh_last_year > 0 THEN s.kwh / s.kwh_last_year
                                 WHEN s.kwh_last_year = 0 AND s.kwh > 0 THEN 1e6 END,
                            1 + s.growth_yoy, CASE WHEN s.kwh_prev > 0 THEN s.kwh / s.kwh_prev END,
                            1 + s.growth_mom, 1.0)) AS score
        FROM stg_power_surge_list s JOIN premises_members m ON m.source = 'power_accounts' AND m.source_key = s.account_no
        WHERE s.period_end <= $as_of GROUP BY m.premises_id""",
    "monthly_yoy_list": """
        WITH b AS (SELECT account_no, day, kwh FROM stg_power_readings WHERE period = 'month' AND last_day(day) <= $as_of),
        last AS (SELECT max(day) AS d FROM b),
        d AS (
            SELECT account_no, sum(kwh) FILTER (WHERE day = (SELECT d FROM last)) AS now,
                   sum(kwh) FILTER (WHERE day = (SELECT d FROM last) - INTERVAL 1 YEAR) AS before
            FROM b GROUP BY account_no
        )
        SELECT m.premises_id, max(now / greatest(before, 1)) AS score
        FROM d JOIN premises_members m ON m.source = 'power_accounts' AND m.source_key = d.account_no
        WHERE now IS NOT NULL AND now >= 300 GROUP BY m.premises_id""",
    "market_list": """
        SELECT DISTINCT m.premises_id, 1.0 AS score
        FROM stg_registry_list l JOIN premises_members m ON m.source = 'registry' AND m.source_key = l.source_key""",
}


def _place_of_premises(con, truth_dir: Path) -> pd.DataFrame:
    from pipeline.evaluate import load_truth_members

    load_truth_members(con, truth_dir)
    return con.execute("""
        WITH votes AS (
            SELECT p.premises_id, t.place_id, count(*) AS n
            FROM premises_members p JOIN truth_members t USING (source, source_key) GROUP BY ALL
        )
        SELECT premises_id, arg_max(place_id, n) AS place_id FROM votes GROUP BY premises_id
    """).df()


def expected_found(scores: pd.Series, planted_place: pd.Series, n_planted: int,
                   ks: list[int]) -> dict[int, float]:
    """Expected number of distinct planted places found within the first k premises when
    equal scores are in random order. scores: per premises (higher first, NaN = not on the
    list); planted_place: the planted place a premises stands for, or None.

    A place is found by its first premises; premises of a place in an earlier (higher) tie
    group than the current one have already found it. Within the tie group that straddles
    k, a place with c premises among the group's `size` is found unless all `draw` = k −
    (ranks before the group) drawn premises miss it: P(miss) = Π_{i<c} (size−draw−i)/(size−i).
    """
    df = pd.DataFrame({"score": scores.to_numpy(), "place": planted_place.to_numpy()})
    df = df[df["score"].notna()]
    if df.empty:
        return {k: 0.0 for k in ks}
    uniq = np.sort(df["score"].unique())[::-1]
    df["g"] = np.searchsorted(-uniq, -df["score"].to_numpy())
    sizes = np.bincount(df["g"], minlength=len(uniq))
    start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    pl = df.dropna(subset=["place"])
    first_g = pl.groupby("place")["g"].min()
    cnt = pl.groupby(["place", "g"]).size()
    # (place, its first group, how many of its premises are in that group)
    firsts = pd.DataFrame({"g": first_g})
    firsts["c"] = [cnt[(p, g)] for p, g in zip(firsts.index, firsts["g"])]
    found_through = np.cumsum(np.bincount(firsts["g"], minlength=len(uniq)))   # places found by the end of group g
    out = {}
    for k in ks:
        gk = int(np.searchsorted(np.cumsum(sizes), k, side="left"))           # the group holding rank k
        if gk >= len(uniq):
            out[k] = float(found_through[-1])
            continue
        before = float(found_through[gk - 1]) if gk > 0 else 0.0
        draw, size = k - int(start[gk]), int(sizes[gk])
        here = firsts[firsts["g"] == gk]["c"].to_numpy()
        if draw >= size:
            out[k] = before + len(here)
            continue
        exp = 0.0
        for c in here:
            miss = float(np.prod((size - draw - np.arange(c)) / (size - np.arange(c)))) if size - c >= draw else 0.0
            exp += 1.0 - miss
        out[k] = before + exp
    return out


def _auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Mann–Whitney AUC with ties counted half (equal scores are a coin toss)."""
    pos, neg = scores[labels], scores[~labels]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    gt = (pos[:, None] > neg[None, :]).sum()
    eq = (pos[:, None] == neg[None, :]).sum()
    return float((gt + 0.5 * eq) / (len(pos) * len(neg)))


def premises_truth(con, truth_dir: Path) -> pd.DataFrame:
    """Every premises with the truth place it stands for (role, category, community, kind) and
    `planted_place`: the planted place a visit there finds — its own, or one at the same
    street number ("…290号后座" is in the building at "…290号")."""
    places = pd.read_csv(Path(truth_dir) / "places.csv", dtype=str)
    best = _place_of_premises(con, truth_dir).merge(places[["place_id", "role", "category", "community", "kind"]],
                                                     on="place_id", how="left")
    planted = places[places["role"] == "planted"]
    allp = con.execute("SELECT premises_id, community AS our_community FROM premises").df()
    df = allp.merge(best, on="premises_id", how="left")
    df["planted_place"] = df["place_id"].where(df["role"] == "planted")
    number = places["address"].str.extract(r"^(.*?\d+号)", expand=False)
    at_address = (planted.assign(k=number[planted.index]).dropna(subset=["k"]).drop_duplicates("k")
                  .set_index("k")["place_id"])
    addr_of = pd.Series(number.to_numpy(), index=places["place_id"])
    via_address = df["place_id"].map(addr_of).map(at_address)
    df["planted_place"] = df["planted_place"].fillna(via_address)
    return df


def ranking_report(con, truth_dir: Path, ranking: pd.DataFrame, as_of) -> dict:
    """All figures for one ranking (premises_id, score, category)."""
    places = pd.read_csv(Path(truth_dir) / "places.csv", dtype=str)
    n_premises = con.execute("SELECT count(*) FROM premises").fetchone()[0]
    n_planted = int((places["role"] == "planted").sum())
    df = premises_truth(con, truth_dir).merge(ranking, on="premises_id", how="left")
    k5 = max(1, math.ceil(0.05 * n_premises))
    ks = sorted(set(KS) | {k5})
    found = expected_found(df["score"], df["planted_place"], n_planted, ks)
    rep = {"n_premises": n_premises, "n_planted": n_planted, "k_5pct": k5}
    for k in KS:
        rep[f"found@{k}"] = found[k]
        rep[f"precision@{k}"] = found[k] / k
        rep[f"recall@{k}"] = found[k] / n_planted if n_planted else float("nan")
    rep["recall@5%"] = found[k5] / n_planted if n_planted else float("nan")
    # visits needed to find half and 80% of the planted places
    listed = int(df["score"].notna().sum())
    steps = sorted(set(list(range(1, listed + 1, max(1, listed // 200))) + [listed]))
    curve = expected_found(df["score"], df["planted_place"], n_planted, steps)
    for share in (0.5, 0.8):
        need = next((k for k in steps if curve[k] >= share * n_planted), None)
        rep[f"visits_for_{int(share * 100)}%"] = need
    # category accuracy among planted places found within 5%
    if "category" in df and "suggested" in df:
        top = df[df["score"].notna()].sort_values("score", ascending=False).head(k5)
        hit = top[top["role"] == "planted"].drop_duplicates("place_id")
        # both as integers: a float column ("1.0") must still match truth's "1"
        ours = pd.to_numeric(hit["suggested"], errors="coerce").astype("Int64")
        truth = pd.to_numeric(hit["category"], errors="coerce").astype("Int64")
        rep["category_accuracy"] = float((ours == truth).fillna(False).mean()) \
            if len(hit) else float("nan")
    # per community: planted vs legal look-alikes, AUC (score NaN = 0)
    aucs = {}
    for comm, g in df[df["role"].isin(["planted", "lookalike"])].groupby("community"):
        lab = (g["role"] == "planted").to_numpy()
        if lab.any() and (~lab).any():
            aucs[comm] = _auc(g["score"].fillna(0).to_numpy(), lab)
    rep["auc_by_community"] = aucs
    return rep


def baseline_rankings(con, as_of) -> dict[str, pd.DataFrame]:
    out = {}
    for name, sql in _BASELINES_SQL.items():
        df = con.execute(sql, {"as_of": as_of} if "$as_of" in sql else {}).df()
        if len(df):                   # an office whose data did not come hands over no list
            out[name] = df
    out["random"] = con.execute("SELECT premises_id, 0.0 AS score FROM premises").df()
    return out
