"""Learn stage: teach the scorer with what inspectors found, honestly.

Entry points: `learn(con, cfg, run_id, run_date)` after the score stage, and
`estimate_hit_rates(con, run_id)` after the lists are built.

- Labels (`learn_labels`): premises seen inside, 违法违规 = hit, 未发现问题 = miss; the
  features are the evidence strengths and rule score of the run that listed them.
- Model: a logistic regression on those features (few labels, so a small, regularised,
  readable model). Time-validated every run: trained on the earlier visits, it must rank the
  later visits better than the rule score (tie-aware precision at k) to be used at all.
- In use: score = rule + w × 100 × (p − q) for premises with evidence, p the model's
  probability of a finding and q what the rule score alone implies (calibrated on the same
  visits); the points it moved show in 主要依据 (`model_scores.sentence`).
- Random picks (随机抽查) are the only visits not chosen by the score: their hit rate
  estimates how many illegal places remain below the cut (`hit_rate_estimates`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.config import Config
from pipeline.db import run_sql_file
from pipeline.learn import text

log = logging.getLogger(__name__)
HERE = Path(__file__).parent

#: feature columns beyond the signals' strengths
RULE = "rule_score"


def ensure_tables(con) -> None:
    from pipeline.db import ensure_runs_table

    ensure_runs_table(con)
    run_sql_file(con, HERE / "tables.sql", {})
    con.execute("ALTER TABLE model_scores ADD COLUMN IF NOT EXISTS sentence VARCHAR")


def precision_at_k(scores: np.ndarray, hits: np.ndarray, k: int) -> float:
    """Expected share of hits among the first k when equal scores come in random order."""
    scores, hits = np.asarray(scores, float), np.asarray(hits, bool)
    k = min(k, len(scores))
    if k <= 0:
        return float("nan")
    expected, taken = 0.0, 0
    for s in np.sort(np.unique(scores))[::-1]:
        group = hits[scores == s]
        room = k - taken
        if room <= 0:
            break
        if len(group) <= room:
            expected += group.sum()
            taken += len(group)
        else:
            expected += group.sum() * room / len(group)
            taken = k
    return float(expected / k)


def auc(scores: np.ndarray, hits: np.ndarray) -> float:
    """Mann–Whitney AUC, ties counted half."""
    scores, hits = np.asarray(scores, float), np.asarray(hits, bool)
    pos, neg = scores[hits], scores[~hits]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    gt = (pos[:, None] > neg[None, :]).sum()
    eq = (pos[:, None] == neg[None, :]).sum()
    return float((gt + 0.5 * eq) / (len(pos) * len(neg)))


def wilson(hits: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson interval of a proportion (sane at 0 of n, unlike the normal one)."""
    if n == 0:
        return float("nan"), float("nan")
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    lo = 0.0 if hits == 0 else max(0.0, centre - half)
    hi = 1.0 if hits == n else min(1.0, centre + half)
    return lo, hi


def blend(rule: np.ndarray, prob: np.ndarray, expected: np.ndarray, weight: float,
          max_score: float = 100.0) -> np.ndarray:
    """The score with the model in use: the rule score moved by weight × 100 × (p − q), where p
    is the model's probability of a finding and q the probability the rule score alone implies
    (a logistic fit on the same visits). Evidence the rule score already weighs right moves
    nothing; the model pushes up patterns that were found more often than their score said,
    and down those found less. Premises without evidence (rule 0) stay at 0."""
    rule = np.asarray(rule, float)
    moved = rule + weight * 100 * (np.asarray(prob, float) - np.asarray(expected, float))
    return np.where(rule > 0, np.clip(moved, 0.0, max_score), 0.0)


