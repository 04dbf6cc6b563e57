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
import contextlib
import csv
import datetime as dt
import hashlib
import io
import logging
import os
import re
import tempfile
import zipfile
from zlib import error as zlib_error
from array import array
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
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
    #: problems found while reading, (Excel row, column, value, reason, severity): 'reject'
    #: rows are not in _ing_raw (a stray quote's line, data past the header), 'warning'
    #: rows are (an XLSX row with cells past the header)
    problems: list[tuple] = field(default_factory=list)
    #: the non-blank cells of the rows above the header ("罗山供电所 电量激增用户清单")
    title_rows: list[str] = field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        return len({p[0] for p in self.problems if p[4] == "reject"})

    def col(self, fname: str) -> str | None:
        i = self.mapping.get(fname)
        return None if i is None else f"c{i}"


# ---------------------------------------------------------------- header search
def _titles(rows: list[list[str]]) -> list[str]:
    """Rows above the header as text, one string a row (blank cells and rows left out)."""
    out = []
    for r in rows:
        text = " ".join(c.strip() for c in r if c and c.strip())
        if text:
            out.append(text[:CLIP])
    return out


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


EXTRA = "_extra"     # sentinel column: the first cell past the header width, '' when empty
CLIP = 120           # characters of a cell quoted in a reason


def _clip(text: str, n: int = CLIP) -> str:
    text = text.replace("\r", "").replace("\n", "⏎")
    return text if len(text) <= n else text[:n] + f"…（共 {len(text)} 字）"


def _read_csv_sql(con, src: Path, skip: int, delim: str, width: int) -> None:
    """`_ing_raw` ← c0..c{width-1} and the sentinel `_extra` (force_not_null: an empty
    extra cell reads as '', a row without one as NULL), so that cells past the header
    width, which DuckDB drops silently, are noticed."""
    cols = "{" + ", ".join([f"{_q(f'c{i}')}: 'VARCHAR'" for i in range(width)] + [f"{_q(EXTRA)}: 'VARCHAR'"]) + "}"
    sql = (
        f"CREATE OR REPLACE TEMP TABLE {RAW} AS SELECT * FROM read_csv($path, skip=$skip, header=false, "
        f"columns={cols}, delim=$delim, quote='\"', escape='\"', null_padding=true, "
        f"force_not_null=[{C_lit(EXTRA)}], strict_mode=false, auto_detect=false, encoding='utf-8'%s)"
    )
    params = {"path": str(src), "skip": skip, "delim": delim}
    try:
        con.execute(sql % "", params)
    except duckdb.Error as exc:
        if "parallel" not in str(exc).lower():
            raise
        con.execute(sql % ", parallel=false", params)


def C_lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _tail_opens_quote(src: Path) -> bool:
    """The file's last line has an odd number of quotes: a quote opened on it and never
    closed swallows only the final line break, so record and line counts still agree."""
    with open(src, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - 65536))
        tail = fh.read()
    lines = [ln for ln in tail.split(b"\n") if ln.strip()]
    return bool(lines) and lines[-1].count(b'"') % 2 == 1


