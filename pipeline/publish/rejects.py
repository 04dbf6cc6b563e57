"""拒收明细.xlsx — every rejected and warned row of the run, beside the lists.

Entry point: ``write_rejects(con, cfg, run_id, out_dir, run_date) -> Path``, called by the
publish step after the forms (the forms add the unknown-场所编号 warnings). It also fills
table `published_rejects` (one row per line of the file, keyed by run_id) that the report
reads, and logs the returns' problems to the console.

Which rows:
  * 本次拒收 / 本次警告: the `rejects` rows of the batches this run loaded (those in
    runs.batch_ids and not in the previous finished run's; a crashed run's batches count as
    new, nobody saw its file). A warning about an earlier batch's return (an unknown
    场所编号 found when a later week's premises were built) goes to 历次未处理的回报.
    Earlier batches' problems of other sources are not repeated: the clerk had them with
    that week's file, and a file is fixed by sending it again, which makes a new batch.
  * 历次未处理的回报: returns of earlier batches whose problem is still open — a rejected
    return for a 场所编号 with no loaded return from a later batch (the visit is still
    missing from the forms), or a warned return still in `stg_outcomes` (not replaced by a
    correction: 整治类别待补 still to fill in, an unknown 场所编号). A return is about a
    visit that happened: the clerk must chase it until the inspector has answered, so it
    stays on the sheet week after week; other sources' old rows would only bury it.
For a return the 场所编号, 检查人 and 检查日期 are shown: from `stg_outcomes` for a loaded
(warned) row, and for a rejected row from the archived file (the row is not in the
warehouse; returns files are small), as written.

Every text cell goes through publish.safe_cell; the workbook is opened with
strings_to_formulas off and a fixed creation time (the run date), so identical inputs
give identical bytes.
"""

from __future__ import annotations

import datetime as dt
import logging
import unicodedata
from pathlib import Path

import xlsxwriter

from pipeline.publish import safe_cell
from pipeline.publish import text as T

log = logging.getLogger(__name__)

REJECTS_FILE = "拒收明细.xlsx"
SHEETS = {"reject": "本次拒收", "warning": "本次警告", "open": "历次未处理的回报"}
HEADERS = ("来源", "文件", "Excel行号", "列名", "取值", "原因", "场所编号", "检查人", "检查日期")
#: the engine's reason for an earlier duplicate row of a key ("与第 N 行关键字段重复，以第 N 行为准")
DUPLICATE_SUFFIX = "行为准"
#: lines written per sheet (Excel holds about a million; a clerk reads far fewer): the rest
#: is counted on the sheet's last line and stays in `rejects`
MAX_SHEET_ROWS = 100_000
#: console lines of returns' problems shown one by one before "… and N more, see the file"
MAX_CONSOLE_LINES = 30

_TABLE = """
CREATE TABLE IF NOT EXISTS published_rejects (
    run_id INTEGER, sheet VARCHAR, batch_id INTEGER, source VARCHAR, file_name VARCHAR, src_row BIGINT,
    "column" VARCHAR, value VARCHAR, reason VARCHAR, severity VARCHAR,
    premises_id VARCHAR, inspector VARCHAR, visit_date VARCHAR
)"""


def ensure_table(con) -> None:
    con.execute(_TABLE)


def _has_table(con, name: str) -> bool:
    return con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                       [name]).fetchone()[0] > 0


def _run_batches(con, run_id: int) -> tuple[list[int], list[int]]:
    """(batches this run loaded, batches the previous finished run already had)."""
    if not _has_table(con, "runs"):
        return [r[0] for r in con.execute("SELECT batch_id FROM batches ORDER BY 1").fetchall()], []
    mine = con.execute("SELECT batch_ids FROM runs WHERE run_id = ?", [run_id]).fetchone()
    mine = list(mine[0] or []) if mine else [r[0] for r in con.execute(
        "SELECT batch_id FROM batches ORDER BY 1").fetchall()]
    prev = con.execute("SELECT batch_ids FROM runs WHERE run_id < ? AND finished_at IS NOT NULL "
                       "ORDER BY run_id DESC LIMIT 1", [run_id]).fetchone()
    prev = list(prev[0] or []) if prev else []
    return sorted(set(mine) - set(prev)), sorted(prev)


