"""Ingest of the offices' own lists (issue 15): the power office's 电量激增清单, the 联网联控
platform's alarm export, the market office's screened list, and monthly bills from the
营销系统 — each as a small real file (GBK CSV, XLSX with title rows, 合计 rows, full-width
digits, Chinese dates, bad rows) through the real ingest into a real DuckDB."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest
import xlsxwriter

from pipeline.ingest import clean_sql as C
from pipeline.ingest import ingest_files
from pipeline.ingest.power_surge_list import MISMATCH_MOM, MISMATCH_YOY, PERIOD_REASON
from tests.test_ingest import con, csv_file, load  # noqa: F401  (fixtures and file helper shared)

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
D = dt.date
T = dt.datetime


def xlsx_file(tmp_path, name, rows):
    p = tmp_path / name
    wb = xlsxwriter.Workbook(str(p))
    ws = wb.add_worksheet()
    fmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, (dt.date, dt.datetime)):
                ws.write_datetime(r, c, v if isinstance(v, dt.datetime) else dt.datetime(v.year, v.month, v.day), fmt)
            else:
                ws.write(r, c, v)
    wb.close()
    return p


def q(con, sql, *params):
    return con.execute(sql, list(params)).fetchall()


def rejects(con):
    return q(con, 'SELECT src_row, "column", value, reason, severity FROM rejects ORDER BY src_row, "column", reason')


def with_check(body17: str) -> str:
    """A USCC with a correct check character (GB 32100-2015, DESIGN §8)."""
    cs, w = C.USCC_CHARSET, C.USCC_WEIGHTS
    return body17 + cs[(31 - sum(cs.index(c) * x for c, x in zip(body17, w)) % 31) % 31]


def sql_value(con, expr_of, value):
    return con.execute(f"SELECT {expr_of('x')} FROM (SELECT ?::VARCHAR AS x)", [value]).fetchall()[0][0]


# ------------------------------------------------------------------ value parsing
@pytest.mark.parametrize("cell,fraction", [
    ("320%", 3.2), ("320.5%", 3.205), ("+85.5%", 0.855), ("-15%", -0.15), ("3.2倍", 2.2), ("0.5倍", -0.5),
    ("320", 3.2),                      # a bare number in a 增幅(%) column is a percentage
    ("３２０％", 3.2), ("1,200%", 12.0), ("同比增长320%", 3.2), ("下降15%", -0.15),
    ("abc", None), ("", None), ("320%%", None), ("倍", None),
])
def test_growth_as_a_fraction(con, cell, fraction):
    got = sql_value(con, C.growth_sql, cell)
    assert (got is None and fraction is None) or got == pytest.approx(fraction, abs=1e-12)


@pytest.mark.parametrize("cell,start,end", [
    ("2021年6月", D(2021, 6, 1), D(2021, 6, 30)),
    ("2021-06", D(2021, 6, 1), D(2021, 6, 30)),
    ("202106", D(2021, 6, 1), D(2021, 6, 30)),
    ("２０２１年２月", D(2021, 2, 1), D(2021, 2, 28)),
    ("2021-06-01 00:00:00", D(2021, 6, 1), D(2021, 6, 30)),   # a month Excel turned into a date
    ("44348", D(2021, 6, 1), D(2021, 6, 30)),                 # … or into a date serial
    ("2021-04-01至2021-06-30", D(2021, 4, 1), D(2021, 6, 30)),
    ("2021-04-01 至 2021-06-20", D(2021, 4, 1), D(2021, 6, 20)),
    ("2021.04-2021.06", D(2021, 4, 1), D(2021, 6, 30)),
    ("2021年4月—6月", D(2021, 4, 1), D(2021, 6, 30)),
    ("2021年4月——2021年6月", D(2021, 4, 1), D(2021, 6, 30)),
    ("2021年4月1日至6月15日", D(2021, 4, 1), D(2021, 6, 15)),
    ("2021/4/1~2021/6/30", D(2021, 4, 1), D(2021, 6, 30)),
    ("20210401-20210630", D(2021, 4, 1), D(2021, 6, 30)),
    ("2020年11月—2月", D(2020, 11, 1), D(2021, 2, 28)),      # the end month in the next year
    ("2021-06-30至2021-04-01", D(2021, 6, 30), None),         # end before start
    ("2021年13月", None, None), ("2021年4月至13月", D(2021, 4, 1), None), ("上半年", None, None),
])
def test_period_start_and_end(con, cell, start, end):
    assert sql_value(con, C.period_start_sql, cell) == start
    assert sql_value(con, C.period_end_sql, cell) == end


@pytest.mark.parametrize("cell,minutes", [
    ("85", 85.0), ("85分钟", 85.0), ("85 分钟", 85.0), ("８５分钟", 85.0), ("1小时25分", 85.0), ("1小时25分钟", 85.0),
    ("01:25:00", 85.0), ("1:25", 85.0), ("1.5小时", 90.0), ("25分30秒", 25.5), ("2h", 120.0), ("1小时", 60.0),
    ("abc", None), ("", None), ("1小时25", None),
])
def test_duration_in_minutes(con, cell, minutes):
    assert sql_value(con, C.duration_min_sql, cell) == minutes


# ------------------------------------------------------------------ power_surge_list
SURGE_HEADER = ("序号,户号,户名,用电地址,用电类别,行业分类,统计期,本期电量(kWh),上期电量(kWh),"
                "同期电量(kWh),环比增幅,同比增幅,供电所\n")


def test_surge_list_gbk_csv_with_title_rows_total_fullwidth_and_bad_rows(con, load, tmp_path):
    f = csv_file(tmp_path, "罗山供电所_电量激增用户清单_202106.csv",
                 "罗山供电所 电量激增用户清单\n"                                                     # 1
                 "统计期：2021年4月—2021年6月\n"                                                     # 2
                 + SURGE_HEADER +                                                                    # 3
                 "1,０５１００１８０３０,晋江市鑫源化工有限公司,灵源街道英塘路88号,大工业,化学原料制造,"
                 "2021年6月,\"１８，４００\",4000,4400,360%,318.2%,罗山供电所\n"                     # 4 ok
                 "2,0510018031,林某某,英塘路90号,一般工商业用电,,2021-04-01至2021-06-30,9000,3000,"
                 "1000,200%,3.2倍,罗山供电所\n"                                                      # 5 yoy ≠ kWh
                 "3,0510018032,陈某,英塘路92号,一般工商业用电,,2021年13月,9000,3000,1000,200%,800%,\n"   # 6 bad period
                 "4,0510018033,王某,英塘路94号,一般工商业用电,,202106,-5,3000,1000,,,\n"             # 7 negative
                 "5,05100180X4,张某,英塘路96号,一般工商业用电,,202106,500,300,100,,,\n"              # 8 bad account
                 "6,0510018035,李某,英塘路98号,居民,,2021.04-2021.06,500,abc,100,abc,400,\n"        # 9 warnings
                 "7,0510018036,吴某,英塘路99号,大工业用电,,2021-06,,300,100,,,\n"                    # 10 no kWh
                 "8,0510018037,郑某,英塘路100号,路灯,,,700,300,100,,,\n"                             # 11 no period
                 "合计,,,,,,,\"２７，９００\",,,,,\n",                                               # 12 total
                 encoding="gbk")
    [v] = load("power_surge_list", f)
    assert v.status == "loaded"
    assert (v.rows_read, v.rows_loaded, v.rows_rejected, v.rows_skipped, v.warnings) == (9, 3, 5, 1, 3)
    assert q(con, "SELECT src_row, account_no, account_name, address, category, industry, kwh, kwh_prev, "
                  "kwh_last_year, round(growth_mom, 6), round(growth_yoy, 6), period_start, period_end, office "
                  "FROM stg_power_surge_list ORDER BY src_row") == [
        (4, "0510018030", "晋江市鑫源化工有限公司", "灵源街道英塘路88号", "大工业用电", "化学原料制造",
         18400.0, 4000.0, 4400.0, 3.6, 3.182, D(2021, 6, 1), D(2021, 6, 30), "罗山供电所"),
        (5, "0510018031", "林某某", "英塘路90号", "一般工商业用电", None,
         9000.0, 3000.0, 1000.0, 2.0, 2.2, D(2021, 4, 1), D(2021, 6, 30), "罗山供电所"),
        # 供电所 empty on the row: the title row names it
        (9, "0510018035", "李某", "英塘路98号", "居民生活用电", None,
         500.0, None, 100.0, None, 4.0, D(2021, 4, 1), D(2021, 6, 30), "罗山供电所"),
    ]
    assert rejects(con) == [
        (5, "同比增幅", "3.2倍", MISMATCH_YOY, "warning"),
        (6, "统计期", "2021年13月", PERIOD_REASON, "reject"),
        (7, "本期电量(kWh)", "-5", "电量为负数", "reject"),
        (8, "户号", "05100180X4", "户号格式不对（应为 5–20 位数字）", "reject"),
        (9, "上期电量(kWh)", "abc", "电量不是数字", "warning"),
        (9, "环比增幅", "abc", "环比增幅无法识别（应如 320%、3.2倍），未导入该值", "warning"),
        (10, "本期电量(kWh)", None, "本期电量为空", "reject"),
        (11, "用电类别", "路灯", "用电类别不在允许范围（大工业用电/一般工商业用电/居民生活用电/农业生产用电）", "reject"),
        (11, "统计期", None, "统计期为空", "reject"),
    ]
    assert q(con, "SELECT source, header_row, encoding FROM batches") == [("power_surge_list", 3, "gb18030")]


def test_surge_list_xlsx_title_office_span_columns_and_growth_forms(con, load, tmp_path):
    # another office's export: 开始日期/结束日期 as Excel dates, 户号 as numbers without the
    # leading 0, no 供电所 column (the title names the office), growth as "倍" and bare numbers
    f = xlsx_file(tmp_path, "电量异常用户清单.xlsx", [
        ["国网晋江市供电公司深沪供电所电量激增用户清单"],                                         # 1
        [None],                                                                                  # 2
        ["户号", "用户名称", "开始日期", "结束日期", "本期用电量", "上月电量", "去年同期电量", "环比增长率(%)",
         "同比增长率(%)"],                                                                       # 3
        [510020001, "深沪某五金厂", D(2021, 4, 1), D(2021, 6, 30), 12000, 2000, 3000, 500, 300],  # 4 ok
        ["0510020002", "深沪某塑料厂", "2021年4月1日", "2021年6月30日", 8000, 4000, 2000, "2倍", "4倍"],  # 5 both agree
        ["0510020003", "某", D(2021, 6, 30), D(2021, 4, 1), 100, 50, 50, None, None],           # 6 end < start
        ["0510020004", "某", D(2021, 4, 1), None, 100, 50, 50, None, None],                      # 7 no end
        ["0510020005", "某", "2021-04-01", "2021-06-30", 100, 0, 40, "100%", "150%"],             # 8 base 0: no check
        ["合计", None, None, None, 20300, None, None, None, None],                               # 9
    ])
    [v] = load("power_surge_list", f)
    assert (v.rows_read, v.rows_loaded, v.rows_rejected, v.rows_skipped, v.warnings) == (6, 3, 2, 1, 1)
    assert q(con, "SELECT src_row, account_no, account_name, kwh, kwh_prev, kwh_last_year, growth_mom, growth_yoy, "
                  "period_start, period_end, office FROM stg_power_surge_list ORDER BY src_row") == [
        (4, "0510020001", "深沪某五金厂", 12000.0, 2000.0, 3000.0, 5.0, 3.0, D(2021, 4, 1), D(2021, 6, 30), "深沪供电所"),
        (5, "0510020002", "深沪某塑料厂", 8000.0, 4000.0, 2000.0, 1.0, 3.0, D(2021, 4, 1), D(2021, 6, 30), "深沪供电所"),
        (8, "0510020005", "某", 100.0, 0.0, 40.0, 1.0, 1.5, D(2021, 4, 1), D(2021, 6, 30), "深沪供电所"),
    ]
    assert rejects(con) == [
        (4, "户号", "510020001", "户号有 1 行少了开头的 0（Excel 把它当成了数字），已按 10 位补足，"
                                 "如第 4 行 510020001 → 0510020001；请把该列设为文本后导出", "warning"),
        (6, "结束日期", "2021-04-01", "结束日期早于开始日期", "reject"),
        (7, "结束日期", None, "结束日期为空", "reject"),
    ]
    # (row 5: 8000 vs 2000 is +300 %, the stated 4倍 is +300 % too — no warning)


def test_surge_list_stated_growth_off_by_more_than_5_points_warns(con, load, tmp_path):
    f = csv_file(tmp_path, "surge.csv",
                 "户号,年月,本期电量,上期电量,同期电量,环比增幅,同比增幅\n"
                 "0510018030,2021年6月,1000,500,400,104%,154%\n"     # 2: +100 % / +150 %: within 5 points
                 "0510018031,2021年6月,1000,500,400,106%,144%\n")    # 3: 6 points off both
    [v] = load("power_surge_list", f)
    assert (v.rows_loaded, v.warnings) == (2, 2)
    assert q(con, "SELECT src_row, period_start, period_end, office FROM stg_power_surge_list ORDER BY 1") == [
        (2, D(2021, 6, 1), D(2021, 6, 30), None), (3, D(2021, 6, 1), D(2021, 6, 30), None)]
    assert rejects(con) == [(3, "同比增幅", "144%", MISMATCH_YOY, "warning"),
                            (3, "环比增幅", "106%", MISMATCH_MOM, "warning")]


def test_surge_list_without_a_period_column_is_refused(con, load, tmp_path):
    f = csv_file(tmp_path, "no_period.csv", "户号,户名,本期电量\n0510018030,某,1000\n")
    only_start = csv_file(tmp_path, "only_start.csv", "户号,开始日期,本期电量\n0510018030,2021-04-01,1000\n")
    v1, v2 = load("power_surge_list", f, only_start)
    assert (v1.status, v2.status) == ("refused", "refused")
    assert v1.message == ("no_period.csv：未导入——未找到表头：缺少 统计期/统计期间 或 年月/月份 或 开始日期/起始日期 列，"
                          "这可能不是 电量激增清单 文件")
    assert v2.message == ("only_start.csv：未导入——未找到表头：缺少 统计期/统计期间 或 年月/月份 或 结束日期/截止日期 列，"
                          "这可能不是 电量激增清单 文件")
    assert q(con, "SELECT count(*) FROM stg_power_surge_list") == [(0,)]


# ------------------------------------------------------------------ track_alarms
ALARM_HEADER = ["序号", "车牌号", "车牌颜色", "报警类型", "报警开始时间", "报警结束时间", "持续时长", "经度", "纬度",
                "位置描述", "处理状态"]
WHERE = "福建省泉州市晋江市灵源街道英塘社区英塘路88号附近"


def test_track_alarms_xlsx_types_durations_coordinates_and_bad_rows(con, load, tmp_path):
    f = xlsx_file(tmp_path, "联网联控平台_报警明细_20210617-20210630.xlsx", [
        ["联网联控平台报警明细"],                                                                  # 1
        ["导出时间：2021年7月1日"],                                                                # 2
        ALARM_HEADER,                                                                              # 3
        [1, "闽C·12345", "黄色", "长时间停车", T(2021, 6, 17, 2, 10), T(2021, 6, 17, 3, 35), "85",
         118.61, 24.73, WHERE, "已处理"],                                                          # 4
        [2, "闽C12346", "黄色", "路线偏离", "2021年6月18日 23时05分", "2021年6月19日 0时5分", "1小时",
         "118.62", "24.74", None, "未处理"],                                                       # 5
        [3, "闽C12347", "黄色", "凌晨2-5点行驶", "2021-06-19 02:30:00", "2021-06-19 03:00:00", "00:30:00",
         None, None, WHERE, None],                                                                 # 6 no coordinates
        [4, "闽C12348", "黄色", "疲劳驾驶报警", "2021-06-20 10:00", "2021-06-20 14:25", "4小时25分钟",
         200.0, 24.7, None, None],                                                                 # 7 lon out of range
        [5, "闽C12349", "黄色", "超速报警", "2021-06-21 09:00", "2021-06-21 09:20", None,
         118.6, 24.7, None, None],                                                                 # 8 duration from times
        [6, "闽C12350", "黄色", "车辆离线", "2021-06-22 09:00", "2021-06-22 08:00", "abc",
         118.6, 24.7, None, None],                                                                 # 9 unknown, end < start
        [7, "C123", "黄色", "超速报警", "2021-06-23 09:00", None, "5", 118.6, 24.7, None, None],   # 10 bad plate
        [8, "闽C12351", "黄色", "超速报警", "2021-06-31 09:00", None, "5", 118.6, 24.7, None, None],  # 11 bad start
        [9, "闽C12352", "黄色", None, "２０２１－０６－２４ ０９:００", None, "85分钟", None, None, None, None],  # 12
        ["合计", None, None, None, None, None, None, None, None, None, None],                      # 13
    ])
    [v] = load("track_alarms", f)
    assert v.status == "loaded"
    assert (v.rows_read, v.rows_loaded, v.rows_rejected, v.rows_skipped, v.warnings) == (10, 7, 2, 1, 4)
    assert q(con, "SELECT src_row, plate, alarm_type, started_at, ended_at, duration_min, lon, lat, location "
                  "FROM stg_track_alarms ORDER BY src_row") == [
        (4, "闽C12345", "异常停车", T(2021, 6, 17, 2, 10), T(2021, 6, 17, 3, 35), 85.0, 118.61, 24.73, WHERE),
        (5, "闽C12346", "偏离路线", T(2021, 6, 18, 23, 5), T(2021, 6, 19, 0, 5), 60.0, 118.62, 24.74, None),
        (6, "闽C12347", "夜间行驶", T(2021, 6, 19, 2, 30), T(2021, 6, 19, 3, 0), 30.0, None, None, WHERE),
        (7, "闽C12348", "疲劳驾驶", T(2021, 6, 20, 10, 0), T(2021, 6, 20, 14, 25), 265.0, None, None, None),
        (8, "闽C12349", "超速行驶", T(2021, 6, 21, 9, 0), T(2021, 6, 21, 9, 20), 20.0, 118.6, 24.7, None),
        # unknown type → 其他; end before start → no end, no duration (持续时长 unreadable)
        (9, "闽C12350", "其他", T(2021, 6, 22, 9, 0), None, None, 118.6, 24.7, None),
        # empty type → 其他 without a warning; full-width date
        (12, "闽C12352", "其他", T(2021, 6, 24, 9, 0), None, 85.0, None, None, None),
    ]
    assert rejects(con) == [
        (7, "经度", "200", "经度超出范围（应在 73–136 之间）", "warning"),
        (9, "报警类型", "车辆离线", "报警类型不在允许范围（异常停车/偏离路线/夜间行驶/疲劳驾驶/超速行驶/其他）", "warning"),
        (9, "报警结束时间", "2021-06-22 08:00", "报警结束时间早于开始时间，结束时间未导入，请核对", "warning"),
        (9, "持续时长", "abc", "持续时长无法识别（应如 85、85分钟、1小时25分、01:25:00），已按开始、结束时间计算", "warning"),
        (10, "车牌号", "C123", "车牌号格式不对", "reject"),
        (11, "报警开始时间", "2021-06-31 09:00", "日期无法识别", "reject"),
    ]


def test_track_alarms_gbk_csv_gcj_datum_hours_column_and_duplicates(con, load, tmp_path):
    cfg = tmp_path / "configs"
    shutil.copytree(CONFIGS, cfg)
    y = cfg / "sources" / "track_alarms.yaml"
    y.write_text(y.read_text(encoding="utf-8").replace("datum: WGS-84", "datum: GCJ-02"), encoding="utf-8")
    f = csv_file(tmp_path, "报警.csv",
                 "危险货物运输车辆报警统计\n"
                 "车牌号码,告警类型,开始时间,结束时间,持续时长(小时),经度,纬度,报警地点\n"   # 2
                 "闽C12345,异常停留,2021/6/17 2:10,2021/6/17 3:40,1.5,118.61,24.73,英塘路\n"  # 3
                 "闽C12345,异常停留,2021/6/17 2:10,,2,118.61,24.73,英塘路\n"                # 4 same key: wins
                 "闽C12345,超速,2021/6/17 2:10,,,,,\n",                                     # 5 other type
                 encoding="gbk")
    [v] = ingest_files(con, "track_alarms", [f], cfg, None)
    assert (v.rows_read, v.rows_loaded, v.rows_rejected) == (3, 2, 1)
    rows = q(con, "SELECT src_row, alarm_type, ended_at, duration_min, round(lon, 4), round(lat, 4), location "
                  "FROM stg_track_alarms ORDER BY src_row")
    # GCJ-02 → WGS-84: (118.6056, 24.7330) is where the forward WGS→GCJ formula (see
    # test_ingest.test_gcj02_to_wgs84_macro_round_trip) lands on (118.6100, 24.7300)
    assert rows == [(4, "异常停车", None, 120.0, 118.6056, 24.733, "英塘路"),
                    (5, "超速行驶", None, None, None, None, None)]
    assert rejects(con) == [(3, "车牌号码、告警类型、开始时间", "闽C12345|异常停车|2021-06-17 02:10:00",
                             "与第 4 行关键字段重复，以第 4 行为准", "reject")]


# ------------------------------------------------------------------ registry_list
def test_registry_list_xlsx_source_key_matches_registry_and_office_from_title(con, load, tmp_path):
    uscc = with_check("91350582MA2XXXXX0")
    reg = csv_file(tmp_path, "registry.csv",
                   "统一社会信用代码,企业名称,住所\n"
                   f"{uscc},晋江市鑫源化工有限公司,灵源街道英塘路88号\n"
                   ",晋江市灵源某化工厂,灵源街道林口社区3号\n")
    lst = xlsx_file(tmp_path, "市场监管所_涉化工企业排查名单_20210630.xlsx", [
        ["灵源市场监督管理所涉化工企业排查名单"],                                                 # 1
        ["序号", "企业名称", "统一社会信用代码", "法定代表人", "住所", "经营范围", "排查原因", "排查单位", "排查日期"],  # 2
        [1, "晋江市鑫源化工有限公司", uscc, "林某", "灵源街道英塘路88号", "化工原料（不含危险化学品）销售",
         "名称含“化工”", "灵源市场监管所", "2021年6月28日"],                                      # 3
        [2, "晋江市灵源某化工厂", None, "陈某", "灵源街道林口社区3号", "化学工业专用设备制造", "经营范围含“化学工业”",
         None, D(2021, 6, 29)],                                                                     # 4 office from title
        [3, None, None, None, "某地", None, None, None, None],                                     # 5 no name, no code
        [4, "某化工贸易商行", "91350582MA2XXXXX0", None, "英塘路1号", None, None, None, "2021-06-31"],  # 6 bad uscc/date
        ["合计：4 家", None, None, None, None, None, None, None, None],                             # 7
    ])
    load("registry", reg)
    [v] = load("registry_list", lst)
    assert (v.rows_read, v.rows_loaded, v.rows_rejected, v.rows_skipped) == (5, 3, 1, 1)
    assert q(con, "SELECT src_row, uscc, name, legal_rep, address, scope, reason, office, listed_on, source_key "
                  "FROM stg_registry_list ORDER BY src_row") == [
        (3, uscc, "晋江市鑫源化工有限公司", "林某", "灵源街道英塘路88号", "化工原料(不含危险化学品)销售",
         "名称含“化工”", "灵源市场监管所", D(2021, 6, 28), uscc),
        (4, None, "晋江市灵源某化工厂", "陈某", "灵源街道林口社区3号", "化学工业专用设备制造", "经营范围含“化学工业”",
         "灵源市场监督管理所", D(2021, 6, 29), "晋江市灵源某化工厂|灵源街道林口社区3号"),
        (6, None, "某化工贸易商行", None, "英塘路1号", None, None, "灵源市场监督管理所", None, "某化工贸易商行|英塘路1号"),
    ]
    # the same entity has the same source_key in both tables (link joins them on it)
    assert q(con, "SELECT l.src_row FROM stg_registry_list l JOIN stg_registry r USING (source_key) ORDER BY 1") == [
        (3,), (4,)]
    assert q(con, 'SELECT src_row, "column", reason, severity FROM rejects WHERE source = \'registry_list\' '
                  'ORDER BY src_row, "column"') == [
        (5, "企业名称", "统一社会信用代码和企业名称均为空，无法识别该主体", "reject"),
        (6, "排查日期", "日期无法识别", "warning"),
        (6, "统一社会信用代码", "统一社会信用代码格式不对（应为18位数字或大写字母，不含 I、O、Z、S、V）", "warning"),
    ]


def test_registry_list_without_uscc_column_loads(con, load, tmp_path):
    f = csv_file(tmp_path, "排查名单.csv", "企业名称,住所,列入原因,填报单位\n某化工厂,英塘路1号,名称含化工,灵源所\n",
                 encoding="gbk")
    [v] = load("registry_list", f)
    assert v.rows_loaded == 1
    assert q(con, "SELECT uscc, uscc_valid, source_key, reason, office FROM stg_registry_list") == [
        (None, None, "某化工厂|英塘路1号", "名称含化工", "灵源所")]


# ------------------------------------------------------------------ monthly bills
def test_monthly_bills_with_account_details_and_no_daily_readings(con, load, tmp_path):
    f = csv_file(tmp_path, "营销系统_月度电量_201907-202106.csv",
                 "营销系统月度电量\n"
                 "户号,户名,用电地址,用电类别,行业分类,电费年月,总电量(kWh)\n"                          # 2
                 "0510018030,晋江市鑫源化工有限公司,英塘路88号,大工业,化学原料制造,201907,\"4,400\"\n"  # 3
                 "0510018030,晋江市鑫源化工有限公司,英塘路88号,大工业,化学原料制造,２０２１年６月,18400\n"  # 4
                 "0510018031,林某,英塘路90号,路灯用电,,2021-06,300\n"                                   # 5 unknown category
                 "0510018032,陈某,英塘路92号,居民,,2021-13,300\n"                                       # 6 bad month
                 "合计,,,,,,\"23,100\"\n",                                                            # 7
                 encoding="gbk")
    [v] = load("power_readings", f)
    assert (v.rows_read, v.rows_loaded, v.rows_rejected, v.rows_skipped, v.warnings) == (5, 3, 1, 1, 1)
    assert q(con, "SELECT src_row, account_no, day, period, kwh, kwh_peak, kwh_valley, account_name, address, "
                  "category, industry FROM stg_power_readings ORDER BY src_row") == [
        (3, "0510018030", D(2019, 7, 1), "month", 4400.0, None, None, "晋江市鑫源化工有限公司", "英塘路88号",
         "大工业用电", "化学原料制造"),
        (4, "0510018030", D(2021, 6, 1), "month", 18400.0, None, None, "晋江市鑫源化工有限公司", "英塘路88号",
         "大工业用电", "化学原料制造"),
        (5, "0510018031", D(2021, 6, 1), "month", 300.0, None, None, "林某", "英塘路90号", None, None),
    ]
    assert rejects(con) == [
        (5, "用电类别", "路灯用电", "用电类别不在允许范围（大工业用电/一般工商业用电/居民生活用电/农业生产用电）", "warning"),
        (6, "电费年月", "2021-13", "年月无法识别", "reject"),
    ]


def test_daily_readings_leave_the_account_details_null(con, load, tmp_path):
    f = csv_file(tmp_path, "daily.csv", "户号,日期,总电量,峰电量,平电量,谷电量\n0510018030,2021-07-05,100,30,40,30\n")
    [v] = load("power_readings", f)
    assert v.rows_loaded == 1
    assert q(con, "SELECT period, account_name, address, category, industry FROM stg_power_readings") == [
        ("day", None, None, None, None)]
