"""Inspectors' returns end to end: nothing a visit found is lost (issue 10 items 3, 7, 16, 17).

Returns go through the real ingest, premises, lists, forms, 拒收明细.xlsx and report on a
handful of inline records in a real DuckDB."""

from __future__ import annotations

import datetime as dt
import logging
import zipfile
from pathlib import Path

import openpyxl
import pytest

from pipeline.db import ensure_runs_table
from pipeline.ingest import ingest_files
from pipeline.ingest.outcomes import CATEGORY_PENDING, PREMISES_REASON
from pipeline.learn import ensure_tables, estimate_hit_rates, learn, wilson
from pipeline.link import build_premises
from pipeline.publish import publish_lists
from pipeline.publish.forms import FORM2_FILE, FORM3_FILE, ROW_LABELS, write_forms
from pipeline.publish.rejects import HEADERS, REJECTS_FILE, write_rejects
from pipeline.publish.report import estimate_line, write_report
from pipeline.score import SCORES_DDL, score_premises
from pipeline.signals import EVIDENCE_DDL, compute_evidence
from tests.stagekit import insert, project_config, stg_db
from tests.test_stages import _world

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
AS_OF = dt.date(2021, 6, 30)
RUN_DATE = dt.date(2021, 7, 12)


def _screen_once(con, cfg, run_id: int, out: Path):
    build_premises(con, cfg)
    compute_evidence(con, cfg, run_id, AS_OF)
    score_premises(con, cfg, run_id, AS_OF)
    publish_lists(con, cfg, run_id, out, as_of=RUN_DATE)
    return [r[0] for r in con.execute("SELECT premises_id FROM visit_lists WHERE run_id = ? AND NOT random_pick "
                                      "ORDER BY list_rank, premises_id", [run_id]).fetchall()]


def _table2(ws):
    return {ws.cell(5 + i, 1).value: [ws.cell(5 + i, 2 + j).value for j in range(6)] for i in range(len(ROW_LABELS))}


def _sheet_rows(ws):
    return [tuple(c.value for c in row) for row in ws.iter_rows(min_row=2)]


@pytest.fixture()
def returned(tmp_path, caplog):
    """Week 1 lists, then a returns file: a 违法违规 without 整治类别 for the top premises
    written in lower case with full-width characters, a bad date, an unknown id, a clean visit."""
    con = _world()
    cfg = project_config(min_score_for_list=1)
    listed = _screen_once(con, cfg, 1, tmp_path / "w1")
    top, second = listed[0], listed[1]
    fullwidth_lower = "".join(chr(ord(ch) + 0xFEE0) if ch.isalnum() else ch for ch in top.lower())
    returns = tmp_path / "回报_0710.csv"
    returns.write_text(
        "场所编号,检查日期,检查人,检查结论,整治类别,处置措施\n"
        f" {fullwidth_lower} ,2021-07-05,张三,违法违规,,责令停产\n"          # row 2: 待补, id normalised
        f"{second},2021-13-45,李四,未发现问题,,\n"                          # row 3: bad date → refused
        "PZZZ0000001,2021-07-06,王五,违法违规,3,立案查处\n"                  # row 4: unknown id
        "=cmd|' /C calc'!A0,2021-07-07,赵六,已整改,,\n",                     # row 5: bad finding + formula
        encoding="utf-8")
    caplog.set_level(logging.INFO)
    v = ingest_files(con, "outcomes", [returns], CONFIGS, tmp_path / "archive")[0]
    return con, cfg, top, second, v, tmp_path