def _load_csv(con, src: Path, cfg: SourceConfig, display: str, encoding: str,
              scan: FileScan | None = None) -> RawTable:
    limits = cfg.limits
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
    if len(header_cells) > limits.max_columns:
        raise FileRefused(display, f"表头有 {len(header_cells)} 列，超过上限 {limits.max_columns} 列"
                                   f"（configs/ingest.yaml 的 max_columns），这不像部门导出的表格")
    header_row = hi + 1                    # Excel counts blank lines as rows too
    header_lines = recs[hi][1]             # physical lines up to and including the header
    # The table is as wide as its header: a cell past it belongs to no column (item 6 of
    # issue 10: the widest of the first rows made 10,000 columns of one bad row).
    width = len(header_cells)
    headers = header_cells
    notes = []
    if encoding not in ("utf-8",):
        notes.append(f"编码 {encoding.upper()}")
    problems: list[tuple] = []
    has_row = False
    try:
        _read_csv_sql(con, src, header_lines, delim, width)
        failed = None
    except duckdb.Error as exc:
        # DuckDB 2.0 reports a malformed quote in valid UTF-8 as "Invalid unicode": its
        # message says nothing about the encoding; the Python pass below decides.
        failed = str(exc)
        log.debug("CSV read failed for %s: %s", display, failed.splitlines()[0] if failed else "")
    if failed is None:
        n, n_extra = con.execute(f"SELECT count(*), count({_q(EXTRA)}) FROM {RAW}").fetchall()[0]
        # Every physical line after the header is one record unless the file has blank lines
        # (DuckDB skips them, Excel counts them), quoted line breaks or a stray quote that
        # swallowed lines: then the counts differ and a Python pass gives each record its
        # Excel row and looks at the records that span lines.
        scan = scan or scan_file(src)
        lines = scan.newlines - header_lines + (0 if scan.ends_with_newline else 1)
        if n and (lines != n or n_extra or _tail_opens_quote(src)):
            try:
                rec = _scan_records(src, delim, header_lines, header_row, headers, limits, None)
            except UnicodeDecodeError:
                raise _NotUtf8() from None
            if not rec.swallowed and rec.records == n:
                problems = rec.problems
                _attach_rows(con, rec)
                has_row = True
            else:
                failed = "rewrite"
    if failed is not None:
        # Rewrite the records as Python's csv module parsed them (stray-quote lines and
        # rows with data past the header taken out) and read that with DuckDB.
        fd, tmp = tempfile.mkstemp(prefix="chemsieve_", suffix=".csv")
        os.close(fd)
        try:
            try:
                rec = _scan_records(src, delim, header_lines, header_row, headers, limits, Path(tmp))
            except UnicodeDecodeError:
                if encoding in ("utf-8", "utf-8-sig"):
                    raise _NotUtf8() from None
                raise FileRefused(display, "文件无法按表格读取（CSV 结构错误）") from None
            try:
                _read_csv_sql(con, Path(tmp), 0, delim, width)
            except duckdb.Error as exc:
                log.debug("CSV re-read failed for %s: %s", display, str(exc).splitlines()[0])
                raise FileRefused(display, "文件无法按表格读取（CSV 结构错误）") from None
        finally:
            os.unlink(tmp)
        n = con.execute(f"SELECT count(*) FROM {RAW}").fetchall()[0][0]
        if n != rec.records:
            raise FileRefused(display, "文件无法按表格读取（CSV 结构错误）")
        problems = rec.problems
        _attach_rows(con, rec)
        has_row = True
    # without a Python pass `_extra` stays (all NULL; dropping it would copy the table)
    n = con.execute(f"SELECT count(*) FROM {RAW}").fetchall()[0][0]
    return RawTable(
        kind="csv", encoding=encoding, sheet=None, header_row=header_row, headers=headers,
        mapping=mapping, rows=n, has_row_column=has_row, notes=notes, problems=problems,
        title_rows=_titles([r for r, _ in recs[:hi]]),
    )


@dataclass
class _Records:
    """What the Python pass over the records found."""

    records: int = 0                 # records in the file DuckDB read (blank lines excluded)
    ords: "array" = None             # ordinal (1-based) of each record kept …
    rows: "array" = None             # … and its Excel row
    problems: list = field(default_factory=list)  # (row, column, value, reason, severity)
    swallowed: bool = False


class _Lines:
    """Line iterator for csv.reader that remembers the physical lines of the current
    record, can be given lines back (a stray quote's record is re-read line by line), and
    notes when the file ended inside a record (an unterminated quote)."""

    def __init__(self, fh):
        self.fh = fh
        self.back: list[str] = []         # reversed
        self.buf: list[str] = []
        self.hit_eof = False

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self.back:
            line = self.back.pop()
        else:
            line = self.fh.readline()
            if not line:
                self.hit_eof = True
                raise StopIteration
        self.buf.append(line)
        return line

    def take(self) -> tuple[list[str], bool]:
        buf, eof = self.buf, self.hit_eof
        self.buf, self.hit_eof = [], False
        return buf, eof

    def give_back(self, lines: list[str]) -> None:
        self.back.extend(reversed(lines))


@contextmanager
def _field_limit(n: int):
    old = csv.field_size_limit()
    csv.field_size_limit(n)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _plain_fields(line: str, delim: str) -> int:
    """Fields of one physical line when quotes are taken as ordinary characters."""
    return line.rstrip("\r\n").count(delim) + 1


def _swallow(lines: list[str], delim: str, width: int, eof: bool, too_long: bool) -> int | None:
    """Index of the cell (on the record's first line) whose opening quote swallowed the
    following lines, or None for a legitimate multi-line cell.

    Signs of a swallow: the file ends inside the quote; the cell is longer than any Excel
    cell; the first line, quotes taken literally, is already a whole row (as many fields as
    the header) and the quoted part of it contains the delimiter; or a line inside the
    cell is itself a whole row."""
    first = lines[0]
    try:
        opened = next(csv.reader([first], delimiter=delim), [])
    except csv.Error:
        opened = []
    col = max(0, len(opened) - 1)
    if eof or too_long:
        return col
    if width >= 2:
        if _plain_fields(first, delim) == width and opened and delim in opened[-1]:
            return col
        if any(_plain_fields(ln, delim) >= width for ln in lines[1:-1]):
            return col
    return None


