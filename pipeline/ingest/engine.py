"""The shared ingest engine: one file → batches, rejects and one stg_* table.

Everything row-level is set-based SQL over the whole raw table:

  stage 1  typed value v_<f> and "cell not blank" p_<f> for every configured field
  stage 2  first failing check e_<f>, validated value x_<f>, row-rejecting flag b_<f>
  stage 3  stg projection o_<col>, row checks, _skip (合计/blank) and _rej flags
           → materialised once as TEMP `_ing_clean`
  then     rejects ← UNION ALL of the failing checks; stg ← the good rows;
           older rows with the same natural key deleted first (rows_replaced).

Severity: a check on a field listed in the source's `reject_fields` (or `not_empty`)
rejects the row; on other fields the value is set NULL and a 'warning' row is written
to rejects (the row still loads). 'suspect' checks (USCC check digit) keep the value.
In `rejects`, severity is 'reject' for every problem of a row that was not loaded and
'warning' for problems of a loaded row.

Duplicate keys inside one file: the last row wins; each earlier row is rejected with
"与第 N 行关键字段重复，以第 N 行为准" (so read = loaded + rejected + skipped).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline.db import transaction
from pipeline.errors import FileRefused
from pipeline.ingest import clean_sql as C
from pipeline.ingest.config import FieldSpec, SourceConfig
from pipeline.ingest.reader import RAW, RawTable, read_table
from pipeline.ingest.rules import RowCheck, SourceRules

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
CLEAN = "_ing_clean"
DUP = "_ing_dup"

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


@dataclass
class _Check:
    cond: str
    reason: str
    kind: str                        # 'invalid' | 'reject' | 'suspect'


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute((HERE / "schema.sql").read_text(encoding="utf-8"))
    con.execute((HERE / "macros.sql").read_text(encoding="utf-8"))


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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
    elif t == "account":
        lo, hi = f.length or (5, 20)
        val = C.account_sql(raw)
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
        checks.append(_Check(f"{v} IS NULL AND NOT ({' OR '.join([c.cond for c in checks] or ['false'])})",
                             f"{L}为空", "reject"))
    return val, presence, checks


@dataclass
class _Plan:
    sql: str                                 # CTAS of the lean `_ing_clean` (all rows)
    detail_sql: str                          # CTAS of `_ing_errs` (rows with a problem only)
    checks: dict[str, list[_Check]]
    row_checks: list[tuple[str, RowCheck]]   # (resolved field, check)
    out_cols: list[str]
    private_cols: list[str]


ERRS = "_ing_errs"


def build_clean_sql(cfg: SourceConfig, rules: SourceRules, raw: RawTable) -> _Plan:
    """The cleaning query, twice: lean over all rows (values + flags, materialised once)
    and detailed (reasons + raw values) over only the rows flagged `_err`."""
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
    total = " OR ".join(C.total_row_sql(C.ident(f"c{i}")) for i in range(len(raw.headers))) or "false"
    row_expr = "_row" if raw.has_row_column else f"(CAST({int(raw.header_row)} AS BIGINT) + _rid + 1)"
    any_present = " OR ".join(f"p_{f.name}" for f in fields) or "false"
    any_bad = " OR ".join([f"b_{f.name}" for f in fields] + [f"({rc.condition})" for _, rc in rcs]) or "false"
    any_err = " OR ".join([f"e_{n} IS NOT NULL" for n, _, e, _ in s2v if e] + [f"({rc.condition})" for _, rc in rcs]) or "false"

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
            s3 += [f"CASE WHEN {rc.condition} THEN {C.lit(rc.reason)} END AS rc_{i}" for i, (_, rc) in enumerate(rcs)]
            s3 += [f"r_{fld} AS rcr_{i}" for i, (fld, _) in enumerate(rcs)]
        stage1 = (f"SELECT _rid + 1 AS _ord, {row_expr} AS _row, coalesce({total}, false) AS _total, "
                  f"{', '.join(s1)} FROM {source_rel}")
        stage2 = f"SELECT _ord, _row, _total, {', '.join(s2)} FROM ({stage1}) s1"
        skip = f"(_total OR NOT ({any_present}))"
        q = (
            f"SELECT _ord, _row, {skip} AS _skip, (NOT {skip} AND ({any_bad})) AS _rej, "
            f"(NOT {skip} AND ({any_err})) AS _err, {', '.join(s3)} FROM ({stage2}) s2"
        )
        if rules.coords and cfg.datum == "GCJ-02":
            q = C.gcj_to_wgs_sql(q, "o_" + rules.coords[0], "o_" + rules.coords[1])
        return q

    lean = stage(f"(SELECT rowid AS _rid, * FROM {RAW}) r", detail=False)
    detail = stage(
        f"(SELECT rowid AS _rid, * FROM {RAW} WHERE rowid IN (SELECT _ord - 1 FROM {CLEAN} WHERE _err)) r",
        detail=True,
    )
    return _Plan(
        sql=f"CREATE OR REPLACE TEMP TABLE {CLEAN} AS {lean}",
        detail_sql=f"CREATE OR REPLACE TEMP TABLE {ERRS} AS {detail}",
        checks=checks, row_checks=rcs, out_cols=list(cols), private_cols=list(rules.private_columns),
    )


# ---------------------------------------------------------------- load one file
def _header_of(raw: RawTable, cfg: SourceConfig, fname: str) -> str:
    i = raw.mapping.get(fname)
    if i is not None and i < len(raw.headers) and raw.headers[i]:
        return raw.headers[i]
    return cfg.fields[fname].label


def _drop_temps(con) -> None:
    for t in (RAW, CLEAN, DUP, ERRS):
        con.execute(f"DROP TABLE IF EXISTS {t}")


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
    sha = sha256_of(path)
    prev = con.execute("SELECT batch_id, file_name FROM batches WHERE sha256 = ? ORDER BY batch_id LIMIT 1",
                       [sha]).fetchall()
    prev = prev[0] if prev else None
    if prev:
        msg = f"{name}：与已导入的批次 {prev[0]}（{prev[1]}）内容相同，未重复导入"
        log.info(msg)
        return FileVerdict(name, cfg.source, "unchanged", message=msg, batch_id=prev[0])
    try:
        # Reading and cleaning only touch TEMP tables (outside the transaction: rowids of
        # rows inserted in an open transaction are not ordinals, and nothing persistent
        # changes before the writes below).
        raw = read_table(con, path, cfg, name)
        t1 = time.monotonic()
        plan = build_clean_sql(cfg, rules, raw)
        con.execute(plan.sql)
        t2 = time.monotonic()
        con.execute(plan.detail_sql)
        ndup = _mark_duplicates(con, rules)
        t3 = time.monotonic()
        with transaction(con):
            v = _write(con, cfg, rules, path, sha, archive_dir, t0, raw, plan, ndup)
        log.debug("%s: read %.2fs, clean %.2fs, checks %.2fs, write %.2fs", name, t1 - t0, t2 - t1,
                  t3 - t2, time.monotonic() - t3)
    except FileRefused as exc:
        return _refused(name, cfg.source, exc.reason)
    finally:
        _drop_temps(con)
    log.info(v.message)
    return v


def _refused(name: str, source: str, reason: str) -> FileVerdict:
    msg = f"{name}：未导入——{reason}"
    log.warning(msg)
    return FileVerdict(name, source, "refused", message=msg)


def _mark_duplicates(con, rules: SourceRules) -> int:
    """Rows superseded by a later row with the same natural key → TEMP `_ing_dup`."""
    keys = ", ".join(C.ident("o_" + k) for k in rules.key)
    ok = "NOT _skip AND NOT _rej"
    ndup = con.execute(
        f"SELECT count(*) FROM (SELECT {keys} FROM {CLEAN} WHERE {ok} GROUP BY ALL HAVING count(*) > 1)"
    ).fetchall()[0][0]
    if ndup:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {DUP} AS SELECT _ord, _row, last_row, key_text FROM ("
            f"SELECT _ord, _row, last_value(_row) OVER w AS last_row, max(_ord) OVER w AS last_ord, "
            f"concat_ws('|', {keys}) AS key_text FROM {CLEAN} WHERE {ok} "
            f"WINDOW w AS (PARTITION BY {keys} ORDER BY _ord ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)"
            f") WHERE _ord < last_ord"
        )
        ndup = con.execute(f"SELECT count(*) FROM {DUP}").fetchall()[0][0]
    return ndup


def _write(con, cfg: SourceConfig, rules: SourceRules, path: Path, sha: str, archive_dir: Path | None,
           t0: float, raw: RawTable, plan: _Plan, ndup: int) -> FileVerdict:
    name = path.name
    batch_id = con.execute("SELECT nextval('batch_seq')").fetchall()[0][0]
    base = {"b": batch_id, "s": cfg.source, "fn": name}
    loaded_cond = "NOT _skip AND NOT _rej"
    if ndup:
        loaded_cond += f" AND _ord NOT IN (SELECT _ord FROM {DUP})"

    # rejects: one UNION ALL branch per checked field / row check
    parts, params = [], dict(base)
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
        parts.append(f"SELECT $b, $s, $fn, _row, $rh_{i}, rcr_{i}, rc_{i}, 'reject' FROM {ERRS} "
                     f"WHERE NOT _skip AND rc_{i} IS NOT NULL")
    if ndup:
        params["kh"] = "、".join(_header_of(raw, cfg, k) for k in rules.key if k in cfg.fields) or rules.key[0]
        parts.append(f"SELECT $b, $s, $fn, _row, $kh, key_text, "
                     f"printf('与第 %d 行关键字段重复，以第 %d 行为准', last_row, last_row), 'reject' FROM {DUP}")
    if parts:
        con.execute(f"INSERT INTO rejects {' UNION ALL '.join(parts)}", params)

    stats = con.execute(
        f"SELECT count(*) FILTER (_skip), count(*) FILTER (_rej) FROM {CLEAN}"
    ).fetchall()[0]
    skipped, rejected = stats[0], stats[1] + ndup
    warnings = con.execute("SELECT count(*) FROM rejects WHERE batch_id = ? AND severity = 'warning'",
                           [batch_id]).fetchall()[0][0]

    # replace older rows with the same natural key, then insert
    stg = rules.table
    replaced = 0
    if con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {stg} LIMIT 1)").fetchall()[0][0]:
        on = " AND ".join(f"t.{C.ident(k)} = n.{C.ident(k)}" for k in rules.key)
        sel = ", ".join(f"{C.ident('o_' + k)} AS {C.ident(k)}" for k in rules.key)
        replaced = con.execute(
            f"DELETE FROM {stg} t USING (SELECT DISTINCT {sel} FROM {CLEAN} WHERE {loaded_cond}) n WHERE {on}"
        ).fetchall()[0][0]
        if rules.private_table:
            con.execute(
                f"DELETE FROM {rules.private_table} t USING (SELECT DISTINCT {sel} FROM {CLEAN} "
                f"WHERE {loaded_cond}) n WHERE {on}"
            )
    out = ", ".join(C.ident(c) for c in plan.out_cols)
    src = ", ".join(C.ident("o_" + c) for c in plan.out_cols)
    loaded = con.execute(
        f"INSERT INTO {stg} (batch_id, src_row, {out}) SELECT $b, _row, {src} FROM {CLEAN} WHERE {loaded_cond}",
        {"b": batch_id},
    ).fetchall()[0][0]
    if rules.private_table and plan.private_cols:
        pk = ", ".join(C.ident(k) for k in rules.key)
        pks = ", ".join(C.ident("o_" + k) for k in rules.key)
        pc = ", ".join(C.ident(c) for c in plan.private_cols)
        pcs = ", ".join(C.ident("q_" + c) for c in plan.private_cols)
        anyp = " OR ".join(f"{C.ident('q_' + c)} IS NOT NULL" for c in plan.private_cols)
        con.execute(
            f"INSERT INTO {rules.private_table} (batch_id, {pk}, {pc}) SELECT $b, {pks}, {pcs} "
            f"FROM {CLEAN} WHERE {loaded_cond} AND ({anyp})", {"b": batch_id},
        )

    archived = None
    if archive_dir is not None:
        dest_dir = Path(archive_dir) / cfg.source
        dest_dir.mkdir(parents=True, exist_ok=True)
        dest = dest_dir / f"{sha[:12]}_{name}"
        if not dest.exists():
            shutil.copy2(path, dest)
        archived = str(dest)
    seconds = time.monotonic() - t0
    con.execute(
        "INSERT INTO batches (batch_id, source, file_name, sha256, archived_path, encoding, sheet, header_row, "
        "rows_read, rows_loaded, rows_rejected, rows_replaced, rows_skipped, warnings, loaded_at, seconds) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?)",
        [batch_id, cfg.source, name, sha, archived, raw.encoding, raw.sheet, raw.header_row, raw.rows,
         loaded, rejected, replaced, skipped, warnings, seconds],
    )
    msg = f"{name}：读取 {raw.rows} 行，导入 {loaded} 行，拒收 {rejected} 行" + ("（见 rejects 表）" if rejected else "")
    if warnings:
        msg += f"，警告 {warnings} 条（已导入，见 rejects 表）"
    if replaced:
        msg += f"，替换旧记录 {replaced} 行"
    if skipped:
        msg += f"，跳过合计/空行 {skipped} 行"
    for n in raw.notes:
        msg += f"；{n}"
    return FileVerdict(
        file_name=name, source=cfg.source, status="loaded", rows_read=raw.rows, rows_loaded=loaded,
        rows_rejected=rejected, rows_replaced=replaced, warnings=warnings, message=msg,
        rows_skipped=skipped, batch_id=batch_id, notes=list(raw.notes),
    )