def test_a_violation_without_category_is_a_finding_and_the_place_leaves_the_list(returned):
    con, cfg, top, second, v, tmp = returned
    assert (v.rows_read, v.rows_loaded, v.rows_rejected, v.warnings) == (4, 2, 2, 1)
    assert con.execute("SELECT premises_id, finding, category, measures FROM stg_outcomes ORDER BY src_row").fetchall() == [
        (top, "违法违规", None, "责令停产"), ("PZZZ0000001", "违法违规", 3, "立案查处")]
    assert con.execute("SELECT src_row, reason, severity FROM rejects WHERE severity = 'warning'").fetchall() == [
        (2, CATEGORY_PENDING, "warning")]
    listed2 = _screen_once(con, cfg, 2, tmp / "w2")
    assert top not in listed2                      # visited: no longer #1 as if never seen
    assert second in listed2                       # its return was refused: still to visit


def test_unknown_ids_count_in_batches_and_forms_add_up(returned, caplog):
    con, cfg, top, second, v, tmp = returned
    _screen_once(con, cfg, 2, tmp / "w2")
    res = write_forms(con, cfg, tmp / "out", RUN_DATE, run_id=2)
    assert res["premises_warnings"] == 1
    assert con.execute("SELECT warnings FROM batches WHERE batch_id = ?", [v.batch_id]).fetchone()[0] == 2
    assert any("1 条回报的场所编号不在本期场所清单中" in m for m in caplog.messages)

    wb = openpyxl.load_workbook(tmp / "out" / FORM2_FILE)
    names = wb.sheetnames
    wps = ["第一工作点", "第二工作点", "第三工作点"]
    communities = [c["name"] for c in cfg.communities]
    assert names == ["灵源街道", *wps, *communities, "待核实"]
    sub = _table2(wb["灵源街道"])
    # the top premises' 违法违规 counts in the 整治类别待补 column, the unknown id in column 3
    assert sub["发现违法违规企业数（家）"] == [0, 0, 1, 0, 0, 1]
    assert sub["责令停产企业数（家）"] == [0, 0, 0, 0, 0, 1]
    assert sub["立案查处数（家）"] == [0, 0, 1, 0, 0, 0]
    assert _table2(wb["待核实"])["发现违法违规企业数（家）"] == [0, 0, 1, 0, 0, 0]
    assert "整治类别待补 1 家" in wb["灵源街道"]["A15"].value
    for label in ROW_LABELS:
        by_wp = [sum(_table2(wb[s])[label][j] for s in [*wps, "待核实"]) for j in range(6)]
        by_comm = [sum(_table2(wb[s])[label][j] for s in [*communities, "待核实"]) for j in range(6)]
        assert sub[label] == by_wp == by_comm, label
    ws3 = openpyxl.load_workbook(tmp / "out" / FORM3_FILE)["灵源街道"]
    assert [ws3.cell(r, 6).value for r in (5, 6)] == [3, "待补"]


def test_rejects_file_shows_each_refused_and_warned_return_with_its_row(returned, caplog):
    con, cfg, top, second, v, tmp = returned
    _screen_once(con, cfg, 2, tmp / "w2")
    out = tmp / "out"
    write_forms(con, cfg, out, RUN_DATE, run_id=2)
    path = write_rejects(con, cfg, 2, out, RUN_DATE)
    assert path == out / REJECTS_FILE
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["本次拒收", "本次警告", "历次未处理的回报"]
    assert tuple(c.value for c in wb["本次拒收"][1]) == HEADERS
    fn = "回报_0710.csv"
    assert _sheet_rows(wb["本次拒收"]) == [
        ("检查结果回报", fn, 3, "检查日期", "2021-13-45", "日期无法识别", second, "李四", "2021-13-45"),
        ("检查结果回报", fn, 5, "检查结论", "已整改", "检查结论不在允许范围（未发现问题/违法违规/无法进入/未找到）",
         "'=cmd|' /C calc'!A0", "赵六", "2021-07-07"),
    ]
    assert _sheet_rows(wb["本次警告"]) == [
        ("检查结果回报", fn, 2, "整治类别", None, CATEGORY_PENDING, top, "张三", "2021-07-05"),
        ("检查结果回报", fn, 4, "场所编号", "PZZZ0000001", PREMISES_REASON, "PZZZ0000001", "王五", "2021-07-06"),
    ]
    assert _sheet_rows(wb["历次未处理的回报"]) == [("以前各次的检查结果回报没有未处理的问题。",) + (None,) * 8]
    # the console names each one, with the row and the inspector
    assert any(f"{fn} 第 3 行，场所编号 {second}，检查人 李四：日期无法识别" in m for m in caplog.messages)
    assert any("拒收明细：本次拒收 2 条、警告 2 条" in m for m in caplog.messages)
    # … and so does the report
    page = write_report(con, cfg, 2, AS_OF, out, {}, {}, [], [], run_date=RUN_DATE).read_text(encoding="utf-8")
    assert "检查结果回报的问题" in page and "2021-13-45" in page and "李四" in page
    assert f"发现违法违规但整治类别待补 1 处（{top}）" in page
    # identical inputs → identical bytes: the creation time is the run date, not the clock
    with zipfile.ZipFile(path) as z:
        assert "<dcterms:created xsi:type=\"dcterms:W3CDTF\">2021-07-12T00:00:00Z" in z.read("docProps/core.xml").decode()
    first = path.read_bytes()
    write_rejects(con, cfg, 2, out, RUN_DATE)
    assert path.read_bytes() == first


