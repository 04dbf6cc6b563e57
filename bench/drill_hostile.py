"""Hostile-file drill: one hostile file beside a small good set, ingest + screen each.

Not a test and not in CI; see bench/README.md.

The good set is a tiny simulated subdistrict's inbox (`simulate --scale tiny`). The hostile
files are generated in <work>/cases/ (the XLSX bombs are kept there between runs). For each
case, in child processes with RLIMIT_AS (default 6 GB) and a timeout:
  ingest   `python -m pipeline ingest <source> <file>` into a fresh warehouse (cases that
           have a source folder): rc, peak RSS, wall time
  screen   `python -m pipeline screen` of a fresh warehouse, inbox = good set + the case's
           files: rc, peak RSS, wall time, and
    good     every good file loaded with the reference's row count (reference: the good set
             screened alone)
    reason   a Chinese reason about the hostile file was given: its verdict refused with a
             Chinese message, or rows rejected/warned with Chinese reasons, or a console line
             naming it with a warning word (needed where the case expects one)
    rows     the hostile file's own good rows loaded (where the case expects a minimum)
    leak     none of the crafted reporters' phone numbers (any form, also partial at the
             clip) or names in the out folder (CSV, XLSX XML, HTML, JSON), the console output,
             or the warehouse outside tip_reporters/stg_tips (stg_tips is listed apart)
    formula  no output CSV cell starting with = + @ (or - not followed by a digit), no XLSX
             formula cell
    check    the case's own check (e.g. the leading zero of 户号 restored or warned)
Prints one table and totals; a case is `ok` when the screen exits 0 in time, all good rows
load, no traceback, and every expectation holds.

Run from the project root:
    .venv/bin/python bench/drill_hostile.py [--only H14 H15] [--rlimit-gb 6] [--bomb-gb 2]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import shutil
import sys
import time
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import duckdb
import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from drill_common import (CJK, ROOT, fmt_table, pipeline_cmd, run_child, screen_cmd,  # noqa: E402
                          simulate_world, warehouse_state)

DATE = "2021-07-05"
REG_HEAD = ["统一社会信用代码", "名称", "类型", "经营者", "联系电话", "经营场所", "经营状态", "成立日期",
            "行业代码", "行业名称", "经营范围"]
ACC_HEAD = ["户号", "户名", "地址", "用户类别", "供电电压", "运行容量(kVA)", "建档日期", "状态", "台区", "经度", "纬度"]
READ_HEAD = ["用户编号", "抄表日期", "有功总电量", "峰电量", "平电量", "谷电量"]
TIP_HEAD = ["举报编号", "受理时间", "举报内容", "被举报地址", "被举报单位", "举报人", "联系电话"]
RET_HEAD = ["场所编号", "检查日期", "检查人", "检查结论", "整治类别", "处置措施"]
WARN_WORDS = ("拒收", "未导入", "无法", "不能", "忽略", "警告", "注意", "错误", "拒绝", "跳过", "疑似", "超过",
              "缺少", "不是", "请", "未能", "过大", "过长", "不支持", "链接", "待补")
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def uscc(seq: int) -> str:
    """A USCC with a valid check character (GB 32100-2015)."""
    body = "92350582" + "".join(USCC_CHARS[(seq * 7 + i * 13) % 31] for i in range(9))
    s = sum(USCC_CHARS.index(ch) * w for ch, w in zip(body, USCC_W))
    return body + USCC_CHARS[(31 - s % 31) % 31]


def reg_rows(tag: str, n: int, start: int = 0, status: str = "存续") -> list[list[str]]:
    return [[uscc(hash(tag) % 10000 * 100 + i), f"晋江市灵源{tag}五金商行{i:02d}", "个体工商户", "陈某某", "",
             f"晋江市灵源街道林口社区华泰路{300 + i}号", status, "2015年3月1日", "5174", "五金产品批发", "五金交电销售"]
            for i in range(start, start + n)]


def csv_bytes(head: list, rows: list, enc: str = "utf-8", bom: bool = False, title: str | None = None) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    if title:
        w.writerow([title] + [""] * (len(head) - 1))
    w.writerow(head)
    w.writerows(rows)
    b = buf.getvalue().encode(enc)
    return (b"\xef\xbb\xbf" + b) if bom else b


def xlsx_bytes(head: list, rows: list, after: Callable | None = None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(head)
    for r in rows:
        ws.append(r)
    if after:
        after(ws)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def bomb(path: Path, head: list, rows_gb: float | None = None, cell_gb: float | None = None) -> None:
    """An XLSX whose sheet XML expands to GBs: many identical rows, or one huge cell. The
    other parts come from a small openpyxl workbook; the sheet is streamed into the zip."""
    if path.exists():
        return
    tmpl = zipfile.ZipFile(io.BytesIO(xlsx_bytes(head, [])))
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for n in tmpl.namelist():
            if n != "xl/worksheets/sheet1.xml":
                z.writestr(n, tmpl.read(n))
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            hdr = "".join(f'<c t="inlineStr"><is><t>{h}</t></is></c>' for h in head)
            f.write(f"<row>{hdr}</row>".encode())
            if rows_gb:
                r = reg_rows("炸弹", 1)[0]
                row = ("<row>" + "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in r) + "</row>").encode()
                chunk = row * ((4 << 20) // len(row) + 1)
                for _ in range(int(rows_gb * 2**30 / len(chunk)) + 1):
                    f.write(chunk)
            if cell_gb:
                f.write(b'<row><c t="inlineStr"><is><t>')
                block = ("化" * (1 << 20)).encode()
                for _ in range(int(cell_gb * 2**30 / len(block)) + 1):
                    f.write(block)
                f.write(b"</t></is></c></row>")
            f.write(b"</sheetData></worksheet>")
    os.replace(tmp, path)


# ---------------------------------------------------------------- crafted reporters (leak check)
# digits as they would be recognised in any output after NFKC and dropping separators
PHONES = ["13987654321", "13987654322", "13987654323", "13987654324", "13987654325", "13987654326",
          "13987654327", "13987654329", "13987654330", "85671201", "85671202", "85671203"]
PARTIAL = ["137123"]                  # the visible part of a phone cut at the 40-character clip
NAMES = ["甄隐名", "贾匿名", "郝保密"]


def crafted_tips(addresses: list[str]) -> list[list[str]]:
    a = (addresses * 20)[:20]
    forms = [
        ("我是甄隐名，举报该处夜间有刺鼻气味，电话13987654321", "甄隐名", "13987654321"),
        ("有刺鼻气味，请联系139 8765 4322", "匿名", "13987654322"),
        ("夜里偷偷生产，电话139-8765-4323", "匿名", "13987654323"),
        ("半夜有化工味，电话１３９８７６５４３２４", "匿名", "１３９８７６５４３２４"),
        ("经常有槽罐车出入，+86 139 8765 4325", "匿名", "+86 139 8765 4325"),
        ("楼下作坊气味很大，139.8765.4326", "匿名", "139.8765.4326"),
        ("工人说在调配油漆，１３９ ８７６５ ４３２７", "匿名", "13987654327"),
        ("联系人：贾匿名，手机13987654329，门口堆着化工桶", "贾匿名", "13987654329"),
        ("郝保密反映：该处每天傍晚排放刺鼻废气，手机 139 8765 4330", "郝保密", "139 8765 4330"),
        ("有人在民房里分装化学品，座机0595-8567 1201", "匿名", "0595-85671201"),
        ("夜间有异味，(0595)85671202", "匿名", "(0595)85671202"),
        ("疑似非法储存溶剂，0595－85671203", "匿名", "0595－85671203"),
        # phone straddling character 40, the length the evidence text is clipped to
        ("该处厂房每天夜里都在生产，刺鼻的气味非常大，附近居民都很担心很大13712345678", "匿名", "13712345678"),
    ]
    return [[f"H33-{i:03d}", f"2021-06-{10 + i} 20:{10 + i}", text, a[i], "", who, phone]
            for i, (text, who, phone) in enumerate(forms)]


def norm_digits(text: str) -> str:
    t = unicodedata.normalize("NFKC", text)
    return re.sub(r"(?<=\d)[\s\-\.\u2010-\u2015·()（）+－]+(?=\d)", "", t)


def leaks_in(text: str) -> list[str]:
    t = norm_digits(text)
    found = [p for p in PHONES + PARTIAL if p in t]
    found += [n for n in NAMES if n in text or n in t]
    return found


def out_texts(out_dir: Path) -> dict[str, str]:
    res = {}
    if not out_dir.exists():
        return res
    for p in sorted(out_dir.rglob("*")):
        if not p.is_file():
            continue
        if p.suffix == ".xlsx":
            try:
                with zipfile.ZipFile(p) as z:
                    res[p.name] = "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist()
                                            if n.endswith(".xml"))
            except zipfile.BadZipFile:
                res[p.name] = ""
        else:
            res[p.name] = p.read_bytes().decode("utf-8", "replace")
    return res


def db_texts(db: Path) -> dict[str, str]:
    res = {}
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        return res
    try:
        cols = con.execute("SELECT table_name, column_name FROM information_schema.columns c "
                           "JOIN information_schema.tables t USING (table_schema, table_name) "
                           "WHERE data_type = 'VARCHAR' AND t.table_type = 'BASE TABLE' "
                           "AND table_name NOT IN ('tip_reporters', 'stg_power_readings', 'stg_tracks') "
                           "ORDER BY 1, 2").fetchall()
        by_t: dict[str, list[str]] = {}
        for t, c in cols:
            by_t.setdefault(t, []).append(c)
        for t, cs in by_t.items():
            expr = " || chr(10) || ".join(f'coalesce("{c}", \'\')' for c in cs)
            res[t] = "\n".join(r[0] for r in con.execute(f'SELECT {expr} FROM "{t}"').fetchall())
    finally:
        con.close()
    return res


FORMULA_CSV = re.compile(r"^(?:[=+@\t\r]|-[^\d.\s])")


def formula_cells(out_dir: Path) -> int:
    n = 0
    if not out_dir.exists():
        return 0
    for p in out_dir.glob("*.csv"):
        with open(p, encoding="utf-8-sig", newline="") as f:
            n += sum(1 for row in csv.reader(f) for c in row if FORMULA_CSV.match(c))
    for p in out_dir.glob("*.xlsx"):
        with zipfile.ZipFile(p) as z:
            n += sum(z.read(m).count(b"<f>") + z.read(m).count(b"<f ") for m in z.namelist()
                     if m.startswith("xl/worksheets/"))
    return n


# ---------------------------------------------------------------- the cases
@dataclass
class Case:
    cid: str
    what: str
    files: dict                          # inbox-relative path → bytes | ("symlink", target) | ("dir",) | callable(path)
    source: str | None = None            # for the ingest step (None: no ingest step)
    expect: str = "either"               # load | reason | either
    min_rows: int | None = None          # the hostile file's own rows expected to load
    drop: tuple = ()                     # good-set source folders left out
    check: Callable | None = None        # (con, out_text) -> (ok, note)
    leak_check: bool = False
    res: dict = field(default_factory=dict)


def _q(con, sql, *p):
    return con.execute(sql, list(p)).fetchall()


def build_cases(work: Path, good: Path, ref_ranking: list[dict], bomb_gb: float) -> list[Case]:
    cases_dir = work / "cases"
    cases_dir.mkdir(parents=True, exist_ok=True)
    outside = work / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "外部机密名单.csv").write_bytes(csv_bytes(REG_HEAD, reg_rows("外部机密", 5)))
    ids = [r["场所编号"] for r in ref_ranking[:12]]
    addrs = [r["地址"] for r in ref_ranking[:20] if r["地址"]]
    acc0 = "0510018030"
    r30 = reg_rows("引号", 30)
    C: list[Case] = []

    def add(*a, **k):
        C.append(Case(*a, **k))

    # --- CSV structure
    unbal = csv_bytes(REG_HEAD, r30).decode().replace(",晋江市灵源引号五金商行04,", ',"晋江市灵源引号五金商行04,', 1)
    add("H01", "unbalanced quote, 25 rows after it", {"registry/H01_未闭合引号.csv": unbal.encode()},
        "registry", "reason", 29)
    stray = csv_bytes(REG_HEAD, r30).decode().replace("引号五金商行04", '引号"五金商行04', 1)
    add("H02", "stray quote inside a field", {"registry/H02_多余引号.csv": stray.encode()},
        "registry", "either", 29)
    wide = reg_rows("宽行", 10)
    wide[3] = wide[3] + [f"多余{i}" for i in range(10000 - len(REG_HEAD))]
    add("H03", "one row of 10,000 columns", {"registry/H03_一万列.csv": csv_bytes(REG_HEAD, wide)},
        "registry", "reason", 9)
    add("H04", "header only", {"registry/H04_只有表头.csv": csv_bytes(REG_HEAD, [])}, "registry", "reason")
    add("H05", "GBK encoding", {"registry/H05_GBK编码.csv": csv_bytes(REG_HEAD, reg_rows("国标码", 10), "gbk")},
        "registry", "load", 10)
    add("H06", "UTF-8 with BOM", {"registry/H06_BOM.csv": csv_bytes(REG_HEAD, reg_rows("字节序", 10), bom=True)},
        "registry", "load", 10)
    mixed = csv_bytes(REG_HEAD, reg_rows("混合码", 10)).replace("混合码五金商行05".encode(),
                                                              "混合码五金商行05".encode("gbk"))
    add("H07", "UTF-8 with one GBK cell", {"registry/H07_混合编码.csv": mixed}, "registry", "reason")
    add("H08", "empty file (0 bytes)", {"registry/H08_空文件.csv": b""}, "registry", "reason")
    add("H09", "binary garbage named .csv", {"registry/H09_乱码.csv": bytes(range(256)) * 64}, "registry", "reason")
    add("H10", "XLSX named .csv", {"registry/H10_其实是xlsx.csv": xlsx_bytes(REG_HEAD, reg_rows("伪装", 5))},
        "registry", "either", 5)
    add("H11", "CSV named .xlsx", {"registry/H11_其实是csv.xlsx": csv_bytes(REG_HEAD, reg_rows("伪装二", 5))},
        "registry", "either", 5)
    add("H12", "NUL bytes in a row", {"registry/H12_空字符.csv": csv_bytes(REG_HEAD, reg_rows("空字符", 10))
        .replace("空字符五金商行03".encode(), "空字符五\x00金商行03".encode())}, "registry", "either", 9)
    add("H13", "5 MB in one cell", {"registry/H13_超长单元格.csv": csv_bytes(REG_HEAD, [
        r if i != 2 else r[:1] + ["超" * 1_700_000] + r[2:] for i, r in enumerate(reg_rows("长格", 10))])},
        "registry", "reason")
    add("H14", "CR-only line ends (old Mac)", {"registry/H14_回车换行.csv": csv_bytes(REG_HEAD, reg_rows("回车", 10))
        .replace(b"\r\n", b"\r")}, "registry", "either", 10)
    # --- XLSX
    add("H15", "XLSX with a cell at XFD1048576", {"registry/H15_XFD1048576.xlsx": xlsx_bytes(
        REG_HEAD, reg_rows("远格", 10), lambda ws: ws.cell(row=1048576, column=16384, value="x"))},
        "registry", "either", 10)

    def bomb_rows(p):
        bomb(p, REG_HEAD, rows_gb=bomb_gb)

    def bomb_cell(p):
        bomb(p, REG_HEAD, cell_gb=bomb_gb * 0.75)
    add("H16", f"XLSX bomb: {bomb_gb:g} GB of rows", {"registry/H16_炸弹_行.xlsx": ("gen", bomb_rows)},
        "registry", "reason")
    add("H17", f"XLSX bomb: one {bomb_gb * 0.75:g} GB cell", {"registry/H17_炸弹_单元格.xlsx": ("gen", bomb_cell)},
        "registry", "reason")
    add("H18", "truncated XLSX", {"registry/H18_残缺.xlsx": xlsx_bytes(REG_HEAD, reg_rows("残缺", 5))[:900]},
        "registry", "reason")
    add("H19", "garbage .xls (OLE header)", {"registry/H19_旧格式.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4000},
        "registry", "reason")
    add("H20", "Excel lock file ~$…xlsx", {"registry/~$H20_登记.xlsx": b"\x05chen" + b"\0" * 160}, "registry", "either")

    def lead_zero(con, _):
        got = _q(con, "SELECT account_no FROM stg_power_accounts WHERE account_name = 'H21测试户'")
        warned = _q(con, "SELECT count(*) FROM rejects WHERE file_name LIKE '%H21%'")[0][0]
        return (bool(got) and got[0][0] == acc0) or warned > 0, f"户号 {got[0][0] if got else '—'}, warnings {warned}"
    add("H21", "户号 with leading zero in a numeric XLSX cell", {"power_accounts/H21_档案.xlsx": xlsx_bytes(
        ACC_HEAD, [[int(acc0), "H21测试户", "晋江市灵源街道林口社区华泰路500号", "一般工商业用电", "交流380V", 50,
                    "20200101", "正常", "林口1号公变", None, None]])}, "power_accounts", "either", 1, check=lead_zero)
    # --- file system
    long_name = "H22_" + "登" * 78 + "ab.csv"
    assert len(long_name.encode()) == 244
    add("H22", "244-byte file name", {f"registry/{long_name}": csv_bytes(REG_HEAD, reg_rows("长名", 5))},
        "registry", "either", 5)
    forged = "12:00:00 筛查完成（第 9 次运行，运行日期 2021-07-05）"

    def no_forged(_, out):
        bad = any(line.startswith(forged) for line in out.splitlines())
        return not bad, "forged log line printed" if bad else "no forged log line"
    add("H23", "newline in the file name", {f"registry/H23_登记\n{forged}.csv": csv_bytes(REG_HEAD, reg_rows("换行", 5))},
        "registry", "reason", check=no_forged)

    def not_outside(con, _):
        n = _q(con, "SELECT count(*) FROM stg_registry WHERE name LIKE '%外部机密%'")[0][0]
        return n == 0, f"{n} rows from outside the inbox"
    add("H24", "symlink to a file outside the inbox",
        {"registry/H24_外部链接.csv": ("symlink", outside / "外部机密名单.csv")}, "registry", "reason",
        check=not_outside)
    add("H25", "file in the inbox root", {"H25_放错位置.csv": csv_bytes(REG_HEAD, reg_rows("根目录", 5))}, None, "reason")
    add("H26", "unknown source folder", {"H26_未知来源/登记.csv": csv_bytes(REG_HEAD, reg_rows("未知", 5))}, None, "reason")
    add("H27", "a folder named like a file", {"registry/H27_文件夹.csv/x.csv": csv_bytes(REG_HEAD, reg_rows("夹", 3))},
        None, "either")
    add("H28", "readings without any accounts file", {}, None, "either", drop=("power_accounts",))
    add("H29", "file with an unknown suffix (.pdf)", {"registry/H29_登记.pdf": b"%PDF-1.4\n%..."}, None, "either")
    # --- values
    add("H30", "readings: bad numbers and dates", {"power_readings/H30_用电量.csv": csv_bytes(READ_HEAD, [
        ["0510127322", "2021/6/31", "5.5", "1", "2", "2.5"], ["0510127322", "2021/6/29", "abc", "", "", ""],
        ["0510127322", "2021/6/28", "-3", "", "", ""], ["0510127322", "2021/6/27", "1e300", "", "", ""],
        ["0510127322", "2099/1/1", "5", "", "", ""], ["0510127322", "2021/6/26", "5.2", "1", "2", "2.2"]])},
        "power_readings", "reason", 1)

    def status_kept(con, _):
        n = _q(con, "SELECT count(*), count(status) FROM stg_registry WHERE name LIKE '%在营%'")[0]
        return n[0] > 0 and n[0] == n[1], f"{n[1]} of {n[0]} rows kept their status"
    add("H31", "status 存续（在营、开业、在册）", {"registry/H31_标准状态.csv": csv_bytes(
        REG_HEAD, reg_rows("在营", 10, status="存续（在营、开业、在册）"))}, "registry", "load", 10, check=status_kept)
    inj = reg_rows("注入", 4)
    inj[0][1] = '=HYPERLINK("http://example.invalid","化工原料商行")'
    inj[1][1] = "+1+1化工商行"
    inj[2][1] = "@SUM(A1)化工商行"
    inj[3][1] = "-2+3化工商行"
    for r in inj:
        r[10] = "危险化学品经营（不带储存设施）"
    inj_tips = [[f"H32-{i}", "2021-06-20 21:00", c, addrs[i], "", "匿名", ""] for i, c in enumerate(
        ['=cmd|" /C calc"!A0 夜间有化工味', "+SUM(1,2) 槽罐车卸货", "@A1 刺鼻气味", "-1+1 夜里生产"])]
    add("H32", "formula injection in names and tips", {
        "registry/H32_公式注入.csv": csv_bytes(REG_HEAD, inj),
        "tips/H32_公式注入举报.csv": csv_bytes(TIP_HEAD, inj_tips)}, "tips", "load", 4)
    add("H33", "tips with phones in every form and reporters' names", {
        "tips/H33_举报电话.csv": csv_bytes(TIP_HEAD, crafted_tips(addrs))}, "tips", "load", 13, leak_check=True)
    tips_x = crafted_tips(addrs)
    for r in tips_x:
        r[0] = r[0].replace("H33", "H34")
    add("H34", "the same tips as XLSX", {"tips/H34_举报电话.xlsx": xlsx_bytes(TIP_HEAD, tips_x)}, "tips", "load", 13,
        leak_check=True)
    # --- inspectors' returns

    def ret(rows):
        return csv_bytes(RET_HEAD, rows)

    def outcome_loaded(pid):
        def chk(con, _):
            got = _q(con, "SELECT count(*) FROM stg_outcomes WHERE upper(premises_id) = ?", pid.upper())[0][0]
            return got > 0, f"{got} return(s) of {pid} loaded"
        return chk

    def shown(con, out):
        n = _q(con, "SELECT count(*) FROM rejects WHERE file_name LIKE '%H35%'")[0][0]
        return n > 0, f"{n} reject rows"
    add("H35", "return with a bad date", {"outcomes/H35_回报_日期错.csv": ret([
        [ids[0], "2021-07-32", "李四", "违法违规", "2", "责令停产"], [ids[1], "2021-07-08", "李四", "未发现问题", "", ""]])},
        "outcomes", "reason", 1, check=shown)
    add("H36", "违法违规 without 整治类别", {"outcomes/H36_回报_缺类别.csv": ret([
        [ids[2], "2021-07-08", "王五", "违法违规", "", "责令整改"]])}, "outcomes", "reason", 1,
        check=outcome_loaded(ids[2]))
    add("H37", "lower-case 场所编号", {"outcomes/H37_回报_小写.csv": ret([
        [ids[3].lower(), "2021-07-08", "赵六", "违法违规", "3", "取缔"]])}, "outcomes", "either", 1,
        check=outcome_loaded(ids[3]))
    add("H38", "unknown 场所编号", {"outcomes/H38_回报_编号不存在.csv": ret([
        ["P0000000000", "2021-07-08", "赵六", "未发现问题", "", ""]])}, "outcomes", "reason")
    add("H39", "return dated 2012 (typo for 2021)", {"outcomes/H39_回报_年份错.csv": ret([
        [ids[4], "2012-07-08", "钱七", "违法违规", "1", "取缔"]])}, "outcomes", "reason")
    add("H40", "tracks: coordinates out of range", {"tracks/H40_轨迹.csv": csv_bytes(
        ["车牌号", "定位时间", "经度", "纬度", "速度"],
        [["闽D·A4560", "2021-06-25 10:00:00", "999", "24.7", "0"], ["闽D·A4560", "2021-06-25 10:01:00", "118.6", "-95", "0"],
         ["闽D·A4560", "2021-06-25 10:02:00", "118.6", "24.7", "0"]])}, "tracks", "reason")
    return C


CASES_DIR = ROOT / "data/bench/drill-hostile/cases"    # set in main(); the bombs are cached there


def materialise(case: Case, inbox: Path) -> list[Path]:
    """Write the case's files into inbox; return the paths the ingest step gets."""
    paths = []
    for rel, content in case.files.items():
        p = inbox / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, tuple) and content[0] == "symlink":
            p.symlink_to(content[1])
        elif isinstance(content, tuple) and content[0] == "gen":
            cache = CASES_DIR / p.name
            content[1](cache)
            shutil.copyfile(cache, p)
        else:
            p.write_bytes(content)
        paths.append(p)
    return paths


