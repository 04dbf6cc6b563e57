"""Hostile file contents at the reader (issue 10, items 2, 6, 9): a stray quote, cells
past the header, absurd widths, XLSX with forged dimensions or bombs."""

from __future__ import annotations

import zipfile
from pathlib import Path

import duckdb
import pytest
import xlsxwriter

from pipeline.ingest import ingest_files, ingest_inbox

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
HEAD = "统一社会信用代码,企业名称,住所,成立日期,经营范围\n"


@pytest.fixture
def con():
    c = duckdb.connect()
    yield c
    c.close()


def load(con, tmp_path, p, configs=CONFIGS):
    [v] = ingest_files(con, "registry", [p], configs, tmp_path / "archive")
    return v


def rows(con):
    return con.execute("SELECT src_row, name, address FROM stg_registry ORDER BY src_row").fetchall()


def rejects(con):
    return con.execute('SELECT src_row, "column", value, reason, severity FROM rejects '
                       'ORDER BY src_row, "column"').fetchall()


def body(names, tail="\n"):
    return HEAD + "\n".join(f",{n},灵水社区{i}号,2019-01-01,化工" for i, n in enumerate(names)) + tail


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8"))
    return p


SWALLOW = ("引号不配对：这一格以英文双引号开头，没有配对的结束引号，读取时把其后 {k} 行并进了这一格。"
           "本行未导入（其后各行已逐行读取），请改正这一格的引号后重新导出本行")


# ------------------------------------------------------------------ item 2: stray quotes
def test_stray_quote_rejects_its_line_and_keeps_the_rows_after_it(con, tmp_path):
    names = [f"公司{i}" for i in range(6)]
    names[2] = '"公司2 有限'
    v = load(con, tmp_path, write(tmp_path, "stray.csv", body(names)))
    assert (v.rows_read, v.rows_loaded, v.rows_rejected) == (6, 5, 1)
    assert rows(con) == [(2, "公司0", "灵水社区0号"), (3, "公司1", "灵水社区1号"), (5, "公司3", "灵水社区3号"),
                         (6, "公司4", "灵水社区4号"), (7, "公司5", "灵水社区5号")]
    assert rejects(con) == [(4, "企业名称", ',"公司2 有限,灵水社区2号,2019-01-01,化工', SWALLOW.format(k=3), "reject")]


def test_stray_quote_closed_by_a_second_one_and_at_the_end_without_newline(con, tmp_path):
    # row 3 opens a quote that row 5 closes (2 lines swallowed); row 7 opens one the file never closes
    names = ["公司0", '"公司1', "公司2", '公司3"', "公司4", '"公司5']
    v = load(con, tmp_path, write(tmp_path, "two.csv", body(names, tail="")))
    assert (v.rows_read, v.rows_loaded, v.rows_rejected) == (6, 4, 2)
    assert rows(con) == [(2, "公司0", "灵水社区0号"), (4, "公司2", "灵水社区2号"), (5, '公司3"', "灵水社区3号"),
                         (6, "公司4", "灵水社区4号")]
    assert [(r[0], r[1], r[3]) for r in rejects(con)] == [
        (3, "企业名称", SWALLOW.format(k=2)),
        (7, "企业名称", "引号不配对：这一格以英文双引号开头，没有配对的结束引号，文件到末尾也没有结束引号。本行未导入"
                       "（其后各行已逐行读取），请改正这一格的引号后重新导出本行"),
    ]


def test_malformed_quote_in_valid_utf8_is_not_an_encoding_problem(con, tmp_path):
    # DuckDB says "Invalid unicode" for `"公司2"有限`; the file is valid UTF-8
    names = ["公司0", '"公司2"有限', "公司3"]
    v = load(con, tmp_path, write(tmp_path, "q.csv", body(names)))
    assert v.status == "loaded" and "编码" not in v.message
    assert rows(con) == [(2, "公司0", "灵水社区0号"), (3, "公司2有限", "灵水社区1号"), (4, "公司3", "灵水社区2号")]