def test_open_returns_of_earlier_runs_stay_until_answered(returned):
    con, cfg, top, second, v, tmp = returned
    ensure_runs_table(con)
    con.execute("INSERT INTO runs (run_id, finished_at, batch_ids) VALUES (1, now(), ?), (2, NULL, ?)",
                [[v.batch_id], [v.batch_id]])
    build_premises(con, cfg)
    write_forms(con, cfg, tmp / "o2", RUN_DATE, run_id=2)
    wb = openpyxl.load_workbook(write_rejects(con, cfg, 2, tmp / "o2", RUN_DATE))
    assert [r[2] for r in _sheet_rows(wb["本次拒收"])] == [None]            # nothing new this run
    assert [r[2] for r in _sheet_rows(wb["历次未处理的回报"])] == [2, 3, 4, 5]
    # the inspector sends the missing date and the category: those two are answered
    fix = tmp / "回报_0714.csv"
    fix.write_text("场所编号,检查日期,检查人,检查结论,整治类别,处置措施\n"
                   f"{top},2021-07-05,张三,违法违规,3,责令停产\n"
                   f"{second},2021-07-08,李四,未发现问题,,\n", encoding="utf-8")
    v2 = ingest_files(con, "outcomes", [fix], CONFIGS, tmp / "archive")[0]
    con.execute("UPDATE runs SET finished_at = now() WHERE run_id = 2")
    con.execute("INSERT INTO runs (run_id, finished_at, batch_ids) VALUES (3, NULL, ?)", [[v.batch_id, v2.batch_id]])
    wb = openpyxl.load_workbook(write_rejects(con, cfg, 3, tmp / "o3", RUN_DATE))
    assert [r[2] for r in _sheet_rows(wb["历次未处理的回报"])] == [4, 5]