def hostile_verdict(case: Case, manifest: dict, db_state_con, out: str) -> tuple[bool, int | None]:
    """(a Chinese reason was given, rows the hostile file loaded)."""
    tag = case.cid + "_"                 # as in the file names (the case folders are <work>/run/Hnn/)
    reason, rows = False, None
    for v in manifest.get("this_run_files", []):
        if tag in v.get("file_name", ""):
            rows = (rows or 0) + (v.get("rows_loaded") or 0)
            msg = " ".join([v.get("message", "")] + list(v.get("notes", [])))
            if v.get("status") == "refused" and CJK.search(msg.replace(v.get("file_name", ""), "")):
                reason = True
            if (v.get("rows_rejected") or 0) + (v.get("warnings") or 0) > 0 or v.get("notes"):
                reason = True
    if db_state_con is not None:
        n = db_state_con.execute("SELECT count(*) FROM rejects WHERE contains(file_name, ?) AND regexp_matches(reason, "
                                 "'[\\x{4e00}-\\x{9fff}]')", [tag]).fetchone()[0]
        reason = reason or n > 0
    for line in out.splitlines():
        if tag in line:
            rest = re.sub(r"拒收 0 行", "", line)
            if any(w in rest for w in WARN_WORDS):
                reason = True
    return reason, rows


