"""Write source tables the way the offices export them (DESIGN §3), and log the mess.

A `Table` is a list of columns (header as written + values) plus layout: title rows above
the header, blank rows inside, a 合计 row at the bottom. Writers return the Excel row of
every data row so the deliberately broken cells can be listed in truth/mess.csv.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

XL_EPOCH = dt.datetime(1899, 12, 30)


def fmt_date(d, style: str) -> str:
    if d is None or (isinstance(d, float) and np.isnan(d)):
        return ""
    if isinstance(d, dt.datetime):
        d = d.date()
    if style == "iso":
        return d.isoformat()
    if style == "slash":
        return f"{d.year}/{d.month}/{d.day}"
    if style == "cn":
        return f"{d.year}年{d.month}月{d.day}日"
    if style == "compact":
        return f"{d:%Y%m%d}"
    raise ValueError(style)


def fmt_ts(t: dt.datetime, style: str) -> str:
    if style == "iso":
        return f"{t:%Y-%m-%d %H:%M:%S}"
    if style == "slash":
        return f"{t.year}/{t.month}/{t.day} {t.hour}:{t.minute:02d}"
    if style == "cn":
        return f"{t.year}年{t.month}月{t.day}日 {t.hour:02d}:{t.minute:02d}"
    raise ValueError(style)


def fmt_num(x, sep: bool = False) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return ""
    x = float(x)
    if x == int(x) and abs(x) < 1e15:
        s = f"{int(x):,}" if sep else str(int(x))
    else:
        s = f"{x:,.2f}".rstrip("0").rstrip(".") if sep else f"{x:.2f}".rstrip("0").rstrip(".")
    return s


@dataclass
class Table:
    source: str
    file: str
    headers: list[str]
    cols: list[list]                      # values (str, or typed for xlsx: date/datetime/float)
    kinds: list[str]                      # per column: str | date | ts | num
    titles: list[str] = field(default_factory=list)
    blank_before: list[int] = field(default_factory=list)   # data indexes that get a blank row above
    total: dict | None = None             # header → value written in the 合计 row
    mess: list[tuple] = field(default_factory=list)          # (data index, header, kind, severity)
    fmt: str = "csv"                      # csv | xlsx
    encoding: str = "utf-8"               # utf-8 | utf-8-sig | gbk
    title_fill: bool = True               # pad title rows with commas (Excel's CSV export)

    @property
    def n(self) -> int:
        return len(self.cols[0]) if self.cols else 0

    def excel_rows(self) -> np.ndarray:
        base = len(self.titles) + 1                     # header row number
        i = np.arange(self.n)
        shift = np.searchsorted(np.array(sorted(self.blank_before), dtype=np.int64), i, side="right")
        return base + 1 + i + shift

    def set(self, idx: int, header: str, value, kind: str, severity: str = "reject") -> None:
        j = self.headers.index(header)
        self.cols[j][idx] = value
        self.mess.append((idx, header, kind, severity, value))


def write_table(t: Table, folder: Path) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / t.file
    if t.fmt == "xlsx":
        _write_xlsx(t, path)
    else:
        _write_csv(t, path)
    rows = t.excel_rows()
    info = {"source": t.source, "file": t.file, "format": t.fmt,
            "encoding": t.encoding if t.fmt == "csv" else "",
            "title_rows": len(t.titles), "header_row": len(t.titles) + 1, "data_rows": t.n,
            "blank_rows": len(t.blank_before),
            "total_row": int(rows[-1] + 1) if (t.total is not None and t.n) else ""}
    mess = [{"source": t.source, "file": t.file, "row": int(rows[i]), "column": h, "kind": k,
             "severity": s, "value": "" if v is None else str(v)} for i, h, k, s, v in t.mess]
    return {"info": info, "mess": mess}


def _cell_str(v, kind: str) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, float) and np.isnan(v):
        return ""
    if isinstance(v, dt.datetime):
        return fmt_ts(v, "iso")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, (float, np.floating)):
        return fmt_num(v)
    return str(v)


def _write_csv(t: Table, path: Path) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    ncol = len(t.headers)
    for s in t.titles:
        w.writerow([s] + ([""] * (ncol - 1) if t.title_fill else []))
    w.writerow(t.headers)
    blanks = sorted(t.blank_before)
    bi = 0
    cols = t.cols
    kinds = t.kinds
    for i in range(t.n):
        while bi < len(blanks) and blanks[bi] == i:
            w.writerow([""] * ncol if bi % 2 == 0 else [])
            bi += 1
        w.writerow([_cell_str(cols[j][i], kinds[j]) for j in range(ncol)])
    if t.total is not None:
        w.writerow([t.total.get(h, "") for h in t.headers])
    data = buf.getvalue()
    if t.encoding == "gbk":
        path.write_bytes(data.encode("gbk"))
    else:
        path.write_bytes(data.encode(t.encoding))


def _write_xlsx(t: Table, path: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                         "strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"created": dt.datetime(2021, 7, 1, 8, 30), "author": "", "title": t.titles[0] if t.titles else ""})
    ws = wb.add_worksheet("Sheet1")
    bold = wb.add_format({"bold": True})
    fdate = wb.add_format({"num_format": "yyyy/m/d"})
    fts = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    r = 0
    for s in t.titles:
        ws.write_string(r, 0, s, bold)
        r += 1
    for j, h in enumerate(t.headers):
        ws.write_string(r, j, h, bold)
    r += 1
    blanks = set(t.blank_before)
    for i in range(t.n):
        if i in blanks:
            r += sum(1 for b in t.blank_before if b == i)
        for j, col in enumerate(t.cols):
            v = col[i]
            if v is None or (isinstance(v, float) and np.isnan(v)) or v == "":
                continue
            if isinstance(v, str):
                ws.write_string(r, j, v)
            elif isinstance(v, dt.datetime):
                ws.write_number(r, j, (v - XL_EPOCH).total_seconds() / 86400.0, fts)
            elif isinstance(v, dt.date):
                ws.write_number(r, j, float((v - XL_EPOCH.date()).days), fdate)
            else:
                ws.write_number(r, j, float(v))
        r += 1
    if t.total is not None:
        for j, h in enumerate(t.headers):
            v = t.total.get(h, "")
            if isinstance(v, (int, float)):
                ws.write_number(r, j, v)
            elif v:
                ws.write_string(r, j, v)
    wb.close()


# ---------------------------------------------------------------------------- big CSVs


def write_big_csv(path: Path, titles: list[str], headers: list[str], columns: dict,
                  encoding: str = "utf-8", ncol_pad: bool = True, total: list | None = None,
                  append: bool = False) -> None:
    """Write a large table (columns: name → pyarrow-compatible array) quickly.

    The header and titles are written by hand; the body by pyarrow's CSV writer.
    """
    tbl = pa.table(columns)
    quoting = "none"
    for col in tbl.columns:
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            if pc.any(pc.match_substring_regex(col, '[,"\\n]')).as_py():
                quoting = "needed"
                break
    body = io.BytesIO()
    pacsv.write_csv(tbl, body, pacsv.WriteOptions(include_header=False, quoting_style=quoting))
    head = "".join(s + ("," * (len(headers) - 1) if ncol_pad else "") + "\r\n" for s in titles)
    head += ",".join(headers) + "\n"
    tail = (",".join(total) + "\n") if total else ""
    raw = body.getvalue()
    if encoding == "gbk":
        out = (head if not append else "").encode("gbk") + raw.decode("utf-8").encode("gbk") + tail.encode("gbk")
    else:
        pre = b"\xef\xbb\xbf" if encoding == "utf-8-sig" and not append else b""
        out = pre + ((head.encode("utf-8")) if not append else b"") + raw + tail.encode("utf-8")
    with open(path, "ab" if append else "wb") as fh:
        fh.write(out)
