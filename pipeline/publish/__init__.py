"""Publish stage: the ranked visit lists of DESIGN §4.

Writes `visit_list_<社区>.csv` for every configured community (and 未归属社区 when it has
premises), `ranking.csv` subdistrict-wide and `visit_lists.xlsx`, all in UTF-8 with BOM so
Chinese Excel opens them. No cell may start a spreadsheet formula from input text.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pandas as pd

from pipeline.config import Config
from pipeline.db import ensure_runs_table, run_sql_file
from pipeline.publish import text
from pipeline.score import text as score_text

log = logging.getLogger(__name__)
HERE = Path(__file__).parent

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(v):
    """Neutralise text that a spreadsheet would run as a formula (CSV/formula injection)."""
    if isinstance(v, str) and v.startswith(_FORMULA_START):
        return "'" + v
    return v


def _frame(rows: pd.DataFrame, rank_col: str) -> pd.DataFrame:
    out = pd.DataFrame({
        "排名": rows[rank_col].astype("int64"),
        "社区": rows["community"],
        "工作点": rows["work_point"],
        "场所编号": rows["premises_id"],
        "名称": rows["name"].fillna(text.UNNAMED),
        "地址": rows["address"],
        "统一社会信用代码": rows["uscc"],
        "用电户号": rows["accounts"],
        "主要负责人": rows["legal_rep"],
        "联系电话": rows["phone"],
        "风险分": rows["score"].round(1),
        "建议整治类别": rows["category"].astype("Int64"),
        "主要依据": rows["reasons"],
        "经度": rows["lon"].round(6),
        "纬度": rows["lat"].round(6),
        "本周新增": rows["is_new"].map({True: text.YES, False: text.NO}),
    })[text.COLUMNS]
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(safe_cell)
    return out


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, encoding="utf-8-sig")


def _list_params(cfg: Config, run_id: int, as_of) -> dict:
    return {"run_id": run_id, "as_of": as_of, "min_score": float(cfg.scoring["min_score_for_list"]),
            "list_length": int(cfg.scoring["list_length"]),
            "random_share": float(cfg.scoring.get("random_share", 0.1)),
            "random_min": int(cfg.scoring.get("random_min_per_list", 2)),
            "fill": bool(cfg.scoring.get("fill_short_lists", True))}


def build_visit_lists(con, cfg: Config, run_id: int, as_of) -> None:
    """The table visit_lists for this run (lists.sql): who is on which community's list."""
    ensure_runs_table(con)        # the week's earlier runs keep their random picks
    run_sql_file(con, HERE / "lists.sql", _list_params(cfg, run_id, as_of))


def left_the_list(con, cfg: Config, run_id: int, as_of) -> list[dict]:
    """Premises listed last run but not this run, each with the reason (for the manifest)."""
    ensure_runs_table(con)
    sql = (HERE / "left.sql").read_text(encoding="utf-8")
    df = con.execute(sql, {k: v for k, v in _list_params(cfg, run_id, as_of).items() if f"${k}" in sql}).df()
    return df.to_dict("records")


def last_week_run(con, run_id: int, day) -> int | None:
    """The run whose list 本周新增 is measured against (the lists and the report agree)."""
    ensure_runs_table(con)
    return con.execute((HERE / "last_week_run.sql").read_text(encoding="utf-8"),
                       {"run_id": run_id, "as_of": day}).fetchone()[0]


