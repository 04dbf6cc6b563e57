"""The shared ingest engine: one file → batches, rejects and one stg_* table.

Everything row-level is set-based SQL over the whole raw table:

  fast     each field's cheap exact test (a plain number, an ISO date, an all-digit
           account …) → rows on which every test passes are clean by construction and go
           straight into stg_* (INSERT … SELECT, nothing materialised)
  stage 1  for the other rows only: typed value v_<f> and "cell not blank" p_<f>
  stage 2  first failing check e_<f>, validated value x_<f>, row-rejecting flag b_<f>
  stage 3  stg projection o_<col>, row checks, _skip (合计/blank) and _rej flags
           → materialised as TEMP `_ing_clean` (small: the rows that failed a fast test)
  then     rejects ← UNION ALL of the failing checks; stg ← the good rows; duplicate keys
           inside the file found with a hash aggregate over the batch's stg rows; older
           rows with the same natural key deleted (rows_replaced).

A fast test is exact: when it passes, the full cleaning (stages 1–3) would give the same
value and raise no check. A clean machine export therefore never reaches the slow branches.

Severity: a check on a field listed in the source's `reject_fields` (or `not_empty`)
rejects the row; on other fields the value is set NULL and a 'warning' row is written
to rejects (the row still loads). 'suspect' checks (USCC check digit) keep the value.
In `rejects`, severity is 'reject' for every problem of a row that was not loaded and
'warning' for problems of a loaded row.

Duplicate keys inside one file: the last row wins; each earlier row is rejected with
"与第 N 行关键字段重复，以第 N 行为准" (so read = loaded + rejected + skipped).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np

from pipeline.db import transaction
from pipeline.errors import FileRefused
from pipeline.ingest import clean_sql as C
from pipeline.ingest import mask
from pipeline.ingest.config import FieldSpec, SourceConfig
from pipeline.ingest.names import archive_name, shown
from pipeline.ingest.reader import RAW, RawTable, read_table, scan_file
from pipeline.ingest.rules import RowCheck, SourceRules

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
CLEAN = "_ing_clean"
DUP = "_ing_dup"
SLOW = "_ing_slow"
#: take the fast path where a source allows it (tests switch it off to compare)
FAST_PATH = True

_SQL_TYPES = {"number": "DOUBLE", "lon": "DOUBLE", "lat": "DOUBLE", "date": "DATE",
              "month": "DATE", "timestamp": "TIMESTAMP"}


@dataclass
class FileVerdict:
    file_name: str
    source: str
    status: str                      # 'loaded' | 'unchanged' | 'refused'
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_replaced: int = 0
    warnings: int = 0                # warning rows written to rejects
    message: str = ""
    rows_skipped: int = 0
    batch_id: int | None = None
    notes: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)   # lines shown under the verdict (first rejects)


@dataclass
class _Check:
    cond: str
    reason: str
    kind: str                        # 'invalid' | 'reject' | 'suspect'



def _holds(rc) -> str:
    """A row check's condition as SQL that is never NULL: a check that cannot be evaluated
    (a NULL operand) does not fire, instead of silently dropping the row from both stg and
    rejects."""
    return f"coalesce(({rc.condition}), false)"

def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute((HERE / "schema.sql").read_text(encoding="utf-8"))
    con.execute((HERE / "macros.sql").read_text(encoding="utf-8"))
    mask.register(con)          # ing_mask_text: tips' text is masked as it is cleaned


def sha256_of(path: Path) -> str:
    return scan_file(path).sha256


# ---------------------------------------------------------------- SQL building
def _field_sql(f: FieldSpec, raw: str | None, rules: SourceRules) -> tuple[str, str, list[_Check]]:
    """(typed value, presence, checks) of one field; checks use v_<f> / p_<f>."""
    t = f.type
    v, p = f"v_{f.name}", f"p_{f.name}"
    if raw is None:
        return f"CAST(NULL AS {_SQL_TYPES.get(t, 'VARCHAR')})", "false", []
    L = f.label
    checks: list[_Check] = []
    presence = C.present_sql(raw)
    if t == "number":
        val = C.number_sql(raw)
        what = "电量" if (f.unit or "").lower() == "kwh" else L
        checks.append(_Check(f"{p} AND {v} IS NULL", f"{what}不是数字", "invalid"))
        if f.name in rules.nonneg:
            checks.append(_Check(f"{v} < 0", f"{what}为负数", "invalid"))
    elif t in ("date", "timestamp", "month"):
        val = {"date": C.date_sql, "timestamp": C.timestamp_sql, "month": C.month_sql}[t](raw)
        word = "年月" if t == "month" else "日期"
        checks.append(_Check(f"{p} AND {v} IS NULL", f"{word}无法识别", "invalid"))
        checks.append(_Check(f"NOT {C.plausible_date_sql(v)}",
                             f"{word}不合理（应在 {C.YEAR_MIN}–{C.YEAR_MAX} 年之间）", "invalid"))
        if not f.future:
            checks.append(_Check(f"{C.plausible_date_sql(v)} AND {C.future_date_sql(v)}",
                                 f"{word}晚于今天，请核对年份（记录的日期不能在将来）", "invalid"))
        if f.within is not None and t == "date":
            lo, hi = f.within
            checks.append(_Check(f"{C.plausible_date_sql(v)} AND {v} NOT BETWEEN {C.lit(lo.isoformat())}::DATE "
                                 f"AND {C.lit(hi.isoformat())}::DATE",
                                 f"{L}不在专项整治期间（{lo} 至 {hi}），请核对年月日", "invalid"))
    elif t == "account":
        lo, hi = f.length or (5, 20)
        val = C.account_restore_sql(C.account_sql(raw), f.pad_to, lo)
        checks.append(_Check(f"{p} AND regexp_full_match({v}, '[0-9.]+[eE][+]?[0-9]+')",
                             f"{L}被 Excel 改成了科学计数法，无法还原，请把该列设为文本后重新导出", "invalid"))
        checks.append(_Check(f"{p} AND NOT {C.account_ok_sql(v, lo, hi)}",
                             f"{L}格式不对（应为 {lo}–{hi} 位数字）", "invalid"))
    elif t == "uscc":
        val = C.uscc_norm_sql(raw)
        checks.append(_Check(f"{v} IS NOT NULL AND NOT {C.uscc_format_ok_sql(v)}",
                             "统一社会信用代码格式不对（应为18位数字或大写字母，不含 I、O、Z、S、V）", "invalid"))
        checks.append(_Check(f"{v} IS NOT NULL AND {C.uscc_format_ok_sql(v)} AND NOT {C.uscc_check_ok_sql(v)}",
                             "统一社会信用代码校验位不符（可能录入错误，仍已导入）", "suspect"))
    elif t == "enum":
        val = C.enum_sql(C.text_sql(raw), f.values, f.aliases)
        presence = f"({C.text_sql(raw)} IS NOT NULL)"
        checks.append(_Check(f"{p} AND {v} IS NULL",
                             f"{L}不在允许范围（{'/'.join(f.values)}）", "invalid"))
    elif t in ("lon", "lat"):
        val = C.number_sql(raw)
        lo, hi = C.LON_RANGE if t == "lon" else C.LAT_RANGE
        word = "经度" if t == "lon" else "纬度"
        checks.append(_Check(f"{p} AND {v} IS NULL", f"{word}不是数字", "invalid"))
        checks.append(_Check(f"NOT {C.in_range_sql(v, lo, hi)}",
                             f"{word}超出范围（应在 {lo:g}–{hi:g} 之间）", "invalid"))
    elif t == "plate":
        val = C.plate_sql(raw)
        checks.append(_Check(f"{v} IS NOT NULL AND NOT {C.plate_ok_sql(v)}", f"{L}格式不对", "invalid"))
    elif t in ("code",):
        val = C.code_sql(raw)
    else:  # text, name, address, phone
        val = C.text_sql(raw)
    if f.private:
        checks = []
    if f.name in rules.not_empty:
        # coalesce: `v < 0` on an empty cell is NULL, and NOT NULL would hide the empty cell
        checks.append(_Check(f"{v} IS NULL AND NOT coalesce({' OR '.join([c.cond for c in checks] or ['false'])}, false)",
                             f"{L}为空", "reject"))
    return val, presence, checks


def _fast_field(f: FieldSpec, raw: str | None, rules: SourceRules) -> tuple[str, str, str] | None:
    """(value, presence, ok) of the field's fast test, or None when it has none.

    `ok` (SQL over v_<f> / p_<f>) is exact: where it holds, _field_sql's value equals
    `value`, its presence equals `presence` and none of its checks fires."""
    if raw is None or f.private:
        return None
    t = f.type
    v, p = f"v_{f.name}", f"p_{f.name}"
    blank_ok = "" if f.name in rules.not_empty else f"NOT {p} OR "
    presence = f"({raw} IS NOT NULL)"
    if t == "number":
        nonneg = f" AND NOT {v} < 0" if f.name in rules.nonneg else ""
        return f"TRY_CAST({raw} AS DOUBLE)", presence, f"({blank_ok}({v} IS NOT NULL{nonneg}))"
    if t in ("lon", "lat"):
        lo, hi = C.LON_RANGE if t == "lon" else C.LAT_RANGE
        return f"TRY_CAST({raw} AS DOUBLE)", presence, f"({blank_ok}{C.in_range_sql(v, lo, hi)})"
    if t in ("date", "timestamp"):
        # a cast that succeeds on the untrimmed cell gives what the trimmed cast gives
        # and a range comparison is what year() BETWEEN says, without extracting the year
        typ = "DATE" if t == "date" else "TIMESTAMP"
        plausible = f"({v} >= {typ} '{C.YEAR_MIN}-01-01' AND {v} < {typ} '{C.YEAR_MAX + 1}-01-01')"
        if not f.future:
            plausible = f"({plausible} AND NOT {C.future_date_sql(v)})"
        return f"TRY_CAST({raw} AS {typ})", presence, f"({blank_ok}{plausible})"
    if t == "account":
        lo, hi = f.length or (5, 20)
        # a short number without its leading 0 takes the slow path, which pads it
        short = (f" AND (length({v}) >= {int(f.pad_to)} OR length({v}) < {int(lo)} OR starts_with({v}, '0'))"
                 if f.pad_to else "")
        return raw, presence, f"({blank_ok}({C.account_ok_sql(v, lo, hi)}{short}))"
    if t == "plate":
        return raw, presence, f"({blank_ok}{C.plate_ok_sql(v)})"
    return None


@dataclass
class _Plan:
    sql: str                                 # CTAS of the lean `_ing_clean` (slow rows)
    detail_sql: str                          # CTAS of `_ing_errs` (rows with a problem only)
    checks: dict[str, list[_Check]]
    row_checks: list[tuple[str, RowCheck]]   # (resolved field, check)
    out_cols: list[str]
    private_cols: list[str]
    fast_insert: str | None = None           # INSERT of the rows that pass every fast test
    slow_sql: str | None = None              # CTAS of `_ing_slow`: _ord of the other rows


ERRS = "_ing_errs"


def build_clean_sql(cfg: SourceConfig, rules: SourceRules, raw: RawTable, fast: bool = True) -> _Plan:
    """The cleaning query three ways: fast (INSERT of the rows that pass every field's fast
    test), lean over the other rows (values + flags, materialised) and detailed (reasons +
    raw values) over only the rows flagged `_err`. Sources with a private table (tips) and
    `fast=False` take the lean query over all rows."""
    mapped = set(raw.mapping)
    fields = list(cfg.fields.values())
    cols = rules.stg_columns(mapped)
    if rules.coords:
        lo, la = rules.coords
        both = f"(x_{lo} IS NOT NULL AND x_{la} IS NOT NULL)"
        cols[lo] = f"CASE WHEN {both} THEN {cols[lo]} END"
        cols[la] = f"CASE WHEN {both} THEN {cols[la]} END"
    referenced = " ".join(list(cols.values()) + list(rules.private_columns.values()))
    rcs: list[tuple[str, RowCheck]] = []
    for rc in rules.row_checks:
        alts = (rc.field,) if isinstance(rc.field, str) else tuple(rc.field)
        fld = next((a for a in alts if a in mapped), alts[0])
        rcs.append((fld, rc))

    checks: dict[str, list[_Check]] = {}
    s1v, s2v = [], []
    for f in fields:
        rawcol = raw.col(f.name)
        val, presence, chk = _field_sql(f, C.ident(rawcol) if rawcol else None, rules)
        checks[f.name] = chk
        reject_field = f.name in rules.reject_fields or f.name in rules.not_empty
        invalid = [c.cond for c in chk if c.kind == "invalid"]
        rejecting = [c.cond for c in chk if c.kind == "reject" or (c.kind == "invalid" and reject_field)]
        rawsel = C.ident(rawcol) if rawcol and not f.private else "CAST(NULL AS VARCHAR)"
        s1v.append((f.name, val, presence, rawsel))
        s2v.append((
            f.name,
            f"CASE WHEN {' OR '.join(f'({c})' for c in invalid)} THEN NULL ELSE v_{f.name} END"
            if invalid else f"v_{f.name}",
            C.case_first([(c.cond, C.lit(c.reason)) for c in chk]) if chk else None,
            f"coalesce({' OR '.join(f'({c})' for c in rejecting)}, false)" if rejecting else "false",
        ))
    total = C.total_any_sql([C.ident(f"c{i}") for i in range(len(raw.headers))])
    row_expr = "_row" if raw.has_row_column else f"(CAST({int(raw.header_row)} AS BIGINT) + _rid + 1)"
    any_present = " OR ".join(f"p_{f.name}" for f in fields) or "false"
    any_bad = " OR ".join([f"b_{f.name}" for f in fields] + [_holds(rc) for _, rc in rcs if not rc.warn]) or "false"
    any_err = " OR ".join([f"e_{n} IS NOT NULL" for n, _, e, _ in s2v if e] + [_holds(rc) for _, rc in rcs]) or "false"

    def stage(source_rel: str, detail: bool) -> str:
        s1 = [f"{v} AS v_{n}, {p} AS p_{n}" for n, v, p, _ in s1v]
        s1 += [f"{r} AS r_{n}" for n, _, _, r in s1v if detail or f"r_{n}" in referenced]
        s2 = [f"{x} AS x_{n}, {b} AS b_{n}, p_{n}" for n, x, _, b in s2v]
        s2 += [f"{e} AS e_{n}" for n, _, e, _ in s2v if e]
        s2 += [f"r_{n}" for n, _, _, r in s1v if detail or f"r_{n}" in referenced]
        s3 = [f"{expr} AS {C.ident('o_' + name)}" for name, expr in cols.items()]
        s3 += [f"{expr} AS {C.ident('q_' + name)}" for name, expr in rules.private_columns.items()]
        if detail:
            s3 += [f"e_{n}, r_{n}" for n, _, e, _ in s2v if e]
            s3 += [f"CASE WHEN {_holds(rc)} THEN {C.lit(rc.reason)} END AS rc_{i}" for i, (_, rc) in enumerate(rcs)]
            s3 += [f"r_{fld} AS rcr_{i}" for i, (fld, _) in enumerate(rcs)]
        stage1 = (f"SELECT _rid + 1 AS _ord, {row_expr} AS _row, coalesce({total}, false) AS _total, "
                  f"{', '.join(s1)} FROM {source_rel}")
        stage2 = f"SELECT _ord, _row, _total, {', '.join(s2)} FROM ({stage1}) s1"
        skip = f"(_total OR NOT ({any_present}))"
        q = (
            f"SELECT _ord, _row, {skip} AS _skip, (NOT {skip} AND ({any_bad})) AS _rej, "
            f"(NOT {skip} AND ({any_err})) AS _err, {', '.join(s3)} FROM ({stage2}) s2"
        )
        return gcj(q)

    def gcj(q: str) -> str:
        if rules.coords and cfg.datum == "GCJ-02":
            return C.gcj_to_wgs_sql(q, "o_" + rules.coords[0], "o_" + rules.coords[1])
        return q

    fast_insert = slow_sql = None
    # The fast path pays when every field the file has gets a cheap test (readings, tracks);
    # where text fields need the full cleaning anyway it would only add a pass.
    fast = fast and not rules.private_table and all(
        _fast_field(f, C.ident(raw.col(f.name)), rules) is not None for f in fields if raw.col(f.name))
    if fast:
        fv, fok, fast_cols = [], [], set()
        for f in fields:
            rawcol = raw.col(f.name)
            ff = _fast_field(f, C.ident(rawcol) if rawcol else None, rules)
            if ff is None:           # no fast test: full value, ok when none of its checks fires
                val, presence, _ = next(x for x in s1v if x[0] == f.name)[1:]
                conds = [c.cond for c in checks[f.name]]
                ok = f"NOT coalesce({' OR '.join(f'({c})' for c in conds)}, false)" if conds else "true"
                fv.append((f.name, val, presence))
            else:
                val, presence, ok = ff
                fv.append((f.name, val, presence))
                fast_cols.add(rawcol)
            fok.append(f"coalesce({ok}, false)")
        # a cell that passed a fast test is a number, date, code or plate: never 合计
        ftotal = C.total_any_sql([C.ident(f"c{i}") for i in range(len(raw.headers)) if f"c{i}" not in fast_cols])
        raws = [f"{r} AS r_{n}" for n, _, _, r in s1v if f"r_{n}" in referenced]
        f1 = (f"SELECT _rid + 1 AS _ord, {row_expr} AS _row, coalesce({ftotal}, false) AS _total, "
              + ", ".join([f"{v} AS v_{n}, {p} AS p_{n}" for n, v, p in fv] + raws)
              + f" FROM (SELECT rowid AS _rid, * FROM {RAW}) r")
        f2 = (f"SELECT _ord, _row, _total, "
              + ", ".join([f"v_{n} AS x_{n}, p_{n}" for n, _, _ in fv] + [f"r_{n}" for n, _, _, _ in s1v
                                                                         if f"r_{n}" in referenced])
              + f", ({' AND '.join(fok) or 'true'}) AS _ok FROM ({f1}) f1")
        rc_any = " OR ".join(_holds(rc) for _, rc in rcs) or "false"
        flag = f"(_ok AND NOT _total AND ({any_present}) AND NOT coalesce({rc_any}, true))"
        o = [f"{expr} AS {C.ident('o_' + name)}" for name, expr in cols.items()]
        f3 = f"SELECT _ord, _row, {flag} AS _fast, {', '.join(o)} FROM ({f2}) f2"
        out = ", ".join(C.ident(c) for c in cols)
        src = ", ".join(C.ident("o_" + c) for c in cols)
        fast_insert = (f"INSERT INTO {rules.table} (batch_id, src_row, {out}) "
                       f"SELECT $b, _row, {src} FROM ({gcj(f3)}) f WHERE _fast")
        slow_sql = f"CREATE OR REPLACE TEMP TABLE {SLOW} AS SELECT _ord FROM ({f3}) f WHERE NOT _fast"
        lean_src = f"(SELECT rowid AS _rid, * FROM {RAW} WHERE rowid IN (SELECT _ord - 1 FROM {SLOW})) r"
    else:
        lean_src = f"(SELECT rowid AS _rid, * FROM {RAW}) r"
    lean = stage(lean_src, detail=False)
    detail = stage(
        f"(SELECT rowid AS _rid, * FROM {RAW} WHERE rowid IN (SELECT _ord - 1 FROM {CLEAN} WHERE _err)) r",
        detail=True,
    )
    return _Plan(
        sql=f"CREATE OR REPLACE TEMP TABLE {CLEAN} AS {lean}",
        detail_sql=f"CREATE OR REPLACE TEMP TABLE {ERRS} AS {detail}",
        checks=checks, row_checks=rcs, out_cols=list(cols), private_cols=list(rules.private_columns),
        fast_insert=fast_insert, slow_sql=slow_sql,
    )


# ---------------------------------------------------------------- load one file
def _header_of(raw: RawTable, cfg: SourceConfig, fname: str) -> str:
    i = raw.mapping.get(fname)
    if i is not None and i < len(raw.headers) and raw.headers[i]:
        return raw.headers[i]
    return cfg.fields[fname].label


def _drop_temps(con) -> None:
    for t in (RAW, CLEAN, DUP, ERRS, SLOW):
        con.execute(f"DROP TABLE IF EXISTS {t}")


@contextmanager
def _no_filter_pushdown(con):
    """DuckDB would push `WHERE _fast` down into the scan, evaluating every cast twice."""
    old = con.execute("SELECT current_setting('disabled_optimizers')").fetchall()[0][0] or ""
    if "filter_pushdown" in old:
        yield
        return
    con.execute(f"SET disabled_optimizers = {C.lit(','.join(x for x in (old, 'filter_pushdown') if x))}")
    try:
        yield
    finally:
        con.execute(f"SET disabled_optimizers = {C.lit(old)}")


def load_file(
    con: duckdb.DuckDBPyConnection,
    cfg: SourceConfig,
    rules: SourceRules,
    path: Path,
    archive_dir: Path | None,
) -> FileVerdict:
    path = Path(path)
    name = path.name
    t0 = time.monotonic()
    if not path.is_file():
        return _refused(name, cfg.source, "文件不存在")
    scan = scan_file(path)
    sha = scan.sha256
    prev = con.execute("SELECT batch_id, file_name FROM batches WHERE sha256 = ? ORDER BY batch_id LIMIT 1",
                       [sha]).fetchall()
    prev = prev[0] if prev else None
    if prev:
        msg = f"{shown(name)}：与已导入的批次 {prev[0]}（{shown(prev[1])}）内容相同，未重复导入"
        log.info(msg)
        return FileVerdict(name, cfg.source, "unchanged", message=msg, batch_id=prev[0])
    try:
        # Reading only touches TEMP tables (outside the transaction: rowids of rows
        # inserted in an open transaction are not ordinals).
        raw = read_table(con, path, cfg, name, scan)
        t1 = time.monotonic()
        plan = build_clean_sql(cfg, rules, raw, fast=FAST_PATH)
        with transaction(con):
            v = _write(con, cfg, rules, path, sha, archive_dir, t0, raw, plan)
        log.debug("%s: read %.2fs, clean+write %.2fs", name, t1 - t0, time.monotonic() - t1)
    except FileRefused as exc:
        return _refused(name, cfg.source, exc.reason)
    finally:
        _drop_temps(con)
    (log.warning if NO_DATA_NOTE in v.notes else log.info)(v.message)
    return v


def _refused(name: str, source: str, reason: str) -> FileVerdict:
    msg = f"{shown(name)}：未导入——{reason}"
    log.warning(msg)
    return FileVerdict(name, source, "refused", message=msg)


def _batch_keys(con, rules: SourceRules, batch_id: int) -> tuple[bool, list[tuple]]:
    """(the batch may hold duplicate keys, [(min, max) per key column]).

    Duplicates: the batch's key hashes sorted (numpy; 8 bytes a row, several times faster
    than a DuckDB hash aggregate) — two equal neighbours mean a duplicate key or, rarely,
    a hash collision, which the exact query in _mark_duplicates sorts out."""
    keys = [C.ident(k) for k in rules.key]
    h = con.execute(f"SELECT hash({', '.join(keys)}) AS h FROM {rules.table} WHERE batch_id = $b",
                    {"b": batch_id}).fetchnumpy()["h"]
    h = np.sort(np.asarray(h))
    maybe_dup = bool(len(h) > 1 and np.any(h[1:] == h[:-1]))
    del h
    sel = ", ".join(f"min({k}), max({k})" for k in keys)
    r = con.execute(f"SELECT {sel} FROM {rules.table} WHERE batch_id = $b", {"b": batch_id}).fetchall()[0]
    return maybe_dup, [(r[2 * i], r[2 * i + 1]) for i in range(len(keys))]


def _mark_duplicates(con, rules: SourceRules, batch_id: int) -> int:
    """Rows of the batch superseded by a later row with the same natural key → TEMP
    `_ing_dup` (_row, last_row, key_text); they are deleted from stg."""
    stg = rules.table
    keys = ", ".join(C.ident(k) for k in rules.key)
    mine = f"FROM {stg} WHERE batch_id = $b"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {DUP} AS SELECT src_row AS _row, last_row, key_text FROM ("
        f"SELECT src_row, max(src_row) OVER w AS last_row, concat_ws('|', {keys}) AS key_text {mine} "
        f"AND hash({keys}) IN (SELECT h FROM (SELECT hash({keys}) AS h {mine}) GROUP BY h HAVING count(*) > 1) "
        f"WINDOW w AS (PARTITION BY {keys})) WHERE src_row < last_row",
        {"b": batch_id},
    )
    ndup = con.execute(f"SELECT count(*) FROM {DUP}").fetchall()[0][0]
    if ndup:
        con.execute(f"DELETE FROM {stg} WHERE batch_id = $b AND src_row IN (SELECT _row FROM {DUP})",
                    {"b": batch_id})
    return ndup


def _padded_accounts(con, cfg: SourceConfig, raw: RawTable, base: dict) -> list[str]:
    """Account numbers Excel stored as numbers (leading zeros lost) that the cleaning padded
    back to the office's length: one warning per file and column — in `rejects` at the
    first such row, with the count — not one per row (a whole column is usually affected)."""
    notes = []
    row_expr = "_row" if raw.has_row_column else f"(CAST({int(raw.header_row)} AS BIGINT) + rowid + 1)"
    for f in cfg.fields.values():
        col = raw.col(f.name) if f.type == "account" and f.pad_to else None
        if not col:
            continue
        c = C.ident(col)
        clean = C.account_sql(c)
        fixed = C.account_restore_sql(clean, f.pad_to, (f.length or (5, 20))[0])
        n, first, example, became = con.execute(
            f"SELECT count(*), min({row_expr}), arg_min({c}, {row_expr}), arg_min({fixed}, {row_expr}) "
            f"FROM {RAW} WHERE {fixed} IS DISTINCT FROM {clean} "
            f"AND regexp_full_match({fixed}, '[0-9]{{{int(f.pad_to)}}}')").fetchall()[0]
        if not n:
            continue
        header = _header_of(raw, cfg, f.name)
        reason = (f"{header}有 {n} 行少了开头的 0（Excel 把它当成了数字），已按 {f.pad_to} 位补足，"
                  f"如第 {first} 行 {example} → {became}；请把该列设为文本后导出")
        con.execute("INSERT INTO rejects VALUES ($b, $s, $fn, $r, $h, $v, $why, 'warning')",
                    {**base, "r": first, "h": header, "v": example, "why": reason})
        notes.append(reason)
    return notes


def _fill_from_title(con, rules: SourceRules, raw: RawTable, name: str, batch_id: int) -> None:
    """Columns the file names once above its header (or in its name) instead of on every row:
    set where the row left them empty. The value is a bound parameter, never SQL."""
    for col, find in rules.title_fill.items():
        value = next((v for v in map(find, raw.title_rows + [Path(name).stem]) if v), None)
        if value:
            c = C.ident(col)
            con.execute(f"UPDATE {rules.table} SET {c} = $v WHERE batch_id = $b AND {c} IS NULL",
                        {"v": value, "b": batch_id})


def _write(con, cfg: SourceConfig, rules: SourceRules, path: Path, sha: str, archive_dir: Path | None,
           t0: float, raw: RawTable, plan: _Plan) -> FileVerdict:
    name = path.name
    stg = rules.table
    batch_id = con.execute("SELECT nextval('batch_seq')").fetchall()[0][0]
    base = {"b": batch_id, "s": cfg.source, "fn": name}
    t1 = time.monotonic()

    # 1. rows passing every fast test → stg directly
    n_fast = 0
    if plan.fast_insert:
        with _no_filter_pushdown(con):
            n_fast = con.execute(plan.fast_insert, {"b": batch_id}).fetchall()[0][0]
    t2 = time.monotonic()

    # 2. the other rows through the full cleaning
    slow = not plan.fast_insert or n_fast < raw.rows
    loaded = n_fast
    skipped = rejected = 0
    if slow:
        if plan.slow_sql:
            con.execute(plan.slow_sql)
        con.execute(plan.sql)
        con.execute(plan.detail_sql)
        skipped, rejected = con.execute(
            f"SELECT count(*) FILTER (_skip), count(*) FILTER (_rej) FROM {CLEAN}"
        ).fetchall()[0]
        out = ", ".join(C.ident(c) for c in plan.out_cols)
        src = ", ".join(C.ident("o_" + c) for c in plan.out_cols)
        loaded += con.execute(
            f"INSERT INTO {stg} (batch_id, src_row, {out}) SELECT $b, _row, {src} FROM {CLEAN} "
            f"WHERE NOT _skip AND NOT _rej", {"b": batch_id},
        ).fetchall()[0][0]
    t3 = time.monotonic()
    if loaded:
        _fill_from_title(con, rules, raw, name, batch_id)

    # 3. duplicate keys inside the file: the last row wins
    maybe_dup, ranges = _batch_keys(con, rules, batch_id) if loaded else (False, [])
    ndup = _mark_duplicates(con, rules, batch_id) if maybe_dup else 0
    loaded -= ndup
    rejected += ndup
    if slow and rules.private_table and plan.private_cols:
        pk = ", ".join(C.ident(k) for k in rules.key)
        pks = ", ".join(C.ident("o_" + k) for k in rules.key)
        pc = ", ".join(C.ident(c) for c in plan.private_cols)
        pcs = ", ".join(C.ident("q_" + c) for c in plan.private_cols)
        anyp = " OR ".join(f"{C.ident('q_' + c)} IS NOT NULL" for c in plan.private_cols)
        notdup = f" AND _row NOT IN (SELECT _row FROM {DUP})" if ndup else ""
        con.execute(
            f"INSERT INTO {rules.private_table} (batch_id, {pk}, {pc}) SELECT $b, {pks}, {pcs} "
            f"FROM {CLEAN} WHERE NOT _skip AND NOT _rej AND ({anyp}){notdup}", {"b": batch_id},
        )

    # 4. rejects: one UNION ALL branch per checked field / row check, and the duplicates
    parts, params = [], dict(base)
    if slow:
        for fname, chk in plan.checks.items():
            if not chk:
                continue
            params[f"h_{fname}"] = _header_of(raw, cfg, fname)
            parts.append(
                f"SELECT $b, $s, $fn, _row, $h_{fname}, r_{fname}, e_{fname}, "
                f"CASE WHEN _rej THEN 'reject' ELSE 'warning' END FROM {ERRS} "
                f"WHERE NOT _skip AND e_{fname} IS NOT NULL"
            )
        for i, (fld, _) in enumerate(plan.row_checks):
            params[f"rh_{i}"] = _header_of(raw, cfg, fld)
            parts.append(f"SELECT $b, $s, $fn, _row, $rh_{i}, rcr_{i}, rc_{i}, "
                         f"CASE WHEN _rej THEN 'reject' ELSE 'warning' END FROM {ERRS} "
                         f"WHERE NOT _skip AND rc_{i} IS NOT NULL")
    if ndup:
        params["kh"] = "、".join(_header_of(raw, cfg, k) for k in rules.key if k in cfg.fields) or rules.key[0]
        parts.append(f"SELECT $b, $s, $fn, _row, $kh, key_text, "
                     f"printf('与第 %d 行关键字段重复，以第 %d 行为准', last_row, last_row), 'reject' FROM {DUP}")
    if parts:
        con.execute(f"INSERT INTO rejects {' UNION ALL '.join(parts)}", params)
    padded = _padded_accounts(con, cfg, raw, base) if slow else []
    if raw.problems:
        # found by the reader: rows it took out (stray quote, data past the header) and
        # warnings on rows it kept (XLSX cells past the header)
        con.executemany("INSERT INTO rejects VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [[batch_id, cfg.source, name, *p] for p in raw.problems])
        rejected += raw.rejected_rows
    warnings = con.execute("SELECT count(*) FROM rejects WHERE batch_id = ? AND severity = 'warning'",
                           [batch_id]).fetchall()[0][0] if slow or raw.problems else 0
    rows_read = raw.rows + raw.rejected_rows

    # 5. replace older rows with the same natural key (only where the key ranges overlap)
    replaced = 0
    if loaded and all(lo is not None for lo, _ in ranges):
        rng, rparams = [], {"b": batch_id}
        for i, (k, (lo, hi)) in enumerate(zip(rules.key, ranges)):
            rng.append(f"t.{C.ident(k)} BETWEEN $lo{i} AND $hi{i}")
            rparams[f"lo{i}"], rparams[f"hi{i}"] = lo, hi
        older = f"t.batch_id <> $b AND {' AND '.join(rng)}"
        if con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {stg} t WHERE {older} LIMIT 1)",
                       rparams).fetchall()[0][0]:
            on = " AND ".join(f"t.{C.ident(k)} = n.{C.ident(k)}" for k in rules.key)
            sel = ", ".join(C.ident(k) for k in rules.key)
            mine = f"(SELECT DISTINCT {sel} FROM {stg} WHERE batch_id = $b) n"
            if rules.history_table:
                # corrections supersede, but what was returned before stays on record
                con.execute(f"INSERT INTO {rules.history_table} SELECT t.*, $b AS superseded_by_batch, "
                            f"now()::TIMESTAMP AS superseded_at FROM {stg} t, {mine} WHERE {older} AND {on}", rparams)
            replaced = con.execute(f"DELETE FROM {stg} t USING {mine} WHERE {older} AND {on}",
                                   rparams).fetchall()[0][0]
            if rules.private_table:
                con.execute(f"DELETE FROM {rules.private_table} t USING {mine} WHERE t.batch_id <> $b AND {on}",
                            {"b": batch_id})
    log.debug("%s: fast %.2fs (%d rows), slow %.2fs, dup+rejects+replace %.2fs", name, t2 - t1, n_fast,
              t3 - t2, time.monotonic() - t3)

    archived = None
    if archive_dir is not None:
        try:
            archived = str(archive_copy(path, Path(archive_dir), cfg.source, sha))
        except OSError as exc:
            # the transaction rolls back: the file is refused, the run goes on
            log.debug("archiving %r failed: %s", name, exc)
            raise FileRefused(name, f"无法保存存档副本（{exc.strerror or type(exc).__name__}），"
                                    f"请检查存档文件夹 {shown(str(archive_dir))} 的空间和权限") from None
    seconds = time.monotonic() - t0
    con.execute(
        "INSERT INTO batches (batch_id, source, file_name, sha256, archived_path, encoding, sheet, header_row, "
        "rows_read, rows_loaded, rows_rejected, rows_replaced, rows_skipped, warnings, loaded_at, seconds) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?)",
        [batch_id, cfg.source, name, sha, archived, raw.encoding, raw.sheet, raw.header_row, rows_read,
         loaded, rejected, replaced, skipped, warnings, seconds],
    )
    notes = list(raw.notes) + padded
    if rows_read - skipped == 0:
        # a header-only export (or only 合计/blank rows) loads as an empty batch, but the
        # clerk must hear that it held no data: usually a failed or wrongly filtered export
        notes.append(NO_DATA_NOTE)
    v = FileVerdict(
        file_name=name, source=cfg.source, status="loaded", rows_read=rows_read, rows_loaded=loaded,
        rows_rejected=rejected, rows_replaced=replaced, warnings=warnings,
        rows_skipped=skipped, batch_id=batch_id, notes=notes,
    )
    v.message = verdict_message(v)
    return v


NO_DATA_NOTE = "警告：表头以下没有数据行，请确认导出是否完整"


def verdict_message(v: FileVerdict, check: bool = False) -> str:
    """The Chinese verdict line of a loaded file; `check`: the file was only checked
    (`ingest --check`), nothing was stored, so rows are "可导入" and no table is named."""
    where = "" if check else "（见 rejects 表）"
    msg = (f"{shown(v.file_name)}{'（仅检查，未导入）' if check else ''}：读取 {v.rows_read} 行，"
           f"{'可导入' if check else '导入'} {v.rows_loaded} 行，拒收 {v.rows_rejected} 行"
           + (where if v.rows_rejected else ""))
    if v.warnings:
        msg += f"，警告 {v.warnings} 条（{'可导入' if check else '已导入'}{where}）"
    if v.rows_replaced:
        msg += f"，替换旧记录 {v.rows_replaced} 行"
    if v.rows_skipped:
        msg += f"，跳过合计/空行 {v.rows_skipped} 行"
    for n in v.notes:
        msg += f"；{n}"
    return msg


def _private_dir(d: Path) -> None:
    """Create `d` owner-only (0700), whatever the umask, and tighten it if it exists."""
    d.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(d, 0o700)


def archive_copy(path: Path, archive_dir: Path, source: str, sha: str) -> Path:
    """Keep a copy of the file as received: <archive>/<source>/<sha[:12]>_<name, bounded>.

    The copy is owner-only (0600 in a 0700 folder, whatever the umask and the inbox file's
    own mode: the raw tips copy holds every reporter in clear), and written to a temporary
    name then renamed, so a crash never leaves a truncated copy that a later run would
    take for the archived file."""
    _private_dir(archive_dir)
    dest_dir = archive_dir / source
    _private_dir(dest_dir)
    dest = dest_dir / archive_name(sha, path.name)
    if dest.exists() and not dest.is_symlink() and dest.stat().st_size == path.stat().st_size:
        os.chmod(dest, 0o600)
        return dest
    fd, tmp = tempfile.mkstemp(dir=dest_dir, prefix=".part-")   # mkstemp: 0600
    try:
        with open(path, "rb") as src, os.fdopen(fd, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        os.replace(tmp, dest)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return dest
