"""File → raw table: format and encoding detection, header search, DuckDB load.

The raw table `_ing_raw` (TEMP) has one VARCHAR column per header cell, named c0..cN
(by position, so duplicate or odd header names never matter), and for XLSX a `_row`
column with the Excel row. For CSV the Excel row is header_row + ordinal, corrected by a
bounded Python `csv` scan when the file has blank lines or quoted line breaks (DuckDB
skips blank lines and counts a quoted multi-line field as one record).

Detection, not guessing from the extension:
  * PK zip magic → XLSX, OLE2 magic → XLS, both read with python-calamine;
  * UTF-8 BOM → utf-8-sig; UTF-16 BOM → transcoded; strict UTF-8 of a large sample →
    utf-8; otherwise GB18030 (a superset of GBK) → transcoded in chunks to a temporary
    UTF-8 file (DuckDB has no GBK reader); otherwise the file is refused.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import logging
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from pipeline.errors import FileRefused
from pipeline.ingest.config import SourceConfig, norm_header, strip_unit
from pipeline.ingest.clean_sql import ident

log = logging.getLogger(__name__)

HEADER_SEARCH_ROWS = 30
SAMPLE_BYTES = 4 << 20
CHUNK = 4 << 20
DELIMITERS = (",", "\t", ";", "|")
RAW = "_ing_raw"

XLSX_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class RawTable:
    """What the reader found; the data itself is in TEMP table `_ing_raw`."""

    kind: str                       # 'csv' | 'xlsx' | 'xls'
    encoding: str | None
    sheet: str | None
    header_row: int                 # Excel row of the header
    headers: list[str]              # header cells as written (trimmed)
    mapping: dict[str, int]         # canonical field → column index
    rows: int                       # records after the header (blank lines excluded for CSV)
    has_row_column: bool            # `_row` present in _ing_raw (else header_row + ordinal)
    notes: list[str] = field(default_factory=list)

    def col(self, fname: str) -> str | None:
        i = self.mapping.get(fname)
        return None if i is None else f"c{i}"


# ---------------------------------------------------------------- header search
def match_header(cells: list[str], cfg: SourceConfig) -> dict[str, int]:
    """Canonical field → column index for one candidate header row."""
    idx = cfg.synonym_index()
    cands: list[tuple[int, int, int, str]] = []
    for ci, cell in enumerate(cells):
        n = norm_header(cell)
        if not n:
            continue
        for key, pri in ((n, 0), (strip_unit(n), 1)):
            for p, fname in idx.get(key, []):
                cands.append((pri + p, ci, 0, fname))
    cands.sort()
    mapping: dict[str, int] = {}
    used: set[int] = set()
    for _, ci, _, fname in cands:
        if fname in mapping or ci in used:
            continue
        mapping[fname] = ci
        used.add(ci)
    return mapping


def find_header(rows: list[list[str]], cfg: SourceConfig, file_name: str) -> tuple[int, dict[str, int]]:
    """Index (in `rows`) of the header row and its mapping; refuse when not found."""
    best_i, best_map = -1, {}
    for i, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        m = match_header(cells, cfg)
        if len(m) > len(best_map):
            best_i, best_map = i, m
    missing = [f for f in cfg.fields.values() if f.required and f.name not in best_map]
    for group in cfg.require_one_of:
        if not any(g in best_map for g in group):
            missing.extend(cfg.fields[g] for g in group[:1])
            hint = " 或 ".join(cfg.fields[g].header_hint() for g in group)
            raise FileRefused(file_name, f"未找到表头：缺少 {hint} 列，这可能不是 {cfg.title} 文件")
    if missing:
        names = "、".join(f.header_hint() for f in missing)
        raise FileRefused(file_name, f"未找到表头：缺少 {names} 列，这可能不是 {cfg.title} 文件")
    if best_i < 0:
        raise FileRefused(file_name, f"未找到表头：前 {HEADER_SEARCH_ROWS} 行中没有可识别的列名，"
                                     f"这可能不是 {cfg.title} 文件")
    return best_i, best_map


# ---------------------------------------------------------------- detection
def sniff_kind(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not head:
        raise FileRefused(path.name, "文件为空")
    if head.startswith(XLSX_MAGIC):
        return "xlsx"
    if head.startswith(OLE2_MAGIC):
        return "xls"
    return "csv"


def detect_encoding(path: Path) -> str:
    """'utf-8-sig' | 'utf-8' | 'utf-16' | 'gb18030'; refuses binary or undecodable files."""
    with open(path, "rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample:
        raise FileRefused(path.name, "无法识别文件编码：文件含二进制内容，不是文本表格或 Excel 文件")
    for enc in ("utf-8", "gb18030"):
        try:
            text = codecs.getincrementaldecoder(enc)("strict").decode(sample, final=len(sample) < SAMPLE_BYTES)
        except UnicodeDecodeError:
            continue
        ctrl = sum(1 for ch in text[:100000] if ord(ch) < 32 and ch not in "\t\r\n")
        if ctrl > 0.01 * max(1, min(len(text), 100000)):
            break
        return enc
    raise FileRefused(path.name, "无法识别文件编码（不是 UTF-8 或 GBK/GB18030 文本），请另存为 CSV UTF-8 或 Excel 文件")


def transcode(path: Path, encoding: str) -> Path:
    """Decode `path` with `encoding` in chunks into a temporary UTF-8 file."""
    fd, tmp = tempfile.mkstemp(prefix="chemsieve_", suffix=".csv")
    dec = codecs.getincrementaldecoder(encoding)("strict")
    try:
        with open(path, "rb") as src, os.fdopen(fd, "wb") as dst:
            while True:
                block = src.read(CHUNK)
                text = dec.decode(block, final=not block)
                if text:
                    dst.write(text.lstrip("\ufeff").encode("utf-8") if dst.tell() == 0 else text.encode("utf-8"))
                if not block:
                    break
    except UnicodeDecodeError:
        os.unlink(tmp)
        raise FileRefused(path.name, f"无法识别文件编码（按 {encoding.upper()} 解码失败），请另存为 CSV UTF-8 或 Excel 文件") from None
    return Path(tmp)


# ---------------------------------------------------------------- CSV
def _head_text(path: Path, encoding: str, max_records: int) -> str:
    with open(path, "r", encoding=encoding, newline="") as fh:
        lines = []
        size = 0
        for line in fh:
            lines.append(line)
            size += len(line)
            if len(lines) >= max_records * 4 or size > (2 << 20):
                break
    return "".join(lines)


def _parse_head(text: str, delim: str, limit: int) -> list[tuple[list[str], int]]:
    """Records of the head with the physical line count consumed after each."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    out = []
    try:
        for rec in reader:
            out.append((rec, reader.line_num))
            if len(out) >= limit:
                break
    except csv.Error:
        pass
    return out


