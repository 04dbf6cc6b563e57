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


def latest_finished_run(con) -> tuple[int, object] | None:
    """(run_id, as_of) of the newest run whose outputs are complete (finished_at set); a run
    that crashed mid-publish is no run to measure. None when no run has finished."""
    has_runs = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'runs'").fetchone()[0]
    if not has_runs:
        return None
    return con.execute("SELECT run_id, as_of FROM runs WHERE finished_at IS NOT NULL "
                       "ORDER BY run_id DESC LIMIT 1").fetchone()


def truth_members_sql() -> str:
    """members.csv as the pipeline keys records: an account known from monthly bills or the
    surge list is linked as a power account (int_power_accounts), and the market office's
    listed firm as a registry record — one truth record each."""
    return """
        SELECT DISTINCT place_id,
               CASE WHEN source IN ('power_readings', 'power_surge_list') THEN 'power_accounts'
                    WHEN source = 'registry_list' THEN 'registry' ELSE source END AS source,
               source_key
        FROM read_csv($path, all_varchar=true, header=true)
    """


def load_truth_members(con, truth_dir: Path) -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE truth_members AS " + truth_members_sql(),
                {"path": str(Path(truth_dir) / "members.csv")})


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


def pair_counts_sql() -> str:
    """True, predicted and shared record pairs by source pair (a <= b): within truth
    clusters, predicted clusters, both."""
    return f"""
        WITH cells AS ({_cells_sql()}),
        per AS (SELECT t, p, source, count(*) AS n FROM cells GROUP BY ALL),
        tp AS ({_pairs_within_sql("t, p")}),
        tt AS ({_pairs_within_sql("t")}),
        pp AS ({_pairs_within_sql("p")})
        SELECT coalesce(tt.sa, pp.sa) AS sa, coalesce(tt.sb, pp.sb) AS sb,
               coalesce(tp.n, 0) AS tp, coalesce(tt.n, 0) AS true_pairs, coalesce(pp.n, 0) AS pred_pairs
        FROM tt FULL JOIN pp USING (sa, sb) LEFT JOIN tp USING (sa, sb)
    """


def link_metrics(con, truth_dir: Path) -> pd.DataFrame:
    """Pairwise P/R/F1 per source pair and overall, plus B-cubed over all records."""
    load_truth_members(con, truth_dir)
    # pairs counted by (source a <= source b) within truth clusters, predicted clusters, both
    pair_counts = con.execute(pair_counts_sql()).df()
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


def pad(text, width: int, right: bool = False) -> str:
    """`text` padded to `width` terminal columns: a Chinese character takes two, so str.ljust
    would misalign the printed tables."""
    import unicodedata

    text = str(text)
    cols = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    fill = " " * max(0, width - cols)
    return fill + text if right else text + fill


def _num(v, fmt: str) -> str:
    return "—" if v is None or pd.isna(v) else format(v, fmt)


def _pair_name(pair: str) -> str:
    from pipeline.publish.text import SOURCE_LABELS

    if pair == "overall":
        return "全部"
    a, b = pair.split("↔")
    return f"{SOURCE_LABELS.get(a, a)}↔{'任一其他来源' if b == 'any' else SOURCE_LABELS.get(b, b)}"


def print_link_metrics(m: pd.DataFrame) -> None:
    print("场所归并质量（与模拟真值对比；P 准确率、R 召回率、F1 二者调和平均）")
    print(pad("来源对", 34) + "".join(pad(h, w, True) for h, w in
                                       (("真值同场所对", 13), ("归并同场所对", 13), ("P", 7), ("R", 7), ("F1", 7))))
    for r in m.itertuples():
        print(pad(_pair_name(r.pair), 34) + pad(r.true_pairs, 13, True) + pad(r.pred_pairs, 13, True)
              + "".join(pad(_num(v, ".3f"), 7, True) for v in (r.precision, r.recall, r.f1)))
    print(f"按记录（B-cubed）：P {m.attrs['bcubed_precision']:.3f}  R {m.attrs['bcubed_recall']:.3f}  "
          f"F1 {m.attrs['bcubed_f1']:.3f}（两边都有的记录 {m.attrs['records_matched']} 条，"
          f"真值共 {m.attrs['records_truth']} 条）")


def signal_metrics(con, truth_dir: Path, run_id: int | None = None) -> pd.DataFrame:
    """Per signal: share of planted places it fired on (recall), share of legal look-alikes
    and of ordinary places it fired on (false-positive rates). A place counts as fired on
    when the signal fired on any premises whose records mostly belong to it."""
    load_truth_members(con, truth_dir)
    places = pd.read_csv(Path(truth_dir) / "places.csv", dtype=str)
    con.register("_places", places)
    if run_id is None:
        latest = latest_finished_run(con)
        # a bare warehouse without a runs table (notebooks): the newest evidence there is
        run_id = latest[0] if latest else con.execute("SELECT max(run_id) FROM evidence").fetchone()[0]
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
    from pipeline.signals.text import SIGNAL_NAMES

    print("各信号：命中的埋设场所比例（召回率）与合法相似场所/普通场所的误报率")
    heads = (("命中埋设", 10), ("召回率", 8), ("命中相似", 10), ("相似误报率", 12), ("命中普通", 10), ("普通误报率", 12))
    print(pad("信号", 34) + "".join(pad(h, w, True) for h, w in heads))
    for r in m.itertuples():
        cells = (int(r.planted_fired), f"{r.recall_planted:.3f}", int(r.lookalike_fired), f"{r.fpr_lookalike:.3f}",
                 int(r.normal_fired), f"{r.fpr_normal:.4f}")
        print(pad(SIGNAL_NAMES.get(r.signal, r.signal), 34) + "".join(pad(c, w, True) for c, (_, w) in zip(cells, heads)))