def _scan_records(src: Path, delim: str, header_lines: int, header_row: int, headers: list[str],
                  limits, out: Path | None) -> _Records:
    """One pass with Python's csv module over the records after the header.

    Gives every record its Excel row (a blank line is a row in Excel; a quoted multi-line
    cell is one row); takes out, as rejects, a line whose quote swallowed the lines after
    it (those lines are then read one by one) and a row with data past the header width or
    more cells than max_columns. With `out`, the kept records are written there (csv
    module quoting, which DuckDB reads exactly) and `ords` count them; without, `ords` are
    the ordinals of the original file's records, which DuckDB read the same way."""
    width = len(headers)
    res = _Records(ords=array("q"), rows=array("q"))
    name = {",": "逗号", "\t": "制表符", ";": "分号", "|": "竖线"}.get(delim, delim)

    def header(i: int) -> str:
        return headers[i] if i < len(headers) and headers[i] else f"第 {i + 1} 列"

    with open(src, "r", encoding="utf-8-sig", newline="") as fh, \
            _field_limit(limits.max_cell_chars), contextlib.ExitStack() as stack:
        writer = None
        if out is not None:
            wfh = stack.enter_context(open(out, "w", encoding="utf-8", newline=""))
            writer = csv.writer(wfh, delimiter=delim, lineterminator="\n")
        for _ in range(header_lines):
            if not fh.readline():
                break
        feed = _Lines(fh)
        reader = csv.reader(feed, delimiter=delim)
        excel = header_row
        while True:
            too_long = False
            try:
                rec = next(reader)
            except StopIteration:
                break
            except csv.Error:                     # a cell past max_cell_chars
                rec, too_long = None, True
            lines, eof = feed.take()
            excel += 1
            if rec is not None and not rec:
                continue                          # blank line: a row in Excel, no record
            if too_long and len(lines) <= 1:
                # one line longer than any Excel cell: DuckDB read it as one record
                res.records += 1
                line = lines[0] if lines else ""
                res.problems.append((excel, "（整行）", _clip(line),
                                     f"单元格超过 {limits.max_cell_chars} 个字符（configs/ingest.yaml 的 "
                                     f"max_cell_chars），本行未导入", "reject"))
                continue
            if len(lines) > 1 or eof or too_long:
                col = _swallow(lines, delim, width, eof, too_long)
                if col is not None:
                    res.swallowed = True
                    tail = ("文件到末尾也没有结束引号" if len(lines) <= 1 else
                            f"读取时把其后 {len(lines) - 1} 行并进了这一格")
                    res.problems.append((
                        excel, header(col), _clip(lines[0].rstrip("\r\n")),
                        f"引号不配对：这一格以英文双引号开头，没有配对的结束引号，{tail}。本行未导入"
                        f"（其后各行已逐行读取），请改正这一格的引号后重新导出本行", "reject"))
                    feed.give_back(lines[1:])
                    continue
            res.records += 1
            if len(rec) > width:
                extra = rec[width:]
                filled = [c for c in extra if c.strip()]
                if len(rec) > limits.max_columns:
                    res.problems.append((excel, f"第 {width + 1} 列起（表头之外）", _clip(delim.join(filled)),
                                         f"本行有 {len(rec)} 格，超过上限 {limits.max_columns} 格（configs/ingest.yaml 的 "
                                         f"max_columns），本行未导入", "reject"))
                    continue
                if filled:
                    res.problems.append((excel, f"第 {width + 1} 列起（表头之外）", _clip(delim.join(extra)),
                                         f"本行有 {len(rec)} 格，比表头（{width} 列）多 {len(extra)} 格，其中 "
                                         f"{len(filled)} 格有内容；可能某格含未加引号的{name}，各列可能错位，"
                                         f"本行未导入", "reject"))
                    continue
                rec = rec[:width]
            if writer is not None:
                writer.writerow(rec)
                res.ords.append(len(res.ords) + 1)
            else:
                res.ords.append(res.records)
            res.rows.append(excel)
    if out is not None:
        res.records = len(res.ords)
    return res