@dataclass
class FileScan:
    """One pass over the file's bytes: its sha256 and its line count, so that the CSV
    reader can tell without reading the file again whether every physical line after the
    header is one record (then the Excel row is header_row + ordinal)."""

    sha256: str
    newlines: int            # number of b"\n"
    ends_with_newline: bool


SCAN_BLOCK = 8 << 20


def scan_file(path: Path) -> FileScan:
    """sha256 (hashed in a worker thread: hashlib releases the GIL) and newline count."""
    h = hashlib.sha256()
    newlines = 0
    last = b""
    with open(path, "rb", buffering=0) as fh, ThreadPoolExecutor(max_workers=1) as pool:
        pending = None
        while True:
            block = fh.read(SCAN_BLOCK)
            if not block:
                break
            if pending is not None:
                pending.result()
            pending = pool.submit(h.update, block)
            newlines += block.count(b"\n")
            last = block[-1:]
        if pending is not None:
            pending.result()
    return FileScan(h.hexdigest(), newlines, last == b"\n")


def read_csv_table(con: duckdb.DuckDBPyConnection, path: Path, cfg: SourceConfig, display: str,
                   scan: FileScan | None = None) -> RawTable:
    encoding = detect_encoding(path)
    tmp: Path | None = None
    src = path
    if encoding in ("gb18030", "utf-16"):
        tmp = transcode(path, encoding)
        src = tmp
    try:
        return _load_csv(con, src, cfg, display, encoding, scan if src == path else None)
    except _NotUtf8:
        # the sample was UTF-8 but a later part is not: read the whole file as GB18030
        tmp = transcode(path, "gb18030")
        src = tmp
        return _load_csv(con, src, cfg, display, "gb18030")
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