def publish_lists(con, cfg: Config, run_id: int, out_dir: Path, notes: list[str] | None = None,
                  as_of=None) -> dict[str, int]:
    """Write the lists of one run into out_dir; return rows per community list. `notes`
    (e.g. which sources are missing or stale) go to the workbook's 说明 sheet."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if as_of is None:
        as_of = dt.date.max           # every return counts
    build_visit_lists(con, cfg, run_id, as_of)
    from pipeline.learn import ensure_tables

    ensure_tables(con)            # model_scores may not exist yet (no run has learnt)
    rows = con.execute(
        (HERE / "rows.sql").read_text(encoding="utf-8"),
        {"run_id": run_id, "sep": text.REASON_SEP, "max_reasons": int(cfg.scoring.get("max_reasons", 3)),
         "max_chars": int(cfg.scoring.get("max_reason_chars", 150)),
         "prev_run": last_week_run(con, run_id, as_of),
         "random_note": text.RANDOM_PICK, "fill_note": score_text.FILL_NOTE,
         "min_score": float(cfg.scoring["min_score_for_list"]),
         "weak_points": float(cfg.scoring.get("weak_reason_points", 12)), "weak_note": text.WEAK_NOTE,
         },
    ).df()
    _write_csv(_frame(rows[rows["score"] > 0], "rank"), out_dir / "ranking.csv")
    listed = rows[rows["listed"]]
    names = [c["name"] for c in cfg.communities]
    if (listed["community"] == cfg.unassigned).any():
        names.append(cfg.unassigned)
    counts: dict[str, int] = {}
    sheets: dict[str, pd.DataFrame] = {}
    for name in names:
        part = _frame(listed[listed["community"] == name].sort_values("rank_in_community"), "rank_in_community")
        _write_csv(part, out_dir / f"visit_list_{name}.csv")
        sheets[name] = part
        counts[name] = len(part)
    _write_xlsx(sheets, out_dir / "visit_lists.xlsx", notes or [], None if as_of == dt.date.max else as_of)
    write_link_candidates(con, out_dir / "link_candidates.csv")
    log.debug("publish: %d listed premises in %d community lists → %s", len(listed), len(names), out_dir)
    # the user's line (text.LOG_PUBLISHED) is logged by screen once the folder is in its final place
    return counts


def _write_xlsx(sheets: dict[str, pd.DataFrame], path: Path, notes: list[str],
                run_date: dt.date | None = None) -> None:
    widths = {"排名": 6, "社区": 8, "工作点": 10, "场所编号": 13, "名称": 30, "地址": 36,
              "统一社会信用代码": 21, "用电户号": 14, "主要负责人": 10, "联系电话": 14,
              "风险分": 8, "建议整治类别": 12, "主要依据": 80, "经度": 11, "纬度": 11, "本周新增": 9}
    with pd.ExcelWriter(path, engine="xlsxwriter") as xw:
        # the workbook's creation time is the run date, not the clock: same inputs, same bytes
        xw.book.set_properties({"created": dt.datetime.combine(run_date or dt.date(2000, 1, 1), dt.time())})
        wrap = xw.book.add_format({"text_wrap": True, "valign": "top"})
        info = pd.DataFrame({text.NOTES_SHEET: [safe_cell(n) for n in notes] or [text.NO_NOTES]})
        info.to_excel(xw, sheet_name=text.NOTES_SHEET, index=False)
        xw.sheets[text.NOTES_SHEET].set_column(0, 0, 100)
        for name, df in sheets.items():
            # strings_to_formulas is off by default in pandas' xlsxwriter engine, and the cells
            # are already neutralised; both guard against formulas from input text.
            df.to_excel(xw, sheet_name=name[:31], index=False)
            ws = xw.sheets[name[:31]]
            ws.freeze_panes(1, 0)
            for i, col in enumerate(df.columns):
                ws.set_column(i, i, widths.get(col, 12), wrap if col == "主要依据" else None)


def write_link_candidates(con, path: Path) -> int:
    """Pairs the linker found plausible but did not link, for the analyst to decide.

    The file's first columns are those of a decisions file: fill in 决定 (是/否) and put the
    file into the decisions folder; the next run follows it.
    """
    from pipeline.link.decisions import SOURCE_LABELS

    df = con.execute(
        "SELECT source_l, key_l, source_r, key_r, score, premises_l, name_l, address_l, "
        "premises_r, name_r, address_r FROM link_candidates "
        "ORDER BY score DESC, premises_l, premises_r, source_l, key_l, source_r, key_r"
    ).df()
    out = pd.DataFrame({
        "记录A来源": df["source_l"].map(SOURCE_LABELS), "记录A编号": df["key_l"],
        "记录B来源": df["source_r"].map(SOURCE_LABELS), "记录B编号": df["key_r"],
        "决定": "", "备注": "", "相似度": df["score"].round(3),
        "场所A": df["premises_l"], "名称A": df["name_l"], "地址A": df["address_l"],
        "场所B": df["premises_r"], "名称B": df["name_r"], "地址B": df["address_r"],
    })
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(safe_cell)
    _write_csv(out, path)
    return len(out)