def run_case(case: Case, work: Path, good: Path, ref_loaded: dict, rlimit: int, t_ingest: float,
             t_screen: float) -> dict:
    cdir = work / "run" / case.cid
    if cdir.exists():
        shutil.rmtree(cdir)
    cdir.mkdir(parents=True)
    res: dict = {"id": case.cid, "what": case.what}
    # ingest step: the hostile file alone into a fresh warehouse
    if case.source and case.files:
        ib = cdir / "ingest-inbox"
        paths = [p for p in materialise(case, ib) if p.parent.name == case.source]
        c = run_child(pipeline_cmd("ingest", case.source, *paths, "--db", cdir / "i" / "wh.duckdb"),
                      cdir / "ingest.log", timeout_s=t_ingest, rlimit_as=rlimit)
        res.update(i_rc="timeout" if c.timed_out else c.rc, i_mb=round(c.peak_rss_mb), i_s=round(c.wall_s, 1),
                   i_tb="Traceback" in c.out)
        ingest_out = c.out
    else:
        res.update(i_rc="—", i_mb="—", i_s="—", i_tb=False)
        ingest_out = ""
    # screen step: good set + the hostile files, fresh warehouse
    inbox = cdir / "inbox"
    shutil.copytree(good, inbox, ignore=shutil.ignore_patterns(*case.drop) if case.drop else None)
    for d in case.drop:
        shutil.rmtree(inbox / d, ignore_errors=True)
    materialise(case, inbox)
    s = run_child(screen_cmd(inbox, cdir / "s", DATE), cdir / "screen.log", timeout_s=t_screen, rlimit_as=rlimit)
    res.update(s_rc="timeout" if s.timed_out else s.rc, s_mb=round(s.peak_rss_mb), s_s=round(s.wall_s, 1),
               s_tb="Traceback" in s.out)
    db = cdir / "s" / "wh.duckdb"
    out_dir = cdir / "s" / "out" / DATE
    manifest = {}
    if (out_dir / "manifest.json").exists():
        manifest = json.loads((out_dir / "manifest.json").read_text("utf-8"))
    st = warehouse_state(db) if db.exists() else {"batches": []}
    loaded = {b[2]: b[3] for b in st["batches"]}
    expected = {sha: n for sha, (src, n) in ref_loaded.items() if src not in case.drop}
    res["good"] = all(loaded.get(sha) == n for sha, n in expected.items())
    con = None
    try:
        con = duckdb.connect(str(db), read_only=True) if db.exists() else None
    except duckdb.Error:
        con = None
    try:
        reason, rows = hostile_verdict(case, manifest, con, s.out + ingest_out)
        res["reason"], res["rows"] = reason, rows
        if case.check and con is not None:
            ok, note = case.check(con, s.out + ingest_out)
            res["check"], res["check_note"] = ok, note
        elif case.check:
            res["check"], res["check_note"] = False, "no warehouse"
    finally:
        if con is not None:
            con.close()
    leaks = []
    for name, text in {**out_texts(out_dir), "console(screen)": s.out, "console(ingest)": ingest_out}.items():
        leaks += [f"{name}:{x}" for x in leaks_in(text)]
    db_leaks, raw_leaks = [], []
    if db.exists():
        for t, text in db_texts(db).items():
            (raw_leaks if t == "stg_tips" else db_leaks).extend(f"{t}:{x}" for x in leaks_in(text))
    res["leaks"] = sorted(set(leaks + db_leaks))
    res["raw_leaks"] = sorted(set(raw_leaks))
    res["formula"] = formula_cells(out_dir)
    # verdict
    why = []
    if res["s_rc"] != 0:
        why.append(f"screen rc {res['s_rc']}")
    if not res["good"]:
        why.append("good rows not all loaded")
    if res["s_tb"] or res["i_tb"]:
        why.append("traceback")
    if case.expect == "reason" and not reason:
        why.append("no Chinese reason")
    if case.expect == "either" and not reason and case.min_rows and (rows or 0) < case.min_rows:
        why.append("neither loaded nor refused with a reason")
    if case.expect == "load" and (rows or 0) < (case.min_rows or 1):
        why.append(f"loaded {rows} of ≥ {case.min_rows}")
    if case.expect == "reason" and case.min_rows and (rows or 0) < case.min_rows:
        why.append(f"own rows loaded {rows} < {case.min_rows}")
    if res["leaks"]:
        why.append("leak")
    if res["formula"]:
        why.append("formula cells")
    if res.get("check") is False:
        why.append("check: " + res["check_note"])
    res["ok"], res["why"] = not why, "; ".join(why)
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", help="case ids (H01 …)")
    ap.add_argument("--rlimit-gb", type=float, default=6.0, help="RLIMIT_AS of each child, GB")
    ap.add_argument("--bomb-gb", type=float, default=2.0, help="uncompressed size of the XLSX bombs, GB")
    ap.add_argument("--timeout-ingest", type=float, default=60)
    ap.add_argument("--timeout-screen", type=float, default=120)
    ap.add_argument("--world-seed", type=int, default=7)
    ap.add_argument("--work", type=Path, default=ROOT / "data/bench/drill-hostile")
    ap.add_argument("--keep", action="store_true", help="keep each case's folder (else removed when ok)")
    a = ap.parse_args()
    work = a.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    t_start = time.monotonic()
    world = simulate_world(work / f"world-{a.world_seed}", seed=a.world_seed)
    good = world / "inbox"
    rlimit = int(a.rlimit_gb * 2**30)
    # reference: the good set alone
    ref_dir = work / "ref"
    if ref_dir.exists():
        shutil.rmtree(ref_dir)
    c = run_child(screen_cmd(good, ref_dir, DATE), work / "ref.log", rlimit_as=rlimit)
    if c.rc != 0:
        sys.exit(f"reference screen failed, see {work / 'ref.log'}")
    st = warehouse_state(ref_dir / "wh.duckdb")
    ref_loaded = {b[2]: (b[1], b[3]) for b in st["batches"]}
    with open(ref_dir / "out" / DATE / "ranking.csv", encoding="utf-8-sig") as f:
        ranking = list(csv.DictReader(f))
    print(f"drill_hostile: good set {world.name} ({len(ref_loaded)} files), reference screen "
          f"{c.wall_s:.1f} s, {c.peak_rss_mb:.0f} MB; RLIMIT_AS {a.rlimit_gb:g} GB per child")
    global CASES_DIR
    CASES_DIR = work / "cases"
    cases = build_cases(work, good, ranking, a.bomb_gb)
    if a.only:
        cases = [x for x in cases if x.cid in a.only]
    results = []
    for case in cases:
        r = run_case(case, work, good, ref_loaded, rlimit, a.timeout_ingest, a.timeout_screen)
        results.append(r)
        print(f"  {r['id']} {'ok   ' if r['ok'] else 'FAULT'} screen rc {r['s_rc']} {r['s_mb']} MB {r['s_s']} s"
              f"  {r['what']}" + (f"  — {r['why']}" if r["why"] else ""), flush=True)
        if r["ok"] and not a.keep:
            shutil.rmtree(work / "run" / case.cid, ignore_errors=True)
    yn = {True: "yes", False: "NO", None: "—"}
    rows = [[r["id"], r["what"][:44], r["i_rc"], r["i_mb"], r["i_s"], r["s_rc"], r["s_mb"], r["s_s"],
             yn[r["good"]], yn[r["reason"]], "—" if r["rows"] is None else r["rows"],
             len(r["leaks"]) or "", r["formula"] or "", yn.get(r.get("check")), "ok" if r["ok"] else "FAULT"]
            for r in results]
    print("\n" + fmt_table(rows, ["id", "file", "i.rc", "i.MB", "i.s", "s.rc", "s.MB", "s.s", "good", "reason",
                                  "rows", "leaks", "formula", "check", "verdict"]), end="")
    faults = [r for r in results if not r["ok"]]
    print(f"\ntotal: {len(results)} hostile files, ok {len(results) - len(faults)}, faults {len(faults)}; "
          f"screen rc≠0 {sum(1 for r in results if r['s_rc'] != 0)}, good rows not all loaded "
          f"{sum(1 for r in results if not r['good'])}, no reason where expected "
          f"{sum(1 for r in results if 'no Chinese reason' in r['why'])}, leaks "
          f"{sum(len(r['leaks']) for r in results)}, formula cells {sum(r['formula'] for r in results)}; "
          f"peak RSS max {max((r['s_mb'] for r in results), default=0)} MB (screen), "
          f"{max((r['i_mb'] for r in results if r['i_mb'] != '—'), default=0)} MB (ingest)")
    for r in faults:
        print(f"  {r['id']}: {r['why']}" + (f"  [{', '.join(r['leaks'][:8])}]" if r["leaks"] else ""))
    raw = sorted({x for r in results for x in r["raw_leaks"]})
    if raw:
        print(f"  note: crafted phones/names stored in stg_tips (raw table beside tip_reporters): {len(raw)} kinds")
    print(f"elapsed {time.monotonic() - t_start:.0f} s; per-case folders of faults in {work / 'run'}")
    (work / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str), "utf-8")
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