def test_legitimate_multiline_cells_are_not_taken_for_a_swallow(con, tmp_path):
    text = (HEAD + ',甲公司,灵水社区1号,2019-01-01,"一般项目：化工产品销售,五金\n许可项目：危险化学品经营"\n'
            ',"乙公司\n分厂",灵水社区2号,2019-01-01,化工\n'
            ',丙公司,灵水社区3号,2019-01-01,化工\n')
    v = load(con, tmp_path, write(tmp_path, "ml.csv", text))
    assert (v.rows_loaded, v.rows_rejected) == (3, 0)
    assert rows(con) == [(2, "甲公司", "灵水社区1号"), (3, "乙公司 分厂", "灵水社区2号"), (4, "丙公司", "灵水社区3号")]


def test_xlsx_cell_with_line_breaks_is_fine(con, tmp_path):
    p = tmp_path / "ml.xlsx"
    wb = xlsxwriter.Workbook(str(p))
    ws = wb.add_worksheet()
    for r, row in enumerate([["统一社会信用代码", "企业名称", "住所"], ["", "甲公司", '灵水社区\n"1号'],
                             ["", "乙公司", "灵水社区2号"]]):
        ws.write_row(r, 0, row)
    wb.close()
    v = load(con, tmp_path, p)
    assert (v.rows_loaded, v.rows_rejected, v.warnings) == (2, 0, 0)


# ------------------------------------------------------------------ item 6: extra cells, width
def test_cells_past_the_header_reject_the_row_when_they_hold_data(con, tmp_path):
    text = (HEAD + ",甲,地址1,2019-01-01,化工,,\n"          # empty extra cells: fine
            ",乙,分厂,地址2,2019-01-01,化工\n"              # unquoted comma: shifted
            ",丙,地址3,2019-01-01,化工\n")
    v = load(con, tmp_path, write(tmp_path, "ext.csv", text))
    assert (v.rows_read, v.rows_loaded, v.rows_rejected) == (3, 2, 1)
    assert rows(con) == [(2, "甲", "地址1"), (4, "丙", "地址3")]
    assert rejects(con) == [(3, "第 6 列起（表头之外）", "化工",
                             "本行有 6 格，比表头（5 列）多 1 格，其中 1 格有内容；可能某格含未加引号的逗号，各列可能错位，本行未导入",
                             "reject")]


def test_ten_thousand_cell_row_is_rejected_and_the_table_stays_header_wide(con, tmp_path):
    text = HEAD + ",甲,地址1,2019-01-01,化工\n" + ",乙,地址2,2019-01-01,化工," + ",".join(f"x{i}" for i in range(10000)) + "\n"
    v = load(con, tmp_path, write(tmp_path, "wide.csv", text))
    assert (v.rows_read, v.rows_loaded, v.rows_rejected) == (2, 1, 1)
    [(row, col, value, reason, sev)] = rejects(con)
    assert (row, col, sev) == (3, "第 6 列起（表头之外）", "reject")
    assert reason == "本行有 10005 格，超过上限 500 格（configs/ingest.yaml 的 max_columns），本行未导入"
    assert value.startswith("x0,x1,x2") and value.endswith("…（共 58889 字）")


def test_header_wider_than_the_limit_refuses_the_file(con, tmp_path):
    text = HEAD.rstrip("\n") + "," + ",".join(f"列{i}" for i in range(600)) + "\n,甲,地址1,2019-01-01,化工\n"
    v = load(con, tmp_path, write(tmp_path, "wide_head.csv", text))
    assert v.status == "refused"
    assert v.message == ("wide_head.csv：未导入——表头有 605 列，超过上限 500 列（configs/ingest.yaml 的 max_columns），"
                         "这不像部门导出的表格")


def test_ingest_limits_are_validated(tmp_path):
    import shutil
    from pipeline.ingest import validate_source_configs
    cfg = tmp_path / "configs"
    shutil.copytree(CONFIGS, cfg)
    (cfg / "ingest.yaml").write_text("max_columns: 1\nxlsx_max_ratio: 二十\nspeed: 3\n", encoding="utf-8")
    errs = validate_source_configs(cfg)
    assert "ingest.yaml：max_columns（一个表格最多多少列）应是 2–100000 之间的数，现为 1" in errs
    assert "ingest.yaml：xlsx_max_ratio（XLSX 最高压缩比）应是 2–100000 之间的数，现为 '二十'" in errs
    assert any(e.startswith("ingest.yaml：speed 不是可设置的项") for e in errs)


