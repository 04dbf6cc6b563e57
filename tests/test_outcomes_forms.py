"""outcomes (inspectors' returns) through the ingest machinery, and the forms 附件2/附件3."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from pipeline.ingest import ingest_files
from pipeline.ingest.outcomes import CATEGORY_PENDING, PREMISES_REASON
from pipeline.publish.forms import FORM2_FILE, FORM3_FILE, LEGEND, ROW_LABELS, write_forms
from tests.stagekit import insert, project_config, stg_db

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
D = dt.date

RETURNS = (
    "灵源街道排查结果回报表\n"
    "场所编号,检查日期,检查人,检查结论,整治类别,处置措施,没收违法所得（万元）,备注\n"
    "P001,2021-07-20,张三,违法违规,3,责令停产、原料产品安全处置,1.5,\n"       # 3 ok
    "P002,2021/7/21,李四,未发现问题,,,,\n"                                      # 4 ok
    "P003,2021年7月22日,王五,违法违规,,责令停产,,\n"                            # 5 no category: 待补
    "P004,2021-07-22,王五,违法违规,2,关停,,\n"                                  # 6 unknown measure: kept
    "P005,2021-07-23,赵六,无法进入,,,,大门紧锁\n"                               # 7 ok (no access)
    "P006,2021-07-23,赵六,已处理,,,,\n"                                         # 8 bad finding
    ",2021-07-23,赵六,未发现问题,,,,\n"                                         # 9 no id
    "P007,2021-07-24,钱七,违法违规,6,,,\n"                                      # 10 category 6: 待补
    "P008,2021-07-24,钱七,未发现问题,,责令停产,,\n"                             # 11 measure on clean
    "P009,2021-07-24,钱七,违法违规,4,立案查处；移送司法机关,-2,\n"              # 12 negative: NULL
    "P010,2021-07-25,钱七,违法违规,５,责令停产整顿，设备设施拆除,0,\n"          # 13 ok, full-width 5
    "P011,2021-07-25,钱七,违法,3类,封闭非法生产装置; 限期拆除,=1+1,\n"          # 14 not a number: NULL
    "P012,2012-07-25,钱七,未发现问题,,,,\n"                                     # 15 outside the campaign
    "合计,,,,,,1.5,\n"                                                          # 16 skipped
)


def _ingest(con, path):
    return ingest_files(con, "outcomes", [path], CONFIGS, None)[0]


def test_outcomes_ingest_rows_rejects_and_supersession(tmp_path):
    f1 = tmp_path / "returns_0725.csv"
    f1.write_text(RETURNS, encoding="utf-8")
    con = stg_db()
    v = _ingest(con, f1)
    # a visit that happened loads even with a missing or wrong detail (warned); only a return
    # whose id, date or finding is in doubt is refused
    assert (v.status, v.rows_read, v.rows_loaded, v.rows_rejected, v.rows_skipped, v.warnings) == (
        "loaded", 14, 9, 4, 1, 6)
    rows = con.execute("SELECT * EXCLUDE (batch_id) FROM stg_outcomes ORDER BY src_row").fetchall()
    assert rows == [
        (3, "P001", D(2021, 7, 20), "张三", "违法违规", 3, "责令停产、原料产品安全处置", 1.5, None),
        (4, "P002", D(2021, 7, 21), "李四", "未发现问题", None, None, None, None),
        (5, "P003", D(2021, 7, 22), "王五", "违法违规", None, "责令停产", None, None),
        (6, "P004", D(2021, 7, 22), "王五", "违法违规", 2, "关停", None, None),
        (7, "P005", D(2021, 7, 23), "赵六", "无法进入", None, None, None, "大门紧锁"),
        (10, "P007", D(2021, 7, 24), "钱七", "违法违规", None, None, None, None),
        (12, "P009", D(2021, 7, 24), "钱七", "违法违规", 4, "立案查处、移送司法机关", None, None),
        (13, "P010", D(2021, 7, 25), "钱七", "违法违规", 5, "责令停产整顿、设备设施拆除", 0.0, None),
        (14, "P011", D(2021, 7, 25), "钱七", "违法违规", 3, "封闭非法生产装置、限期拆除", None, None),
    ]
    rej = con.execute('SELECT file_name, src_row, "column", value, reason, severity FROM rejects '
                      'ORDER BY src_row, reason').fetchall()
    measures_hint = ("处置措施中有不认识的措施（可用：责令停产整顿、责令停产、封闭非法生产装置、限期拆除、"
                     "原料产品安全处置、设备设施拆除、立案查处、没收违法所得、移送司法机关；多项用、或；分隔），"
                     "已导入，不认识的措施未计入汇总表，请核对")
    fn = "returns_0725.csv"
    assert rej == [
        (fn, 5, "整治类别", None, CATEGORY_PENDING, "warning"),
        (fn, 6, "处置措施", "关停", measures_hint, "warning"),
        (fn, 8, "检查结论", "已处理", "检查结论不在允许范围（未发现问题/违法违规/无法进入/未找到）", "reject"),
        (fn, 9, "场所编号", None, "场所编号为空", "reject"),
        (fn, 10, "整治类别", "6", "整治类别不在允许范围（1/2/3/4/5）", "warning"),
        (fn, 10, "整治类别", "6", CATEGORY_PENDING, "warning"),
        (fn, 11, "处置措施", "责令停产", "检查结论不是违法违规，却填写了处置措施，请核对", "reject"),
        (fn, 12, "没收违法所得（万元）", "-2", "没收违法所得(万元)为负数", "warning"),
        (fn, 14, "没收违法所得（万元）", "=1+1", "没收违法所得(万元)不是数字", "warning"),
        (fn, 15, "检查日期", "2012-07-25", "检查日期不在专项整治期间（2021-07-01 至 2021-08-31），请核对年月日", "reject"),
    ]
    # the same file again changes nothing
    again = _ingest(con, f1)
    assert again.status == "unchanged"
    assert con.execute("SELECT count(*) FROM stg_outcomes").fetchone()[0] == 9
    # a later return for the same premises and date supersedes; another date is a new visit
    f2 = tmp_path / "returns_0801.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["场所编号", "检查日期", "检查人", "检查结论", "整治类别", "处置措施", "没收违法所得(万元)"])
    ws.append(["P001", dt.datetime(2021, 7, 20), "张三", "违法违规", 3, "责令停产、立案查处", 2])
    ws.append(["P005", "2021-08-01", "赵六", "违法违规", "1", "责令停产", None])
    wb.save(f2)
    v2 = _ingest(con, f2)
    assert (v2.rows_loaded, v2.rows_rejected, v2.rows_replaced) == (2, 0, 1)
    assert con.execute("SELECT premises_id, visit_date, finding, category, measures, confiscated_wan "
                       "FROM stg_outcomes WHERE premises_id IN ('P001', 'P005') ORDER BY ALL").fetchall() == [
        ("P001", D(2021, 7, 20), "违法违规", 3, "责令停产、立案查处", 2.0),
        ("P005", D(2021, 7, 23), "无法进入", None, None, None),
        ("P005", D(2021, 8, 1), "违法违规", 1, "责令停产", None),
    ]
    # … and the corrected return stays on record, with the batch that corrected it
    assert con.execute("SELECT premises_id, visit_date, measures, confiscated_wan, src_row, superseded_by_batch "
                       "FROM stg_outcomes_history").fetchall() == [
        ("P001", D(2021, 7, 20), "责令停产、原料产品安全处置", 1.5, 3, v2.batch_id)]


# ------------------------------------------------------------------ forms
#            premises   community  suggested(run 2)
PREMISES = [("P01", "林口", 3), ("P02", "张前", 2), ("P03", "英塘", 1), ("P04", "小浯塘", 5),
            ("P05", "曾林", 4), ("P06", "灵水", None), ("P07", "林口", None), ("P09", "大山后", 3)]


def _forms_db():
    con = stg_db()
    con.execute("CREATE TABLE premises (premises_id VARCHAR, name VARCHAR, address VARCHAR, community VARCHAR)")
    con.execute("CREATE TABLE premises_members (premises_id VARCHAR, source VARCHAR, source_key VARCHAR, "
                "match_score DOUBLE, match_rule VARCHAR)")
    con.execute("CREATE TABLE scores (run_id INTEGER, premises_id VARCHAR, category INTEGER)")
    for pid, comm, cat in PREMISES:
        name = "=HYPERLINK(\"http://x\")" if pid == "P07" else f"{pid}化工厂"
        con.execute("INSERT INTO premises VALUES (?, ?, ?, ?)", [pid, name, f"灵源街道{comm}社区{pid[1:]}号", comm])
        con.execute("INSERT INTO scores VALUES (1, ?, 1), (2, ?, ?)", [pid, pid, cat])
        con.execute("INSERT INTO premises_members VALUES (?, 'registry', ?, 1, 'x')", [pid, f"U{pid}"])
    con.execute("INSERT INTO premises_members VALUES ('P01', 'power_accounts', '0012345678', 1, 'x')")
    insert(con, "stg_registry", [
        {"source_key": "UP01", "name": "P01化工厂", "legal_rep": "陈一", "phone": "13800000001"},
        {"source_key": "UP02", "name": "P02化工厂", "legal_rep": "陈二", "phone": None},
        {"source_key": "UP07", "name": "x", "legal_rep": "-陈七", "phone": "+8613800000007"},
    ])
    con.execute("INSERT INTO batches (batch_id, source, file_name, sha256) VALUES (1, 'outcomes', '回报.xlsx', 'x')")
    o = lambda pid, day, finding, cat=None, measures=None, wan=None: {  # noqa: E731
        "premises_id": pid, "visit_date": day, "inspector": "张三", "finding": finding, "category": cat,
        "measures": measures, "confiscated_wan": wan}
    insert(con, "stg_outcomes", [
        o("P01", "2021-07-20", "违法违规", 3, "责令停产、原料产品安全处置", 1.5),
        o("P02", "2021-07-21", "违法违规", 3, "责令停产整顿、设备设施拆除、立案查处", 2.25),
        o("P03", "2021-07-21", "未发现问题"),
        o("P03", "2021-09-01", "违法违规", 5, "立案查处", 9.0),      # after as_of: ignored
        o("P04", "2021-07-22", "无法进入"),
        o("P05", "2021-07-10", "未发现问题"),                          # superseded by the later visit
        o("P05", "2021-07-20", "违法违规", 4, "立案查处、移送司法机关、封闭非法生产装置", 0.0),
        o("P06", "2021-07-22", "未发现问题"),
        o("P07", "2021-07-23", "违法违规", 2, "责令停产"),
        o("PX99", "2021-07-23", "违法违规", 1, "限期拆除"),            # not in premises
        o("P09", "2021-07-24", "未找到"),
    ])
    return con


def _table2(ws):
    return {ws.cell(5 + i, 1).value: [ws.cell(5 + i, 2 + j).value for j in range(5)] for i in range(8)}


def _table3(ws):
    out, r = [], 5
    while ws.cell(r, 1).value is not None and ws.cell(r, 1).value != "填报人：":
        out.append(tuple(ws.cell(r, c).value for c in range(1, 8)))
        r += 1
    return out, r


def test_forms_counts_and_rows(tmp_path):
    con = _forms_db()
    res = write_forms(con, project_config(), tmp_path, D(2021, 8, 28))
    assert res[FORM3_FILE] == {"灵源街道": 5, "第一工作点": 3, "第二工作点": 0, "第三工作点": 1,
                               "林口": 2, "张前": 1, "林格": 0, "英塘": 0, "小浯塘": 0, "曾林": 1, "灵水": 0,
                               "大山后": 0, "大布林": 0, "小布林": 0, "待核实": 1}
    assert res["premises_warnings"] == 1
    # the unknown 场所编号 is warned about once, not again on the next call
    assert con.execute('SELECT file_name, src_row, "column", value, reason, severity FROM rejects').fetchall() == [
        ("回报.xlsx", 11, "场所编号", "PX99", PREMISES_REASON, "warning")]
    write_forms(con, project_config(), tmp_path, D(2021, 8, 28))
    assert con.execute("SELECT count(*) FROM rejects").fetchone()[0] == 1

    wb = openpyxl.load_workbook(tmp_path / FORM2_FILE)
    assert wb.sheetnames == ["灵源街道", "第一工作点", "第二工作点", "第三工作点", "林口", "张前", "林格", "英塘",
                             "小浯塘", "曾林", "灵水", "大山后", "大布林", "小布林", "待核实"]
    assert wb["林口"]["A3"].value == "填报单位：灵源街道林口社区（盖章）"
    assert _table2(wb["林口"])["发现违法违规企业数（家）"] == [0, 1, 1, 0, 0]   # P07 (2), P01 (3)
    ws = wb["灵源街道"]
    assert ws["A1"].value == "附件2"
    assert ws["A2"].value == "非法违法“小化工”集中攻坚情况汇总表"
    assert "A2:G2" in {str(m) for m in ws.merged_cells.ranges}
    assert ws["A3"].value == "填报单位：灵源街道（盖章）"
    assert ws["D3"].value == "填报日期：2021年8月28日"
    assert ws["B4"].value.startswith("现有化工企业超许可范围")
    assert ws["B5"].border.left.style == "thin"
    assert list(_table2(ws)) == list(ROW_LABELS)
    assert _table2(ws) == {
        "排查总数（家）": [2, 2, 2, 1, 0],            # P03+PX99 | P02(suggested)+P07 | P01+P02(found) | P05
        "发现违法违规企业数（家）": [1, 1, 2, 1, 0],
        "责令停产企业数（家）": [0, 1, 2, 0, 0],       # 责令停产整顿 (P02) counts
        "原料产品安全处置企业数（家）": [0, 0, 1, 0, 0],
        "设备设施拆除企业数（家）": [0, 0, 1, 0, 0],
        "立案查处数（家）": [0, 0, 1, 1, 0],
        "没收违法所得（万元）": [0, 0, 3.75, 0, 0],
        "移送司法机关处理数（家）": [0, 0, 0, 1, 0],
    }
    assert ws["A14"].value == "填报人："
    assert ws["A15"].value == ("说明：另有无法进入 1 家、未找到 1 家（未计入排查总数，须再次排查）；"
                               "已排查但无整治类别 1 家（未计入各类别）。")
    w1 = wb["第一工作点"]
    assert w1["A3"].value == "填报单位：灵源街道第一工作点（盖章）"
    assert _table2(w1)["排查总数（家）"] == [0, 2, 2, 0, 0]
    assert _table2(w1)["没收违法所得（万元）"] == [0, 0, 3.75, 0, 0]
    assert _table2(wb["第三工作点"])["移送司法机关处理数（家）"] == [0, 0, 0, 1, 0]

    wb3 = openpyxl.load_workbook(tmp_path / FORM3_FILE)
    ws = wb3["灵源街道"]
    assert ws["A1"].value == "附件3"
    assert ws["A2"].value == "非法违法“小化工”排查统计表"
    assert ws["A3"].value == "填报单位：灵源街道（盖章）"
    assert ws["E3"].value == "填报日期：2021年8月28日"
    assert [ws.cell(4, c).value for c in range(1, 8)] == ["序号", "单位名称", "地址", "主要负责人", "联系方式",
                                                          "整治类别", "处置措施"]
    rows, end = _table3(ws)
    assert rows == [
        (1, "（场所编号 PX99，未在场所清单中）", None, None, None, 1, "限期拆除"),
        (2, "'=HYPERLINK(\"http://x\")", "灵源街道林口社区07号", "'-陈七", "'+8613800000007", 2, "责令停产"),
        (3, "P01化工厂", "灵源街道林口社区01号", "陈一", "13800000001", 3, "责令停产、原料产品安全处置"),
        (4, "P02化工厂", "灵源街道张前社区02号", "陈二", None, 3, "责令停产整顿、设备设施拆除、立案查处"),
        (5, "P05化工厂", "灵源街道曾林社区05号", None, None, 4, "立案查处、移送司法机关、封闭非法生产装置"),
    ]
    assert ws.cell(end + 1, 1).value == "填报人："
    assert ws.cell(end + 3, 1).value == LEGEND
    assert ws.cell(5, 2).border.top.style == "thin"
    assert [r[1] for r in _table3(wb3["第一工作点"])[0]] == ["'=HYPERLINK(\"http://x\")", "P01化工厂", "P02化工厂"]
    assert _table3(wb3["第二工作点"])[0] == []
    # no cell anywhere starts a formula
    for book in (wb, wb3):
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for c in row:
                    assert not (isinstance(c.value, str) and c.value[:1] in ("=", "+", "-", "@", "\t", "\r"))