class _NotUtf8(Exception):
    pass


def _load_csv(con, src: Path, cfg: SourceConfig, display: str, encoding: str,
              scan: FileScan | None = None) -> RawTable:
    text = _head_text(src, "utf-8-sig", HEADER_SEARCH_ROWS)
    best = None
    for delim in DELIMITERS:
        recs = _parse_head(text, delim, HEADER_SEARCH_ROWS + 1)
        rows = [r for r, _ in recs]
        score = max((len(match_header(r, cfg)) for r in rows[:HEADER_SEARCH_ROWS]), default=0)
        if best is None or score > best[0]:
            best = (score, delim, recs)
    _, delim, recs = best
    hi, mapping = find_header([r for r, _ in recs], cfg, display)
    header_cells = [c.strip() for c in recs[hi][0]]
    header_row = hi + 1                    # Excel counts blank lines as rows too
    header_lines = recs[hi][1]             # physical lines up to and including the header
    ncols = max([len(header_cells)] + [len(r) for r, _ in recs[hi + 1:]])
    headers = header_cells + [""] * (ncols - len(header_cells))
    cols = "{" + ", ".join(f"{_q(f'c{i}')}: 'VARCHAR'" for i in range(ncols)) + "}"
    sql = (
        f"CREATE OR REPLACE TEMP TABLE {RAW} AS SELECT * FROM read_csv($path, skip=$skip, header=false, "
        f"columns={cols}, delim=$delim, quote='\"', escape='\"', null_padding=true, "
        f"strict_mode=false, auto_detect=false, encoding='utf-8'%s)"
    )
    params = {"path": str(src), "skip": header_lines, "delim": delim}
    try:
        try:
            con.execute(sql % "", params)
        except duckdb.Error as exc:
            if "parallel" in str(exc).lower():
                con.execute(sql % ", parallel=false", params)
            else:
                raise
    except duckdb.Error as exc:
        msg = str(exc)
        if "unicode" in msg.lower() or "utf" in msg.lower():
            if encoding in ("utf-8", "utf-8-sig"):
                raise _NotUtf8() from None
        log.debug("CSV read failed for %s: %s", display, msg.splitlines()[0] if msg else "")
        raise FileRefused(display, "文件无法按表格读取（CSV 结构错误）") from None
    n = con.execute(f"SELECT count(*) FROM {RAW}").fetchall()[0][0]
    notes = []
    if encoding not in ("utf-8",):
        notes.append(f"编码 {encoding.upper()}")
    has_row = False
    # Every physical line after the header is one record unless the file has blank lines
    # (DuckDB skips them, Excel counts them) or quoted line breaks: then the line count
    # and the record count differ, and a Python scan gives each record its Excel row.
    scan = scan or scan_file(src)
    lines = scan.newlines - header_lines + (0 if scan.ends_with_newline else 1)
    if lines != n and n:
        rows = _excel_rows(src, delim, header_row, header_lines, n)
        if rows is None:
            notes.append("行号可能不准（文件含空行或单元格内换行，且无法逐行核对）")
        else:
            tbl = pa.table({"_ord": pa.array(range(1, n + 1), pa.int64()), "_row": pa.array(rows, pa.int64())})
            con.register("_ing_rowmap_arrow", tbl)
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {RAW}_rows AS SELECT r.* EXCLUDE (_ord), m._row FROM "
                f"(SELECT rowid + 1 AS _ord, * FROM {RAW}) r JOIN _ing_rowmap_arrow m USING (_ord) ORDER BY _ord"
            )
            con.unregister("_ing_rowmap_arrow")
            con.execute(f"DROP TABLE {RAW}")
            con.execute(f"ALTER TABLE {RAW}_rows RENAME TO {RAW}")
            has_row = True
    return RawTable(
        kind="csv", encoding=encoding, sheet=None, header_row=header_row, headers=headers,
        mapping=mapping, rows=n, has_row_column=has_row, notes=notes,
    )