# ------------------------------------------------------------------ item 9: XLSX bounds
def _xlsx(path, rows, far=None, filler=0):
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    for r, row in enumerate(rows):
        ws.write_row(r, 0, row)
    for i in range(filler):                       # highly compressible bulk
        ws.write_row(len(rows) + i, 5, ["重复内容" * 20] * 4)
    if far:
        ws.write(far[0], far[1], "x")
    wb.close()
    return path


GOOD = [["统一社会信用代码", "企业名称", "住所"], ["", "甲公司", "灵水社区1号"], ["", "乙公司", "灵水社区2号"]]


def _inbox(tmp_path, hostile_name, make):
    inbox = tmp_path / "inbox" / "registry"
    inbox.mkdir(parents=True)
    _xlsx(inbox / "a_good.xlsx", GOOD)
    make(inbox / hostile_name)
    return tmp_path / "inbox"


def test_xlsx_cell_at_xfd1048576_is_refused_and_the_rest_screened(con, tmp_path):
    inbox = _inbox(tmp_path, "b_far.xlsx", lambda p: _xlsx(p, GOOD, far=(1048575, 16383)))
    assert (inbox / "registry" / "b_far.xlsx").stat().st_size < 10_000
    verdicts = ingest_inbox(con, inbox, CONFIGS, tmp_path / "archive")
    by = {v.file_name: v for v in verdicts}
    assert by["a_good.xlsx"].rows_loaded == 2
    assert by["b_far.xlsx"].status == "refused"
    assert by["b_far.xlsx"].message == (
        "b_far.xlsx：未导入——工作表的范围达 1048576 行 × 16384 列（17179869184 格），超过上限 10000000 格"
        "（configs/ingest.yaml 的 xlsx_max_cells）；请删去远处的空单元格或只导出需要的区域")
    assert con.execute("SELECT file_name FROM batches").fetchall() == [("a_good.xlsx",)]


def test_xlsx_forged_dimension_is_refused(con, tmp_path):
    p = _xlsx(tmp_path / "g.xlsx", GOOD)
    forged = tmp_path / "forged.xlsx"
    with zipfile.ZipFile(p) as src, zipfile.ZipFile(forged, "w", zipfile.ZIP_DEFLATED) as dst:
        for i in src.infolist():
            data = src.read(i)
            if i.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<dimension ref="A1:C3"/>', b'<dimension ref="A1:XFD1048576"/>')
                assert b"XFD1048576" in data
            dst.writestr(i, data)
    v = load(con, tmp_path, forged)
    assert v.status == "refused" and "1048576 行 × 16384 列" in v.message


def test_xlsx_bigger_than_the_uncompressed_limit_is_refused(con, tmp_path):
    import shutil
    cfg = tmp_path / "configs"
    shutil.copytree(CONFIGS, cfg)
    (cfg / "ingest.yaml").write_text("xlsx_max_uncompressed_mb: 1\n", encoding="utf-8")
    bomb = _xlsx(tmp_path / "bomb.xlsx", GOOD, filler=20000)
    assert bomb.stat().st_size < 300_000
    v = load(con, tmp_path, bomb, cfg)
    assert v.status == "refused"
    assert v.message.startswith("bomb.xlsx：未导入——Excel 文件解压后")
    assert "超过上限 1 MB（configs/ingest.yaml 的 xlsx_max_uncompressed_mb）" in v.message
    good = _xlsx(tmp_path / "good.xlsx", GOOD)
    assert load(con, tmp_path, good, cfg).rows_loaded == 2


def test_memory_limit_defaults_to_a_fraction_of_ram(con, monkeypatch):
    import psutil
    from pipeline.ingest import MEMORY_LIMIT_ENV, _memory_limit
    monkeypatch.delenv(MEMORY_LIMIT_ENV, raising=False)
    before = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    fresh = duckdb.connect()
    want = fresh.execute(f"SET memory_limit = '{int(psutil.virtual_memory().total * 0.25) >> 20}MB'; "
                         "SELECT current_setting('memory_limit')").fetchall()[0][0]
    with _memory_limit(con, None, 0.25):
        assert con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0] == want != before
    assert con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0] == before
