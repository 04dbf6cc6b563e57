"""Lists that do not change by themselves, do not run dry, and say each thing once; and a
run that is complete whichever source arrives alone (issue 10, items 9, 12, 13, 15, 20)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipeline.screen import screen

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
COMMUNITIES = ["林口", "张前", "林格", "英塘", "小浯塘", "曾林", "灵水", "大山后", "大布林", "小布林"]

# ---------------------------------------------------------------------------------------
# item 9: every source alone gives a complete run

ALONE = {
    "registry": ("市场主体名录.csv",
                 "统一社会信用代码,企业名称,企业类型,法定代表人,联系电话,住所,登记状态,成立日期,行业代码,所属行业,经营范围\n"
                 "91350582000757870Y,福建昌峰化工有限公司,有限责任公司,陈荣华,13782960957,"
                 "晋江市灵源街道林格社区创业路391号,存续,1999-05-20,2614,有机化学原料制造,化工产品生产\n"
                 "91350582MA2XN0QH1C,晋江市灵源食品有限公司,有限责任公司,王强,13800000000,"
                 "晋江市灵源街道林口社区灵光路12号,存续,2010-01-01,1411,糕点、面包制造,食品加工\n"),
    "licenses": ("危险化学品许可证.csv",
                 "序号,许可证编号,单位名称,统一社会信用代码,许可类型,许可范围,有效期起,有效期至,地址\n"
                 "1,(闽)WH安许证字〔2020〕0106号,晋江市益鹏染料有限公司,91350582MAU6NBF0KJ,安全生产许可,"
                 "染料助剂,2020-10-06,2023-10-05,晋江市灵源街道张前社区工业路366号\n"),
    "power_accounts": ("用户档案.csv",
                       "户号,户名,地址,用户类别,供电电压,运行容量(kVA),建档日期,状态,台区,经度,纬度\n"
                       "0510026573,蔡天赐,晋江市灵源灵水工业区灵水路306号,一般工商业用电,交流380V,50,20081213,"
                       "正常,灵水8号公变,118.601381,24.842069\n"),
    "power_readings": ("用电量_202106.csv",
                       "户号,日期,总电量,峰电量,平电量,谷电量\n"
                       + "".join(f"0510026573,2021-06-{d:02d},100,40,40,20\n" for d in range(1, 11))),
    "waybills": ("危货电子运单.csv",
                 "运单编号,托运人,承运人,收货人,收货人统一社会信用代码,装货地址,卸货地址,货物名称,UN编号,"
                 "危险货物类别,数量,单位,车牌号,起运时间\n"
                 + "".join(f"3505202106010000{i},福建省湄洲湾化工贸易有限公司,石狮市鑫路危险货物运输有限公司,"
                           f"晋江市祥美化学有限公司,,福建省莆田市秀屿区东庄镇化工园区,"
                           f"晋江市灵源街道大山后社区大山后路161号,乙醇,UN1170,3,14.7,吨,闽C23456,"
                           f"2021-06-0{i} 08:00\n" for i in range(1, 6))),
    "tracks": ("危货车辆轨迹.csv",
               "车牌号,定位时间,经度,纬度,速度,方向\n"
               + "".join(f"闽CB1022,2021-06-17 10:{m:02d}:00,118.5479,24.8120,0,90\n" for m in range(0, 40, 2))),
    "tips": ("举报线索.csv",
             "举报编号,受理时间,举报内容,被举报地址,被举报单位,举报人,联系电话\n"
             "LYJB202100001,2021-06-02 10:00,林口社区灵光路45号晚上有刺鼻气味，有人在熬化工料,"
             "晋江市灵源林口灵光路45号,,苏家豪,15993650187\n"),
    "sites": ("闲置场所排查台账.csv",
              "序号,编号,类型,地址,产权人,经度,纬度,备注\n"
              "1,LYXZ-007-0001,偏僻地点,灵源街道办事处灵水村北坑空地,施金水,118.609102,24.846231,\n"),
    "outcomes": ("检查结果回报.csv",
                 "场所编号,检查日期,检查人,检查结论,整治类别,处置措施,没收违法所得（万元）,备注\n"
                 "P001,2021-07-20,张三,未发现问题,,,,\n"),
}


def _screen_alone(tmp_path: Path, source: str):
    name, body = ALONE[source]
    inbox = tmp_path / "inbox" / source
    inbox.mkdir(parents=True)
    (inbox / name).write_text(body, encoding="utf-8")
    return screen(tmp_path / "inbox", tmp_path / "w.duckdb", tmp_path / "out", config_dir=CONFIGS,
                  run_date=dt.date(2021, 7, 26))


def _complete(res) -> None:
    out = res.out_dir
    for f in ["ranking.csv", "visit_lists.xlsx", "link_candidates.csv", "manifest.json", "report.html",
              *(f"visit_list_{c}.csv" for c in COMMUNITIES)]:
        assert (out / f).is_file(), f


def test_readings_without_accounts_screen_completely(tmp_path):
    # a readings file alone: no premises at all; link used to fail on a DOUBLE premises_id
    res = _screen_alone(tmp_path, "power_readings")
    _complete(res)
    assert res.counts["stg_power_readings"] == 10
    assert res.counts["premises"] == 0


@pytest.mark.parametrize("source", sorted(set(ALONE) - {"power_readings"}))
def test_each_source_alone_gives_a_complete_run(tmp_path, source):
    res = _screen_alone(tmp_path, source)
    _complete(res)
    assert res.counts[f"stg_{source}"] >= 1


# ---------------------------------------------------------------------------------------
# item 12: identical inputs, identical lists — every choice has a total order

def _premises_from_tied_records(reverse: bool, threads: int, groups: int):
    """premises.sql over `groups` premises of two licence records each that tie on anchor
    rank (same source) but differ in name, address, USCC and community, with the rows in
    either physical order. More rows than one DuckDB row group, so the aggregation runs in
    parallel."""
    import duckdb

    from pipeline.db import run_sql_file
    from pipeline.link import _load_reference
    from tests.stagekit import project_config

    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    run_sql_file(con, ROOT / "pipeline" / "macros.sql")
    _load_reference(con, project_config())
    order = "DESC" if reverse else "ASC"
    con.execute(f"""
        CREATE TABLE int_link_parsed AS
        SELECT i AS rid, 'licenses' AS source, format('L{{:07d}}{{}}', i // 2, CASE WHEN i % 2 = 0 THEN 'A' ELSE 'B' END) AS source_key,
               CASE WHEN i % 2 = 0 THEN '甲' ELSE '乙' END || (i // 2) || '化工有限公司' AS name,
               '灵源' || (CASE WHEN i % 2 = 0 THEN '林口' ELSE '林格' END) || '路' || i || '号' AS address,
               'USCC' || i AS uscc, false AS is_person,
               CASE WHEN i % 2 = 0 THEN '林口' ELSE '林格' END AS community, false AS community_inferred,
               '路' AS road, i::VARCHAR AS number, NULL::DOUBLE AS lon, NULL::DOUBLE AS lat
        FROM range({2 * groups}) t(i) ORDER BY i {order}
    """)
    con.execute(f"""
        CREATE TEMP TABLE link_assign AS
        SELECT rid, 'P' || lpad((rid // 2)::VARCHAR, 10, '0') AS premises_id, 1.0 AS match_score, 'own' AS match_rule
        FROM int_link_parsed ORDER BY rid {order}
    """)
    run_sql_file(con, ROOT / "pipeline" / "link" / "premises.sql")
    return con.execute("SELECT premises_id, name, address, uscc, community, place_id FROM premises "
                       "ORDER BY premises_id").fetchall()


def test_tied_records_give_the_same_premises_whatever_the_row_order():
    groups = 70_000
    first = _premises_from_tied_records(False, 1, groups)
    assert len(first) == groups
    # the tie is broken by source_key: the 'A' record of each pair
    assert first[0] == ("P0000000000", "甲0化工有限公司", "灵源林口路0号", "USCC0", "林口", first[0][5])
    assert all(r[1].startswith("甲") and r[4] == "林口" for r in first)
    assert _premises_from_tied_records(True, 1, groups) == first
    assert _premises_from_tied_records(True, 2, groups) == first
    assert _premises_from_tied_records(False, 2, groups) == first


def _link_world(reverse: bool, threads: int):
    from pipeline.link import build_premises
    from tests.stagekit import insert, project_config, stg_db

    con = stg_db()
    con.execute(f"SET threads = {threads}")
    rows = []
    for i in range(40):
        addr = f"晋江市灵源街道林口社区林口路{i + 1}号"
        uscc = f"91350582MA2Y{i:05d}X"
        # two licences of one firm, same anchor rank, different names: a tie
        rows.append(dict(license_no=f"L{i:04d}A", name=f"晋江市益鹏{i}染料有限公司", uscc=uscc, address=addr))
        rows.append(dict(license_no=f"L{i:04d}B", name=f"晋江市益鹏{i}化工有限公司", uscc=uscc, address=addr))
    if reverse:
        rows.reverse()
    insert(con, "stg_licenses", rows)
    build_premises(con, project_config())
    prem = con.execute("SELECT * FROM premises ORDER BY premises_id").fetchall()
    cand = con.execute("SELECT * FROM link_candidates").fetchall()
    return prem, cand


def test_link_is_the_same_whatever_the_insert_order_and_threads():
    prem, cand = _link_world(False, 1)
    assert len(prem) == 40
    assert all("染料" in r[1] for r in prem)        # the A licence's name: lowest source_key
    assert _link_world(True, 2) == (prem, cand)


def test_repeat_screens_give_byte_identical_lists(tmp_path):
    """Three runs of the same (demo-sized) world into fresh warehouses: the same bytes."""
    import subprocess
    import sys

    world = tmp_path / "world"
    r = subprocess.run([sys.executable, "-m", "pipeline", "simulate", "--out", str(world), "--seed", "3"],
                       cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    outs = []
    for i in range(3):
        res = screen(world / "inbox", tmp_path / f"w{i}.duckdb", tmp_path / f"out{i}", config_dir=CONFIGS,
                     run_date=dt.date(2021, 7, 5))
        outs.append(res.out_dir)
    # the workbooks too: their creation time is the run date, not the clock (drill_kill noticed
    # visit_lists.xlsx differed on every run)
    names = ["ranking.csv", "link_candidates.csv", *(f"visit_list_{c}.csv" for c in COMMUNITIES),
             "visit_lists.xlsx", "附件2_汇总表.xlsx", "附件3_排查统计表.xlsx", "拒收明细.xlsx"]
    first = {n: (outs[0] / n).read_bytes() for n in names}
    assert first["ranking.csv"].count(b"\n") > 20     # a real list, not an empty one
    assert first["link_candidates.csv"].count(b"\n") > 5
    for out in outs[1:]:
        for n in names:
            assert (out / n).read_bytes() == first[n], n