def _raw_context(con, cfg, batch_ids: list[int]) -> dict[tuple[int, int], tuple]:
    """(batch_id, Excel row) → (场所编号, 检查人, 检查日期) as written, re-read from the archived
    returns files of these batches (rejected rows are not in the warehouse)."""
    from pipeline.ingest.config import load_source_configs
    from pipeline.ingest.reader import RAW, read_table

    if not batch_ids:
        return {}
    files = con.execute("SELECT batch_id, archived_path, file_name FROM batches WHERE source = 'outcomes' "
                        "AND archived_path IS NOT NULL AND batch_id IN (SELECT unnest(?::INTEGER[])) "
                        "ORDER BY batch_id", [batch_ids]).fetchall()
    if not files:
        return {}
    scfg = (cfg.sources or {}).get("outcomes") or load_source_configs(cfg.config_dir)["outcomes"]
    out: dict[tuple[int, int], tuple] = {}
    for batch_id, archived, name in files:
        path = Path(archived)
        if not path.is_file():
            log.debug("rejects: archived returns file %s is gone; no context for batch %s", path, batch_id)
            continue
        try:
            raw = read_table(con, path, scfg, name)
            row = "_row" if raw.has_row_column else f"(CAST({int(raw.header_row)} AS BIGINT) + rowid + 1)"
            cols = [f'"{raw.col(f)}"' if raw.col(f) else "NULL" for f in ("premises_id", "inspector", "visit_date")]
            for r in con.execute(f"SELECT {row}, {', '.join(cols)} FROM {RAW}").fetchall():
                out[(batch_id, int(r[0]))] = tuple(None if v is None else str(v).strip() or None for v in r[1:])
        except Exception as exc:   # context is a courtesy: never let it stop the publish step
            log.debug("rejects: could not re-read %s: %s", path, exc)
        finally:
            con.execute(f"DROP TABLE IF EXISTS {RAW}")
    return out


def collect(con, cfg, run_id: int, started: dt.datetime | None = None) -> list[dict]:
    """The lines of 拒收明细.xlsx for this run (also stored in `published_rejects`)."""
    ensure_table(con)
    con.execute("DELETE FROM published_rejects WHERE run_id = ?", [run_id])
    new, _ = _run_batches(con, run_id)

    rows = con.execute(
        """
        WITH r AS (
            SELECT r.*, b.batch_id IN (SELECT unnest($new::INTEGER[])) AS new_batch
            FROM rejects r JOIN batches b USING (batch_id)
        )
        SELECT CASE WHEN new_batch THEN r.severity WHEN r.source = 'outcomes' THEN 'open' END AS sheet,
               r.batch_id, r.source, r.file_name, r.src_row, r."column", r.value, r.reason, r.severity,
               o.premises_id, o.inspector, strftime(o.visit_date, '%Y-%m-%d') AS visit_date,
               o.premises_id IS NOT NULL AS loaded
        FROM r LEFT JOIN stg_outcomes o ON r.source = 'outcomes' AND o.batch_id = r.batch_id AND o.src_row = r.src_row
        WHERE new_batch OR r.source = 'outcomes'
        ORDER BY r.source <> 'outcomes', r.source, r.batch_id, r.src_row, r."column", r.reason
        """,
        {"new": new},
    ).fetchall()
    keys = ("sheet", "batch_id", "source", "file_name", "src_row", "column", "value", "reason", "severity",
            "premises_id", "inspector", "visit_date", "loaded")
    rows = [dict(zip(keys, r)) for r in rows]
    # context of rejected returns (not in stg_outcomes) from their files
    need = sorted({r["batch_id"] for r in rows if r["source"] == "outcomes" and not r["loaded"]
                   and r["sheet"] is not None})
    ctx = _raw_context(con, cfg, need)
    later = dict(con.execute("SELECT premises_id, max(batch_id) FROM stg_outcomes GROUP BY premises_id").fetchall())
    out = []
    for r in rows:
        if r["sheet"] is None:
            continue
        if r["source"] == "outcomes" and not r["loaded"]:
            pid, who, day = ctx.get((r["batch_id"], r["src_row"]), (None, None, None))
            r.update(premises_id=pid, inspector=who, visit_date=day)
        if r["sheet"] == "open":
            if r["severity"] == "warning" and not r["loaded"]:
                continue            # the warned return was replaced by a correction
            if r["severity"] == "reject":
                if r["reason"].endswith(DUPLICATE_SUFFIX):
                    continue        # a duplicate row: the file's last row for the key was loaded
                pid = "".join(unicodedata.normalize("NFKC", r["premises_id"] or "").upper().split())
                if pid and later.get(pid, -1) > r["batch_id"]:
                    continue        # a later return for the place came in
        out.append(r)
    if out:
        import pandas as pd

        df = pd.DataFrame([{k: r[k] for k in keys if k != "loaded"} for r in out])
        df.insert(0, "run_id", run_id)
        con.register("_pub_rej", df)
        try:
            con.execute("INSERT INTO published_rejects BY NAME SELECT * FROM _pub_rej")
        finally:
            con.unregister("_pub_rej")
    return out


