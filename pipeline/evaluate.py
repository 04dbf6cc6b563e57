"""Measure a run against a simulated world's truth (`<world>/truth/`, never read by screening).

- link quality: pairwise precision/recall/F1 and B-cubed F1 of `premises_members` against
  `truth/members.csv`, overall and per source pair;
- ranking: how many planted places the ranking finds in its first k rows.

Everything is computed in DuckDB from the two membership tables; nothing here feeds back
into the pipeline.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

log = logging.getLogger(__name__)

# Source pairs the link targets name (issue 3); "any" means every other source.
REPORT_PAIRS = [("power_accounts", "registry"), ("power_accounts", "waybills"),
                ("registry", "waybills"), ("licenses", "registry"), ("power_accounts", "sites"),
                ("tips", "any")]


def load_truth_members(con, truth_dir: Path) -> None:
    con.execute(
        "CREATE OR REPLACE TEMP TABLE truth_members AS "
        "SELECT place_id, source, source_key FROM read_csv(?, all_varchar=true, header=true)",
        [str(Path(truth_dir) / "members.csv")],
    )


def _cells_sql() -> str:
    """Records present in both truth and prediction, with their truth and predicted cluster."""
    return """
        SELECT t.place_id AS t, p.premises_id AS p, t.source
        FROM truth_members t JOIN premises_members p USING (source, source_key)
    """


def _pairs_within_sql(keys: str) -> str:
    """Record pairs, by source pair (sa <= sb), that share the cluster given by `keys`
    ("t": truth place, "p": predicted premises, "t, p": both) — from the `per` counts."""
    on = " AND ".join(f"a.{k.strip()} = b.{k.strip()}" for k in keys.split(","))
    return f"""
        SELECT a.source AS sa, b.source AS sb,
               sum(CASE WHEN a.source = b.source THEN a.n * (a.n - 1) / 2 ELSE a.n * b.n END) AS n
        FROM (SELECT {keys}, source, sum(n) AS n FROM per GROUP BY ALL) a
        JOIN (SELECT {keys}, source, sum(n) AS n FROM per GROUP BY ALL) b ON {on} AND a.source <= b.source
        GROUP BY ALL"""


def link_metrics(con, truth_dir: Path) -> pd.DataFrame:
    """Pairwise P/R/F1 per source pair and overall, plus B-cubed over all records."""
    load_truth_members(con, truth_dir)
    # pairs counted by (source a <= source b) within truth clusters, predicted clusters, both
    pair_counts = con.execute(f"""
        WITH cells AS ({_cells_sql()}),
        per AS (SELECT t, p, source, count(*) AS n FROM cells GROUP BY ALL),
        tp AS ({_pairs_within_sql("t, p")}),
        tt AS ({_pairs_within_sql("t")}),
        pp AS ({_pairs_within_sql("p")})
        SELECT coalesce(tt.sa, pp.sa) AS sa, coalesce(tt.sb, pp.sb) AS sb,
               coalesce(tp.n, 0) AS tp, coalesce(tt.n, 0) AS true_pairs, coalesce(pp.n, 0) AS pred_pairs
        FROM tt FULL JOIN pp USING (sa, sb) LEFT JOIN tp USING (sa, sb)
    """).df()
    rows = []

    def _row(name, d):
        tp, tt, pp = d["tp"].sum(), d["true_pairs"].sum(), d["pred_pairs"].sum()
        prec = tp / pp if pp else float("nan")
        rec = tp / tt if tt else float("nan")
        f1 = 2 * prec * rec / (prec + rec) if pp and tt and (prec + rec) else float("nan")
        rows.append({"pair": name, "true_pairs": int(tt), "pred_pairs": int(pp), "tp": int(tp),
                     "precision": prec, "recall": rec, "f1": f1})

    _row("overall", pair_counts)
    for a, b in REPORT_PAIRS:
        if b == "any":
            d = pair_counts[(pair_counts.sa == a) | (pair_counts.sb == a)]
        else:
            s1, s2 = sorted((a, b))
            d = pair_counts[(pair_counts.sa == s1) & (pair_counts.sb == s2)]
        _row(f"{a}↔{b}", d)
    out = pd.DataFrame(rows)
    b3 = con.execute(f"""
        WITH cells AS ({_cells_sql()}),
        tn AS (SELECT t, count(*) AS n FROM cells GROUP BY t),
        pn AS (SELECT p, count(*) AS n FROM cells GROUP BY p),
        tp_cells AS (SELECT t, p, count(*) AS n FROM cells GROUP BY t, p)
        SELECT sum(b.n * b.n / pn.n) / sum(b.n) AS b3_precision,
               sum(b.n * b.n / tn.n) / sum(b.n) AS b3_recall
        FROM tp_cells b JOIN tn USING (t) JOIN pn USING (p)
    """).fetchone()
    # B-cubed: precision and recall averaged per record
    bp, br = b3
    out.attrs["bcubed_precision"] = bp
    out.attrs["bcubed_recall"] = br
    out.attrs["bcubed_f1"] = 2 * bp * br / (bp + br)
    out.attrs["records_matched"] = con.execute(f"SELECT count(*) FROM ({_cells_sql()})").fetchone()[0]
    out.attrs["records_truth"] = con.execute("SELECT count(*) FROM truth_members").fetchone()[0]
    return out


def print_link_metrics(m: pd.DataFrame) -> None:
    print("场所归并质量（与模拟真值对比）")
    print(f"{'source pair':34} {'true':>8} {'pred':>8} {'P':>6} {'R':>6} {'F1':>6}")
    for r in m.itertuples():
        print(f"{r.pair:34} {r.true_pairs:8d} {r.pred_pairs:8d} {r.precision:6.3f} {r.recall:6.3f} {r.f1:6.3f}")
    print(f"B-cubed: P {m.attrs['bcubed_precision']:.3f}  R {m.attrs['bcubed_recall']:.3f}  "
          f"F1 {m.attrs['bcubed_f1']:.3f}   (records in both: {m.attrs['records_matched']} of "
          f"{m.attrs['records_truth']} in truth)")


def signal_metrics(con, truth_dir: Path, run_id: int | None = None) -> pd.DataFrame:
    """Per signal: share of planted places it fired on (recall), share of legal look-alikes
    and of ordinary places it fired on (false-positive rates). A place counts as fired on
    when the signal fired on any premises whose records mostly belong to it."""
    load_truth_members(con, truth_dir)
    places = pd.read_csv(Path(truth_dir) / "places.csv", dtype=str)
    con.register("_places", places)
    if run_id is None:
        run_id = con.execute("SELECT max(run_id) FROM evidence").fetchone()[0]
    df = con.execute("""
        WITH votes AS (
            SELECT p.premises_id, t.place_id, count(*) AS n
            FROM premises_members p JOIN truth_members t USING (source, source_key) GROUP BY ALL
        ),
        best AS (SELECT premises_id, arg_max(place_id, n) AS place_id FROM votes GROUP BY premises_id),
        fired AS (
            SELECT DISTINCT e.signal, b.place_id FROM evidence e JOIN best b USING (premises_id)
            WHERE e.run_id = ?
        ),
        totals AS (SELECT role, count(*) AS n FROM _places GROUP BY role)
        SELECT f.signal, pl.role, count(DISTINCT f.place_id) AS fired, any_value(t.n) AS places
        FROM fired f JOIN _places pl USING (place_id) JOIN totals t USING (role)
        GROUP BY ALL
    """, [run_id]).df()
    con.unregister("_places")
    if df.empty:
        return pd.DataFrame(columns=["signal", "recall_planted", "fpr_lookalike", "fpr_normal"])
    df["rate"] = df["fired"] / df["places"]
    wide = df.pivot_table(index="signal", columns="role", values="rate", fill_value=0.0)
    counts = df.pivot_table(index="signal", columns="role", values="fired", fill_value=0)
    out = pd.DataFrame({
        "signal": wide.index,
        "planted_fired": counts.get("planted", 0),
        "recall_planted": wide.get("planted", 0.0),
        "lookalike_fired": counts.get("lookalike", 0),
        "fpr_lookalike": wide.get("lookalike", 0.0),
        "normal_fired": counts.get("normal", 0),
        "fpr_normal": wide.get("normal", 0.0),
    }).reset_index(drop=True)
    return out.sort_values("signal").reset_index(drop=True)


def print_signal_metrics(m: pd.DataFrame) -> None:
    print("各信号：命中的埋设场所比例（recall）与合法相似场所/普通场所的误报率")
    print(f"{'signal':34} {'planted':>8} {'recall':>7} {'lookalk':>8} {'FPR-la':>7} {'normal':>7} {'FPR-n':>7}")
    for r in m.itertuples():
        print(f"{r.signal:34} {int(r.planted_fired):8d} {r.recall_planted:7.3f} {int(r.lookalike_fired):8d} "
              f"{r.fpr_lookalike:7.3f} {int(r.normal_fired):7d} {r.fpr_normal:7.4f}")