def _attach_rows(con, rec: _Records) -> None:
    """Keep the records listed in rec.ords, in order, with their Excel row `_row`."""
    tbl = pa.table({"_ord": pa.array(np.frombuffer(rec.ords, dtype=np.int64) if len(rec.ords) else [], pa.int64()),
                    "_row": pa.array(np.frombuffer(rec.rows, dtype=np.int64) if len(rec.rows) else [], pa.int64())})
    con.register("_ing_rowmap_arrow", tbl)
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {RAW}_rows AS SELECT r.* EXCLUDE (_ord, {_q(EXTRA)}), m._row FROM "
            f"(SELECT rowid + 1 AS _ord, * FROM {RAW}) r JOIN _ing_rowmap_arrow m USING (_ord) ORDER BY _ord"
        )
    finally:
        con.unregister("_ing_rowmap_arrow")
    con.execute(f"DROP TABLE {RAW}")
    con.execute(f"ALTER TABLE {RAW}_rows RENAME TO {RAW}")


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


_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"')
_DIM_REF = re.compile(rb'<(?:\w+:)?dimension\b[^>]*?\bref="(?:[A-Z]{1,3}[0-9]{1,7}:)?([A-Z]{1,3})([0-9]{1,7})"')


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def guard_xlsx(path: Path, display: str, limits) -> None:
    """Refuse an XLSX before calamine opens it when it would take unbounded memory: calamine
    allocates its whole used range at once (one cell at XFD1048576 is 17 billion cells, an
    abort in Rust, not an exception) and inflates every XML part. Checked: the parts'
    declared sizes and compression ratios, then, streaming, their real inflated size and
    each sheet's <dimension ref> and its right-most, lowest cell reference."""
    max_bytes = limits.xlsx_max_uncompressed_mb << 20
    where = "（configs/ingest.yaml 的 {}）"
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise FileRefused(display, "Excel 文件已损坏或无法读取") from None
    with zf:
        infos = zf.infolist()
        declared = sum(i.file_size for i in infos)
        if declared > max_bytes:
            raise FileRefused(display, f"Excel 文件解压后有 {declared >> 20} MB，超过上限 "
                                       f"{limits.xlsx_max_uncompressed_mb} MB" + where.format("xlsx_max_uncompressed_mb"))
        for i in infos:
            if i.file_size > (50 << 20) and i.file_size > limits.xlsx_max_ratio * max(1, i.compress_size):
                raise FileRefused(display, f"Excel 文件的压缩比为 {i.file_size // max(1, i.compress_size)} 倍，超过上限 "
                                           f"{limits.xlsx_max_ratio:g} 倍" + where.format("xlsx_max_ratio")
                                  + "，可能是“压缩炸弹”")
        inflated = 0
        for i in infos:
            sheet = i.filename.startswith("xl/worksheets/") and i.filename.endswith(".xml")
            if not (sheet or i.filename.endswith("sharedStrings.xml")):
                continue
            max_col = max_row = 0
            carry = b""
            try:
                with zf.open(i) as fh:
                    while True:
                        block = fh.read(1 << 20)
                        if not block:
                            break
                        inflated += len(block)
                        if inflated > max_bytes:
                            raise FileRefused(display, f"Excel 文件解压后超过上限 {limits.xlsx_max_uncompressed_mb} MB"
                                              + where.format("xlsx_max_uncompressed_mb"))
                        if not sheet:
                            continue
                        text = carry + block
                        for rx in (_DIM_REF, _CELL_REF):
                            for m in rx.finditer(text):
                                max_col = max(max_col, _col_number(m.group(1)))
                                max_row = max(max_row, int(m.group(2)))
                        carry = text[-256:]
                        if max_col * max_row > limits.xlsx_max_cells:
                            raise FileRefused(
                                display, f"工作表的范围达 {max_row} 行 × {max_col} 列（{max_col * max_row} 格），超过上限 "
                                         f"{limits.xlsx_max_cells} 格" + where.format("xlsx_max_cells")
                                         + "；请删去远处的空单元格或只导出需要的区域")
            except (zipfile.BadZipFile, OSError, EOFError, zlib_error):
                raise FileRefused(display, "Excel 文件已损坏或无法读取") from None


def read_excel_table(con: duckdb.DuckDBPyConnection, path: Path, cfg: SourceConfig, display: str, kind: str) -> RawTable:
    from python_calamine import CalamineWorkbook

    if kind == "xlsx":
        guard_xlsx(path, display, cfg.limits)

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
        mapping=mapping, rows=len(body), has_row_column=True, notes=[], title_rows=_titles(head[:hi]),
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