def _cell(v):
    return None if v is None else safe_cell(str(v))


def _line(r: dict) -> list:
    return [T.SOURCE_LABELS.get(r["source"], r["source"]), r["file_name"], r["src_row"], r["column"],
            r["value"], r["reason"], r["premises_id"], r["inspector"], r["visit_date"]]


def write_rejects(con, cfg, run_id: int, out_dir, run_date: dt.date | None = None) -> Path:
    """Write 拒收明细.xlsx into out_dir (always, also when empty: the clerk sees that nothing
    was refused) and return its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = collect(con, cfg, run_id)
    path = out_dir / REJECTS_FILE
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                         "strings_to_numbers": False})
    if run_date is not None:
        wb.set_properties({"created": dt.datetime.combine(run_date, dt.time())})
    head = wb.add_format({"bold": True, "border": 1, "bg_color": "#EEEEEE", "text_wrap": True})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    for key, sheet in SHEETS.items():
        ws = wb.add_worksheet(sheet)
        for j, w in enumerate((12, 28, 9, 14, 20, 60, 14, 10, 12)):
            ws.set_column(j, j, w)
        for j, h in enumerate(HEADERS):
            ws.write_string(0, j, h, head)
        mine = [r for r in rows if r["sheet"] == key]
        if len(mine) > MAX_SHEET_ROWS:
            ws.write_string(MAX_SHEET_ROWS + 1, 0, T.REJECTS_MORE.format(n=len(mine) - MAX_SHEET_ROWS))
            mine = mine[:MAX_SHEET_ROWS]
        for i, r in enumerate(mine, start=1):
            for j, v in enumerate(_line(r)):
                if v is None:
                    continue
                if isinstance(v, int) and not isinstance(v, bool):
                    ws.write_number(i, j, v)
                else:
                    ws.write_string(i, j, _cell(v), wrap)
        if not mine:
            ws.write_string(1, 0, T.REJECTS_NONE[key])
        ws.freeze_panes(1, 0)
    wb.close()
    _log(rows, path)
    return path


def _log(rows: list[dict], path: Path) -> None:
    """The console: each problem of a return (they are few and each is a visit), then one line
    with the totals and the file."""
    returns = [r for r in rows if r["source"] == "outcomes"]
    for r in returns[:MAX_CONSOLE_LINES]:
        log.warning(T.LOG_RETURN_PROBLEM.format(
            kind=SHEETS[r["sheet"]], file=r["file_name"], row=r["src_row"], pid=r["premises_id"] or "—",
            who=r["inspector"] or "—", reason=r["reason"]))
    if len(returns) > MAX_CONSOLE_LINES:
        log.warning(T.LOG_RETURN_MORE.format(n=len(returns) - MAX_CONSOLE_LINES))
    n = {k: sum(r["sheet"] == k for r in rows) for k in SHEETS}
    # the file name only: the folder is a temporary one until the run is complete
    log.info(T.LOG_REJECTS.format(rej=n["reject"], warn=n["warning"], open=n["open"], file=path.name))