def _excel_rows(src: Path, delim: str, header_row: int, header_lines: int, n: int) -> list[int] | None:
    """Excel row of each of the n records DuckDB read (it skips blank lines; Excel does not)."""
    rows: list[int] = []
    with open(src, "r", encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=delim)
        excel = header_row
        for rec in reader:
            if reader.line_num <= header_lines:
                continue
            excel += 1
            if not rec:
                continue
            rows.append(excel)
            if len(rows) > n:
                return None
    return rows if len(rows) == n else None


def _q(name: str) -> str:
    return ident(name)


# ---------------------------------------------------------------- XLSX / XLS
def _cell_text(v) -> str | None:
    if v is None or v == "":
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return str(v)
    return str(v)


def read_excel_table(con: duckdb.DuckDBPyConnection, path: Path, cfg: SourceConfig, display: str, kind: str) -> RawTable:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        names = wb.sheet_names
        sheet = cfg.sheet
        if isinstance(sheet, int):
            if sheet >= len(names):
                raise FileRefused(display, f"工作簿只有 {len(names)} 个工作表，配置要求第 {sheet + 1} 个")
            ws = wb.get_sheet_by_index(sheet)
        else:
            if sheet not in names:
                raise FileRefused(display, f"工作簿中没有名为 {sheet} 的工作表（有：{'、'.join(names)}）")
            ws = wb.get_sheet_by_name(sheet)
        data = ws.to_python(skip_empty_area=False)
    except FileRefused:
        raise
    except Exception as exc:  # calamine raises its own error types for broken files
        log.debug("Excel read failed for %s: %s", display, type(exc).__name__)
        raise FileRefused(display, "Excel 文件已损坏或无法读取") from None
    if not data or not any(any(c not in (None, "") for c in r) for r in data):
        raise FileRefused(display, "文件为空（工作表没有数据）")
    head = [[(_cell_text(c) or "") for c in r] for r in data[:HEADER_SEARCH_ROWS]]
    hi, mapping = find_header(head, cfg, display)
    header_cells = [c.strip() for c in head[hi]]
    while header_cells and header_cells[-1] == "" and (len(header_cells) - 1) not in mapping.values():
        header_cells.pop()
    ncols = len(header_cells)
    body = data[hi + 1:]
    columns = [[] for _ in range(ncols)]
    for r in body:
        for i in range(ncols):
            columns[i].append(_cell_text(r[i]) if i < len(r) else None)
    arrays = {f"c{i}": pa.array(columns[i], pa.string()) for i in range(ncols)}
    arrays["_row"] = pa.array(range(hi + 2, hi + 2 + len(body)), pa.int64())
    tbl = pa.table(arrays)
    con.register("_ing_xl_arrow", tbl)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {RAW} AS SELECT * FROM _ing_xl_arrow")
    finally:
        con.unregister("_ing_xl_arrow")
    return RawTable(
        kind=kind, encoding=None, sheet=ws.name, header_row=hi + 1, headers=header_cells,
        mapping=mapping, rows=len(body), has_row_column=True, notes=[],
    )


def read_table(con: duckdb.DuckDBPyConnection, path: Path, cfg: SourceConfig, display: str | None = None,
               scan: FileScan | None = None) -> RawTable:
    """Load `path` into TEMP table `_ing_raw`; raise FileRefused when it is not a table.
    `scan` (of `path`, from scan_file) spares a second pass over a large CSV."""
    display = display or path.name
    kind = sniff_kind(path)
    if kind in ("xlsx", "xls"):
        return read_excel_table(con, path, cfg, display, kind)
    return read_csv_table(con, path, cfg, display, scan)