class Learned:
    """The fitted pair: the model on all features, and the rule score's own calibration."""

    def __init__(self, data: pd.DataFrame, codes: list[str], c: float):
        y = data["hit"].astype(int)
        self.codes = codes
        self.model = _model(c).fit(_xy(data, codes), y)
        self.calibration = _model(c).fit(_xy(data, [])[:, :1], y)
        # the rule score claims "higher is riskier": when the visits say otherwise, what it
        # implies is no more than the average hit rate
        self.base_rate = float(y.mean())
        self.rule_monotone = bool(self.calibration.coef_[0][0] >= 0)

    def predict(self, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        p = self.model.predict_proba(_xy(df, self.codes))[:, 1]
        if self.rule_monotone:
            q = self.calibration.predict_proba(_xy(df, [])[:, :1])[:, 1]
        else:
            q = np.full(len(df), self.base_rate)
        return p, q


def features(con, codes: list[str], keys: pd.DataFrame) -> pd.DataFrame:
    """Feature matrix for (run_id, premises_id) rows of `keys`: rule score / 100 and each
    signal's strength in that run (0 when it did not fire)."""
    con.register("_keys", keys[["run_id", "premises_id"]])
    try:
        ev = con.execute("""
            SELECT k.run_id, k.premises_id, e.signal, max(e.strength) AS strength
            FROM _keys k JOIN evidence e USING (run_id, premises_id)
            GROUP BY ALL""").df()
        rule = con.execute("""
            SELECT k.run_id, k.premises_id,
                   coalesce(m.rule_score, s.score, 0) AS rule_score
            FROM _keys k
            LEFT JOIN model_scores m USING (run_id, premises_id)
            LEFT JOIN scores s USING (run_id, premises_id)""").df()
    finally:
        con.unregister("_keys")
    wide = ev.pivot_table(index=["run_id", "premises_id"], columns="signal", values="strength", aggfunc="max")
    out = keys[["run_id", "premises_id"]].merge(rule, on=["run_id", "premises_id"], how="left")
    out = out.merge(wide.reset_index(), on=["run_id", "premises_id"], how="left")
    for c in codes:
        if c not in out.columns:
            out[c] = 0.0
    out[RULE] = out[RULE].fillna(0.0)
    out[codes] = out[codes].fillna(0.0).astype(float)
    return out[["run_id", "premises_id", RULE, *codes]]


def _model(c: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=2000)


def _xy(df: pd.DataFrame, codes: list[str]) -> np.ndarray:
    x = df[[RULE, *codes]].to_numpy(float).copy()
    x[:, 0] /= 100.0
    return x


def _split(labels: pd.DataFrame, share: float) -> dt.date:
    """The first visit date from which the later visits are the test set (~1 − share)."""
    dates = np.array(sorted(pd.to_datetime(labels["visit_date"]).dt.date))
    cut = dates[min(len(dates) - 1, int(math.ceil(share * len(dates))))]
    if not (dates < cut).any():
        later = np.unique(dates[dates > cut])
        cut = later[0] if len(later) else cut
    return cut


def validate(train: pd.DataFrame, test: pd.DataFrame, codes: list[str], lr: dict) -> dict:
    """Train on `train`, compare rule score and blended score on `test` (tie-aware)."""
    prob, expected = Learned(train, codes, float(lr["regularisation_c"])).predict(test)
    rule = test[RULE].to_numpy(float)
    mixed = blend(rule, prob, expected, float(lr["model_weight"]))
    hits = test["hit"].to_numpy(bool)
    k = int(min(int(lr["eval_k"]), max(1, len(test) // 2)))
    # the later visits were mostly chosen by the score; the random picks among them were not,
    # so they alone say without bias whether the model orders the rest of the place better
    rnd = test["random_pick"].to_numpy(bool)
    return {"k": k, "precision_rule": precision_at_k(rule, hits, k), "precision_model": precision_at_k(mixed, hits, k),
            "auc_rule": auc(rule, hits), "auc_model": auc(mixed, hits),
            "n_random_test": int(rnd.sum()), "random_hits_test": int(hits[rnd].sum()),
            "auc_rule_random": _none_if_nan(auc(rule[rnd], hits[rnd])),
            "auc_model_random": _none_if_nan(auc(mixed[rnd], hits[rnd]))}


def _none_if_nan(v: float) -> float | None:
    return None if v is None or math.isnan(v) else v


def learn(con, cfg: Config, run_id: int, run_date: dt.date) -> dict:
    """Labels, time validation and (when it earns it) the model's points in this run's scores."""
    lr = cfg.learning
    ensure_tables(con)
    for t in ("model_scores", "model_runs"):
        con.execute(f"DELETE FROM {t} WHERE run_id = ?", [run_id])
    # the rule score of every premises with evidence, kept before any model moves it
    con.execute("INSERT INTO model_scores (run_id, premises_id, rule_score, model_points) "
                "SELECT run_id, premises_id, score, 0 FROM scores WHERE run_id = ? AND score > 0", [run_id])
    run_sql_file(con, HERE / "labels.sql", {"run_id": run_id, "run_date": run_date})
    labels = con.execute("SELECT * FROM learn_labels WHERE run_id = ? ORDER BY visit_date, premises_id",
                         [run_id]).df()
    codes = sorted(cfg.scoring["signals"])
    n, hits = len(labels), int(labels["hit"].sum()) if len(labels) else 0
    row = {"run_id": run_id, "status": "", "used": False, "n_labels": n, "n_hits": hits, "split_date": None,
           "n_train": None, "n_test": None, "k": None, "precision_rule": None, "precision_model": None,
           "lift": None, "auc_rule": None, "auc_model": None, "n_random_test": None, "random_hits_test": None,
           "auc_rule_random": None, "auc_model_random": None, "coefficients": None, "note": ""}
    need, each = int(lr["min_labels"]), int(lr["min_each_class"])
    if not lr.get("enabled", True):
        row.update(status="disabled", note=text.NOT_ENABLED)
    elif n < need or hits < each or n - hits < each:
        row.update(status="too_few", note=text.TOO_FEW.format(n=n, hits=hits, misses=n - hits, need=need, each=each))
    else:
        keyed = labels.rename(columns={"run_id": "_r", "feature_run_id": "run_id"})   # features of the listing run
        data = keyed.merge(features(con, codes, keyed), on=["run_id", "premises_id"], how="left")
        cut = _split(data, float(lr["train_share"]))
        day = pd.to_datetime(data["visit_date"]).dt.date
        train, test = data[day < cut], data[day >= cut]
        ok = (train["hit"].sum() >= each and (~train["hit"]).sum() >= each
              and test["hit"].any() and (~test["hit"]).any())
        row.update(split_date=cut, n_train=len(train), n_test=len(test))
        if not ok:
            row.update(status="no_split", note=text.NO_SPLIT)
        else:
            v = validate(train, test, codes, lr)
            lift = v["precision_model"] - v["precision_rule"]
            used = lift > float(lr["min_lift"])
            row.update(v, lift=lift, used=used, status="used" if used else "not_better",
                       note=(text.USED if used else text.NOT_BETTER).format(
                           k=v["k"], pm=v["precision_model"], pr=v["precision_rule"], w=float(lr["model_weight"])))
            final = Learned(data, codes, float(lr["regularisation_c"]))
            row["coefficients"] = json.dumps(
                {"intercept": round(float(final.model.intercept_[0]), 4),
                 **{c: round(float(w), 4) for c, w in zip([RULE, *codes], final.model.coef_[0])}}, ensure_ascii=False)
            if used:
                _apply(con, cfg, run_id, final, codes, n)
    con.execute("INSERT INTO model_runs BY NAME SELECT * FROM (SELECT " +
                ", ".join(f"${k} AS {k}" for k in row) + ")", row)
    log.debug("learn: %s — %s", row["status"], row["note"])
    log.info(text.LOG_LINE.format(status=text.STATUS_NAMES.get(row["status"], row["status"]), note=row["note"]))
    out = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in row.items()
           if k not in ("run_id", "coefficients")}
    out["learnt"] = learnt_line(row["coefficients"]) if row["coefficients"] else None
    return out


def learnt_line(coefficients: str, top: int = 6) -> str:
    """The largest coefficients, in Chinese, for the report (what the model leans on)."""
    coef = {k: v for k, v in json.loads(coefficients).items() if k != "intercept" and abs(v) >= 0.01}
    items = sorted(coef.items(), key=lambda kv: -abs(kv[1]))[:top]
    return text.LEARNT.format(items="；".join(f"{text.FEATURE_NAMES.get(k, k)} {v:+.2f}" for k, v in items))


def _apply(con, cfg: Config, run_id: int, learned: Learned, codes: list[str], n_labels: int) -> None:
    cur = con.execute("SELECT run_id, premises_id FROM model_scores WHERE run_id = ?", [run_id]).df()
    if cur.empty:
        return
    feats = features(con, codes, cur)
    prob, expected = learned.predict(feats)
    rule = feats[RULE].to_numpy(float)
    mixed = blend(rule, prob, expected, float(cfg.learning["model_weight"]), float(cfg.scoring["max_score"]))
    points = np.round(mixed, 1) - rule
    upd = pd.DataFrame({"premises_id": feats["premises_id"], "model_prob": prob, "model_points": points,
                        "sentence": [text.MODEL_REASON.format(n=n_labels, p=p, q=q, points=d)
                                     for p, q, d in zip(prob, expected, points)]})
    con.register("_upd", upd)
    try:
        con.execute("""
            UPDATE model_scores SET model_prob = u.model_prob, model_points = u.model_points, sentence = u.sentence
            FROM _upd u WHERE model_scores.run_id = ? AND model_scores.premises_id = u.premises_id""", [run_id])
    finally:
        con.unregister("_upd")
    run_sql_file(con, HERE / "rerank.sql", {"run_id": run_id})


#: premises of a run below its cut: not on a list by score, not yet seen inside — the
#: population the random picks are drawn from and whose hit rate they estimate
BELOW_CUT_SQL = """
    SELECT s.premises_id FROM scores s
    WHERE s.run_id = $run_id
      AND s.premises_id NOT IN (SELECT premises_id FROM visit_lists WHERE run_id = $run_id AND NOT random_pick)
      AND s.premises_id NOT IN (SELECT premises_id FROM learn_labels WHERE run_id = $run_id)
"""


def estimate_hit_rates(con, run_id: int) -> list[dict]:
    """Hit rate of the scored lists and of the random picks so far (labels of this run), and
    from the latter the number of illegal places still below this run's cut."""
    ensure_tables(con)
    con.execute("DELETE FROM hit_rate_estimates WHERE run_id = ?", [run_id])
    labels = con.execute("SELECT * FROM learn_labels WHERE run_id = ? AND listed", [run_id]).df()
    below = con.execute(f"SELECT count(*) FROM ({BELOW_CUT_SQL})", {"run_id": run_id}).fetchall()[0][0]
    rows = []
    for part, mask in ((text.PART_LIST, ~labels["random_pick"].astype(bool)),
                       (text.PART_RANDOM, labels["random_pick"].astype(bool))):
        sub = labels[mask] if len(labels) else labels
        n, h = len(sub), int(sub["hit"].sum()) if len(sub) else 0
        lo, hi = wilson(h, n)
        r = {"run_id": run_id, "part": part, "visits": n, "hits": h, "rate": h / n if n else None,
             "ci_low": None if n == 0 else lo, "ci_high": None if n == 0 else hi,
             "premises_below_cut": None, "missed_estimate": None, "missed_low": None, "missed_high": None}
        if part == text.PART_RANDOM:
            r["premises_below_cut"] = int(below)
            if n:
                r.update(missed_estimate=below * h / n, missed_low=below * lo, missed_high=below * hi)
        rows.append(r)
    df = pd.DataFrame(rows)
    con.register("_est", df)
    try:
        con.execute("INSERT INTO hit_rate_estimates BY NAME SELECT * FROM _est")
    finally:
        con.unregister("_est")
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items() if k != "run_id"}
            for r in rows]