def test_forms_never_take_the_categories_of_a_crashed_run(tmp_path):
    con = stg_db()
    con.execute("CREATE TABLE premises (premises_id VARCHAR, name VARCHAR, address VARCHAR, community VARCHAR)")
    con.execute("CREATE TABLE scores (run_id INTEGER, premises_id VARCHAR, category INTEGER)")
    con.execute("CREATE TABLE runs (run_id INTEGER, finished_at TIMESTAMP)")
    con.execute("INSERT INTO premises VALUES ('P1', '甲厂', '林口社区1号', '林口')")
    con.execute("INSERT INTO scores VALUES (1, 'P1', 2), (2, 'P1', 5)")
    con.execute("INSERT INTO runs VALUES (1, TIMESTAMP '2021-07-05 10:00'), (2, NULL)")   # run 2 crashed
    con.execute("INSERT INTO batches (batch_id, source, file_name, sha256) VALUES (1, 'outcomes', 'r.csv', 'x')")
    insert(con, "stg_outcomes", [dict(premises_id="P1", visit_date="2021-07-06", finding="未发现问题")])
    cfg = project_config()
    write_forms(con, cfg, tmp_path / "a", RUN_DATE)
    ws = openpyxl.load_workbook(tmp_path / "a" / FORM2_FILE)["灵源街道"]
    assert _table2(ws)["排查总数（家）"] == [0, 1, 0, 0, 0, 0]      # run 1's category 2, not run 2's 5
    write_forms(con, cfg, tmp_path / "b", RUN_DATE, run_id=2)       # the run being published
    ws = openpyxl.load_workbook(tmp_path / "b" / FORM2_FILE)["灵源街道"]
    assert _table2(ws)["排查总数（家）"] == [0, 0, 0, 0, 1, 0]


# ------------------------------------------------------------------ item 16: the estimate
def _estimate(n_random: int, hits: int, below: int) -> dict:
    con = stg_db()
    con.execute(SCORES_DDL)
    con.execute(EVIDENCE_DDL)
    ensure_tables(con)
    con.execute("CREATE TABLE ref_communities AS SELECT '林口' AS name, '第一工作点' AS work_point")
    con.execute("INSERT INTO runs (run_id, as_of, run_date) VALUES (1, '2021-06-30', '2021-07-05')")
    rnd = [f"R{i:02d}" for i in range(n_random)]
    for i, pid in enumerate(rnd):
        con.execute("INSERT INTO visit_lists VALUES (1, ?, '林口', 0, true)", [pid])
        hit = i < hits
        insert(con, "stg_outcomes", [dict(premises_id=pid, visit_date=dt.date(2021, 7, 7),
                                          finding="违法违规" if hit else "未发现问题", category=3 if hit else None)])
    for i, pid in enumerate(rnd + [f"X{j:03d}" for j in range(below)]):
        con.execute("INSERT INTO scores (run_id, premises_id, community, score) VALUES (2, ?, '林口', ?)", [pid, i])
    learn(con, project_config(), 2, dt.date(2021, 8, 2))
    return next(r for r in estimate_hit_rates(con, 2) if r["premises_below_cut"] is not None)


def test_estimate_says_the_upper_bound_when_random_checks_found_nothing():
    r = _estimate(12, 0, 200)
    assert r["missed_estimate"] == 0
    hi = wilson(0, 12)[1] * 200                      # 200 × 0.2426 = 48.5 → at most 49
    line = estimate_line(r, 10)
    assert line == ("随机抽查已进门检查 12 处，均未查实违法违规；这不说明清单之外没有违法场所："
                    f"据此估计清单之外（200 处场所）最多约有 {int(hi) + 1} 处违法违规场所（95% 上限）。")
    assert "约有 0 处" not in line


def test_estimate_gives_the_interval_for_k_of_n():
    r = _estimate(20, 2, 300)
    lo, hi = wilson(2, 20)
    assert estimate_line(r, 10) == (f"据此估计清单之外（300 处场所）约有 30 处违法违规场所"
                                    f"（95% 区间 {int(300 * lo)}–{int(300 * hi) + 1} 处）。")
    assert estimate_line(_estimate(10, 1, 2), 10).startswith("据此估计清单之外（2 处场所）约有 不到 1 处")


def test_too_few_random_checks_give_no_estimate():
    r = _estimate(4, 0, 200)
    assert estimate_line(r, 10) == ("随机抽查还不够，尚不能估计清单之外还剩多少违法违规场所（随机抽查已进门检查 4 处，"
                                    "至少需要 10 处，见 configs/learning.yaml 的 min_random_for_estimate）。")
    assert estimate_line(_estimate(0, 0, 5), 10) == "尚无随机抽查的检查结果，无法估计清单之外的情况。"
