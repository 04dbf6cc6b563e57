"""Ingest stage: every mess of real office exports, fed as a small inline file."""

from __future__ import annotations

import datetime as dt
import logging
import math
from pathlib import Path

import duckdb
import pytest
import xlsxwriter

from pipeline.ingest import (SOURCES, ingest_files, ingest_inbox, load_source_configs,
                             validate_source_configs)

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_W = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc(body17: str) -> str:
    """A code with a correct check character (DESIGN §8)."""
    s = sum(USCC_CHARSET.index(c) * w for c, w in zip(body17, USCC_W))
    return body17 + USCC_CHARSET[(31 - s % 31) % 31]


def bad_check(code: str) -> str:
    last = USCC_CHARSET[(USCC_CHARSET.index(code[-1]) + 1) % 31]
    return code[:-1] + last


@pytest.fixture
def con():
    c = duckdb.connect()
    yield c
    c.close()


@pytest.fixture
def load(con, tmp_path):
    def _load(source, *files):
        return ingest_files(con, source, [Path(f) for f in files], CONFIGS, tmp_path / "archive")
    return _load


def csv_file(tmp_path, name, text, encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def xlsx_file(tmp_path, name, rows, start_row=0):
    p = tmp_path / name
    wb = xlsxwriter.Workbook(str(p))
    ws = wb.add_worksheet()
    datefmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, (dt.date, dt.datetime)):
                ws.write_datetime(start_row + r, c, v if isinstance(v, dt.datetime)
                                  else dt.datetime(v.year, v.month, v.day), datefmt)
            else:
                ws.write(start_row + r, c, v)
    wb.close()
    return p


def q(con, sql, *params):
    return con.execute(sql, list(params)).fetchall()


def rejects(con):
    return q(con, 'SELECT src_row, "column", value, reason, severity FROM rejects ORDER BY src_row, "column"')


# ------------------------------------------------------------------ structure mess
def test_title_rows_total_row_blank_rows_row_numbers(con, load, tmp_path):
    f = csv_file(tmp_path, "readings.csv",
                 "灵源供电所用电量清单\n"
                 "导出时间：2021-08-01\n"
                 "户号,日期,总电量(kWh),峰电量,尖峰电量,平电量,谷电量\n"      # row 3
                 "0012345678,2021-07-05,\"1,234.5\",300,34.5,500,400\n"       # 4
                 "\n"                                                           # 5 blank
                 "0012345678,2021-07-06,-5,,,,\n"                               # 6 negative
                 ",,,,,,\n"                                                     # 7 blank row
                 "0012345679,2021-07-07,abc,,,,\n"                              # 8 not numeric
                 ",2021-07-07,12,,,,\n"                                         # 9 empty key
                 "0012345679,2021-13-07,1,,,,\n"                                # 10 bad date
                 "0012345679,2021-07-08,7,,,,\n"                                # 11 ok
                 "合计,,\"1,249.5\",,,,\n")                                     # 12 total
    [v] = load("power_readings", f)
    assert v.status == "loaded"
    assert (v.rows_read, v.rows_loaded, v.rows_rejected, v.rows_skipped) == (8, 2, 4, 2)
    assert v.message == ("readings.csv：读取 8 行，导入 2 行，拒收 4 行（见 rejects 表），跳过合计/空行 2 行")
    assert q(con, "SELECT src_row, account_no, day, period, kwh, kwh_peak, kwh_flat, kwh_valley "
                  "FROM stg_power_readings ORDER BY src_row") == [
        (4, "0012345678", dt.date(2021, 7, 5), "day", 1234.5, 334.5, 500.0, 400.0),
        (11, "0012345679", dt.date(2021, 7, 8), "day", 7.0, None, None, None),
    ]
    assert rejects(con) == [
        (6, "总电量(kWh)", "-5", "电量为负数", "reject"),
        (8, "总电量(kWh)", "abc", "电量不是数字", "reject"),
        (9, "户号", None, "户号为空", "reject"),
        (10, "日期", "2021-13-07", "日期无法识别", "reject"),
    ]
    assert q(con, "SELECT header_row, rows_read, rows_loaded, rows_rejected, rows_skipped FROM batches") == [
        (3, 8, 2, 4, 2)]


def test_tariff_parts_that_do_not_add_up_to_the_total_load_with_a_warning(con, load, tmp_path):
    f = csv_file(tmp_path, "tou.csv",
                 "户号,日期,总电量,峰电量,平电量,谷电量\n"
                 "0012345678,2021-07-05,100,30,40,30\n"      # 2 adds up
                 "0012345678,2021-07-06,100,30,40,31.5\n"    # 3 off by 1.5%: within the tolerance
                 "0012345678,2021-07-07,100,30,40,50\n"      # 4 off by 20 kWh
                 "0012345678,2021-07-08,0.5,0,0,1.2\n"       # 5 off by 0.7 kWh: under 1 kWh
                 "0012345678,2021-07-09,100,,,\n")           # 6 no parts: nothing to compare
    [v] = load("power_readings", f)
    assert (v.rows_loaded, v.rows_rejected, v.warnings) == (5, 0, 1)
    assert rejects(con) == [(4, "总电量", "100", "峰、平、谷（含尖峰）电量之和与总电量相差超过 2%（已导入，请向供电所核对）",
                             "warning")]
    assert q(con, "SELECT kwh, kwh_valley FROM stg_power_readings WHERE src_row = 4") == [(100.0, 50.0)]


def test_row_numbers_without_blank_lines_and_with_quoted_newlines(con, load, tmp_path):
    f = csv_file(tmp_path, "reg.csv",
                 "统一社会信用代码,企业名称,住所,成立日期,经营范围\n"
                 f"{uscc('91350582MA2Y00001')},甲公司,灵水社区灵安路9号,2019-01-01,\"一般项目：\n化工产品销售\"\n"
                 "X,乙公司,英塘,2019-02-30,\n"
                 ",,,,\n"
                 ",丙厂,小浯塘,1900-01-01,\n")
    [v] = load("registry", f)
    assert v.rows_loaded == 3 and v.rows_rejected == 0
    assert q(con, "SELECT src_row, name, founded, scope FROM stg_registry ORDER BY src_row") == [
        (2, "甲公司", dt.date(2019, 1, 1), "一般项目: 化工产品销售"),
        (3, "乙公司", None, None),
        (5, "丙厂", None, None),
    ]
    assert rejects(con) == [
        (3, "成立日期", "2019-02-30", "日期无法识别", "warning"),
        (3, "统一社会信用代码", "X", "统一社会信用代码格式不对（应为18位数字或大写字母，不含 I、O、Z、S、V）", "warning"),
        (5, "成立日期", "1900-01-01", "日期不合理（应在 1949–2100 年之间）", "warning"),
    ]


def test_xlsx_title_rows_date_serials_and_blank_rows(con, load, tmp_path):
    f = xlsx_file(tmp_path, "用电量.xlsx", [
        ["灵源供电所 2021年7月 日电量"],
        [],
        ["户号", "日期", "总电量（kWh）"],                 # Excel row 3
        ["0012345678", 44382, 10],                         # serial number typed as a number
        ["0012345678", dt.date(2021, 7, 6), "1,000"],      # real date cell
        [],                                                # blank row 6
        ["0012345679", "2021年7月7日", -1],
        ["合计", None, 1009],
    ])
    [v] = load("power_readings", f)
    assert (v.rows_read, v.rows_loaded, v.rows_rejected, v.rows_skipped) == (5, 2, 1, 2)
    assert q(con, "SELECT src_row, account_no, day, kwh FROM stg_power_readings ORDER BY src_row") == [
        (4, "0012345678", dt.date(2021, 7, 5), 10.0),
        (5, "0012345678", dt.date(2021, 7, 6), 1000.0),
    ]
    assert rejects(con) == [(7, "总电量（kWh）", "-1", "电量为负数", "reject")]
    assert q(con, "SELECT header_row, sheet, encoding FROM batches") == [(3, "Sheet1", None)]


# ------------------------------------------------------------------ encodings
REG_TEXT = ("统一社会信用代码,企业名称,住所,登记状态\n"
            "{code},晋江市灵源鞋材化工有限公司,晋江市灵源街道灵水社区灵安路9号,存续\n")


@pytest.mark.parametrize("encoding,expected", [("gbk", "GB18030"), ("utf-8-sig", "UTF-8-SIG"), ("utf-8", None)])
def test_csv_encodings(con, load, tmp_path, encoding, expected):
    code = uscc("91350582MA2Y12345")
    f = csv_file(tmp_path, "reg.csv", REG_TEXT.format(code=code), encoding)
    [v] = load("registry", f)
    assert v.rows_loaded == 1, v.message
    assert q(con, "SELECT uscc, uscc_valid, name, address, status, source_key FROM stg_registry") == [
        (code, True, "晋江市灵源鞋材化工有限公司", "晋江市灵源街道灵水社区灵安路9号", "存续", code)]
    assert q(con, "SELECT encoding FROM batches") == [(expected.lower() if expected else "utf-8",)]


def test_gb18030_only_characters(con, load, tmp_path):
    name = "晋江市𠀾化工厂"          # U+2003E is not in GBK, only in GB18030
    f = csv_file(tmp_path, "reg.csv", REG_TEXT.format(code="").replace("晋江市灵源鞋材化工有限公司", name),
                 "gb18030")
    [v] = load("registry", f)
    assert v.rows_loaded == 1
    assert q(con, "SELECT name, uscc, source_key FROM stg_registry") == [
        (name, None, name + "|晋江市灵源街道灵水社区灵安路9号")]


def test_undecodable_text_is_refused(con, load, tmp_path):
    f = tmp_path / "junk.csv"
    f.write_bytes(bytes(range(128, 256)) * 50)
    [v] = load("registry", f)
    assert v.status == "refused"
    assert "无法识别文件编码" in v.message


# ------------------------------------------------------------------ normalisation
def test_fullwidth_thousands_synonyms_units_enums_and_gcj(con, load, tmp_path):
    f = csv_file(tmp_path, "accounts.csv",
                 "＊用户编号 , 客户名称 ,用电地址,用户类别,合同容量（ｋＶＡ）,立户日期,状态,经度,纬度\n"
                 "００１２３４５６,鞋材厂,灵水社区灵安路９号,大工业,\"１，２５０\",2019年3月1日,正常用电,118.5844498,24.8369954\n"
                 "00123457,李某,英塘村,商业用电,50,2020/1/2,暂停,200,24.8\n"
                 "00123458,张某,林口,外星用电,-3,44000,已销户,,\n")
    [v] = load("power_accounts", f)
    assert (v.rows_loaded, v.rows_rejected, v.warnings) == (3, 0, 3)
    got = q(con, "SELECT account_no, account_name, address, category, capacity_kva, opened, status, lon, lat "
                 "FROM stg_power_accounts ORDER BY account_no")
    assert got[0][:7] == ("00123456", "鞋材厂", "灵水社区灵安路9号", "大工业用电", 1250.0, dt.date(2019, 3, 1), "正常")
    # GCJ-02 (118.5844498, 24.8369954) is WGS-84 (118.58, 24.84)
    assert abs(got[0][7] - 118.58) * 101000 < 1 and abs(got[0][8] - 24.84) * 111000 < 1
    assert got[1] == ("00123457", "李某", "英塘村", "一般工商业用电", 50.0, dt.date(2020, 1, 2), "暂停", None, None)
    assert got[2] == ("00123458", "张某", "林口", None, None, dt.date(2020, 6, 18), "销户", None, None)
    assert rejects(con) == [
        (3, "经度", "200", "经度超出范围（应在 73–136 之间）", "warning"),
        (4, "合同容量（ｋＶＡ）", "-3", "合同容量为负数", "warning"),
        (4, "用户类别", "外星用电",
         "用电类别不在允许范围（大工业用电/一般工商业用电/居民生活用电/农业生产用电）", "warning"),
    ]


def test_header_synonyms_and_monthly_readings(con, load, tmp_path):
    f = csv_file(tmp_path, "monthly.csv",
                 "用户编号,电费年月,有功总电量（kWh）,谷段,平段电量\n"
                 "012345,2021年7月,\"12,000\",1,2\n"
                 "012345,202108,13000,,\n"
                 "012345,2021-09,14000,,\n"
                 "012345,2021年13月,1,,\n")
    [v] = load("power_readings", f)
    assert (v.rows_loaded, v.rows_rejected) == (3, 1)
    assert q(con, "SELECT src_row, account_no, day, period, kwh, kwh_flat FROM stg_power_readings ORDER BY day") == [
        (2, "012345", dt.date(2021, 7, 1), "month", 12000.0, 2.0),
        (3, "012345", dt.date(2021, 8, 1), "month", 13000.0, None),
        (4, "012345", dt.date(2021, 9, 1), "month", 14000.0, None),
    ]
    assert rejects(con) == [(5, "电费年月", "2021年13月", "年月无法识别", "reject")]


def test_account_numbers_keep_leading_zeros_and_refuse_scientific(con, load, tmp_path):
    f = csv_file(tmp_path, "acc.csv",
                 "户号,户名,用电地址\n"
                 "0000123456,甲,林口\n"
                 "1.23457E+11,乙,张前\n"
                 "12AB5678,丙,林格\n")
    [v] = load("power_accounts", f)
    assert q(con, "SELECT account_no FROM stg_power_accounts") == [("0000123456",)]
    assert rejects(con) == [
        (3, "户号", "1.23457E+11", "户号被 Excel 改成了科学计数法，无法还原，请把该列设为文本后重新导出", "reject"),
        (4, "户号", "12AB5678", "户号格式不对（应为 5–20 位数字）", "reject"),
    ]


def test_uscc_check_digit_failure_is_a_warning_only(con, load, tmp_path):
    good = uscc("91350582MA2Y12345")
    wrong = bad_check(uscc("91350582MA2Y54321"))
    f = csv_file(tmp_path, "reg.csv",
                 "统一社会信用代码,企业名称,住所\n"
                 f"{good},甲,林口\n"
                 f"{wrong.lower()},乙,张前\n"
                 ",,\n"
                 ",,林格\n")
    [v] = load("registry", f)
    assert (v.rows_loaded, v.rows_rejected, v.warnings, v.rows_skipped) == (2, 1, 1, 1)
    assert q(con, "SELECT src_row, uscc, uscc_valid, name FROM stg_registry ORDER BY src_row") == [
        (2, good, True, "甲"), (3, wrong, False, "乙")]
    assert rejects(con) == [
        (3, "统一社会信用代码", wrong.lower(), "统一社会信用代码校验位不符（可能录入错误，仍已导入）", "warning"),
        (5, "企业名称", None, "统一社会信用代码和企业名称均为空，无法识别该主体", "reject"),
    ]


def test_tracks_coordinates_out_of_range_rejected_plates_normalised(con, load, tmp_path):
    f = csv_file(tmp_path, "gps.csv",
                 "车牌号码,GPS时间,经度,纬度,速度(km/h),方向\n"
                 "闽C·12345,2021-07-05 23:10:00,118.58,24.84,0,90\n"
                 "闽c-12345,2021/7/5 23:15,118.58,24.84,-3,x\n"
                 "闽C12345,2021-07-05 23:20:00,18.58,24.84,0,0\n"
                 "闽C12345,2021-07-05 23:25:00,118.58,94.84,0,0\n"
                 "闽C12345,昨天,118.58,24.84,0,0\n"
                 "ABC,2021-07-05 23:30:00,118.58,24.84,0,0\n")
    [v] = load("tracks", f)
    assert (v.rows_loaded, v.rows_rejected, v.warnings) == (2, 4, 2)
    assert q(con, "SELECT src_row, plate, ts, lon, lat, speed, heading FROM stg_tracks ORDER BY src_row") == [
        (2, "闽C12345", dt.datetime(2021, 7, 5, 23, 10), 118.58, 24.84, 0.0, 90.0),
        (3, "闽C12345", dt.datetime(2021, 7, 5, 23, 15), 118.58, 24.84, None, None),
    ]
    assert rejects(con) == [
        (3, "方向", "x", "方向不是数字", "warning"),
        (3, "速度(km/h)", "-3", "速度为负数", "warning"),
        (4, "经度", "18.58", "经度超出范围（应在 73–136 之间）", "reject"),
        (5, "纬度", "94.84", "纬度超出范围（应在 3–54 之间）", "reject"),
        (6, "GPS时间", "昨天", "日期无法识别", "reject"),
        (7, "车牌号码", "ABC", "车牌号格式不对", "reject"),
    ]


def test_sites_bad_coordinates_only_null_the_coordinates(con, load, tmp_path):
    f = csv_file(tmp_path, "sites.csv",
                 "编号,场所类型,地址,业主,经度,纬度\n"
                 "S1,废弃猪场,大山后,王某,118.59,24.853\n"
                 "S2,闲置厂房,灵水,李某,北纬,24.85\n"
                 ",闲置民房,林口,,118.57,24.83\n")
    [v] = load("sites", f)
    assert q(con, "SELECT site_id, site_type, address, owner, lon, lat FROM stg_sites ORDER BY site_id") == [
        ("S1", "废弃养殖场", "大山后", "王某", 118.59, 24.853),
        ("S2", "闲置厂房", "灵水", "李某", None, None),
    ]
    assert rejects(con) == [
        (3, "经度", "北纬", "经度不是数字", "warning"),
        (4, "编号", None, "编号为空", "reject"),
    ]


def test_waybill_units_and_quantity_kg(con, load, tmp_path):
    f = csv_file(tmp_path, "wb.csv",
                 "运单编号,托运人,收货人,卸货地址,货物名称,数量,单位,车牌号,起运日期\n"
                 "W1,某化工,甲,灵水,甲苯,12.5吨,,闽C·D1234,2021-07-05 08:00\n"
                 "W2,某化工,乙,英塘,丁酮,500,千克,闽CD1234,2021年7月6日\n"
                 "W3,某化工,丙,林口,盐酸,200,L,闽CD1234,44383\n")
    [v] = load("waybills", f)
    assert v.rows_loaded == 3 and v.rows_rejected == 0 and v.warnings == 0
    assert q(con, "SELECT waybill_no, quantity, unit, quantity_kg, plate, depart_at FROM stg_waybills "
                  "ORDER BY waybill_no") == [
        ("W1", 12.5, "吨", 12500.0, "闽CD1234", dt.datetime(2021, 7, 5, 8, 0)),
        ("W2", 500.0, "kg", 500.0, "闽CD1234", dt.datetime(2021, 7, 6)),
        ("W3", 200.0, "L", None, "闽CD1234", dt.datetime(2021, 7, 6)),
    ]


def test_duplicate_keys_in_one_file_last_row_wins(con, load, tmp_path):
    f = csv_file(tmp_path, "acc.csv", "户号,户名,用电地址\n00001,旧名,林口\n00002,乙,张前\n00001,新名,林口\n")
    [v] = load("power_accounts", f)
    assert (v.rows_loaded, v.rows_rejected) == (2, 1)
    assert q(con, "SELECT account_no, account_name FROM stg_power_accounts ORDER BY 1") == [
        ("00001", "新名"), ("00002", "乙")]
    assert rejects(con) == [(2, "户号", "00001", "与第 4 行关键字段重复，以第 4 行为准", "reject")]


# ------------------------------------------------------------------ refusals
def _db_state(con):
    return [q(con, f"SELECT count(*) FROM {t}")[0][0]
            for t in ("batches", "rejects", "stg_registry", "stg_power_accounts")]


def test_refused_files_leave_database_unchanged(con, load, tmp_path):
    ok = csv_file(tmp_path, "a_ok.csv", "户号,户名,用电地址\n00001,甲,林口\n")
    registry_export = csv_file(tmp_path, "b_registry.csv", "统一社会信用代码,企业名称,住所\nX,甲,林口\n")
    corrupt = tmp_path / "c_corrupt.xlsx"
    corrupt.write_bytes(b"PK\x03\x04" + b"\x00garbage" * 100)
    empty = tmp_path / "d_empty.csv"
    empty.write_bytes(b"")
    binary = tmp_path / "e_binary.xlsx"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    blank_sheet = xlsx_file(tmp_path, "f_blank.xlsx", [])
    vs = load("power_accounts", ok, registry_export, corrupt, empty, binary, blank_sheet)
    assert [v.status for v in vs] == ["loaded"] + ["refused"] * 5
    assert vs[1].message == ("b_registry.csv：未导入——未找到表头：缺少 户号/用户编号、户名/用户名称、"
                             "用电地址/地址 列，这可能不是 电力用户档案 文件")
    assert vs[2].message == "c_corrupt.xlsx：未导入——Excel 文件已损坏或无法读取"
    assert vs[3].message == "d_empty.csv：未导入——文件为空"
    assert "无法识别文件编码" in vs[4].message
    assert vs[5].message == "f_blank.xlsx：未导入——文件为空（工作表没有数据）"
    assert _db_state(con) == [1, 0, 0, 1]
    assert sorted(p.name.split("_", 1)[1] for p in (tmp_path / "archive" / "power_accounts").iterdir()) == ["a_ok.csv"]


def test_missing_one_required_header_names_it(con, load, tmp_path):
    f = csv_file(tmp_path, "x.csv", "标题\n户名,用电地址,用电类别\n甲,林口,大工业\n")
    [v] = load("power_accounts", f)
    assert v.message == "x.csv：未导入——未找到表头：缺少 户号/用户编号 列，这可能不是 电力用户档案 文件"


def test_same_file_twice_is_unchanged(con, load, tmp_path):
    f = csv_file(tmp_path, "acc.csv", "户号,户名,用电地址\n00001,甲,林口\n")
    [a] = load("power_accounts", f)
    before = _db_state(con)
    g = csv_file(tmp_path, "acc_copy.csv", "户号,户名,用电地址\n00001,甲,林口\n")
    [b] = load("power_accounts", g)
    assert a.status == "loaded" and b.status == "unchanged"
    assert b.message == f"acc_copy.csv：与已导入的批次 {a.batch_id}（acc.csv）内容相同，未重复导入"
    assert _db_state(con) == before
    archived = list((tmp_path / "archive" / "power_accounts").iterdir())
    assert len(archived) == 1 and archived[0].read_bytes() == f.read_bytes()
    [(path, sha)] = q(con, "SELECT archived_path, sha256 FROM batches")
    assert path == str(archived[0]) and archived[0].name == f"{sha[:12]}_acc.csv"


def test_newer_export_replaces_older_values_and_says_so(con, load, tmp_path):
    old = csv_file(tmp_path, "acc_0701.csv", "户号,户名,用电地址,用电类别\n00001,甲,林口,居民\n00002,乙,张前,居民\n")
    new = csv_file(tmp_path, "acc_0801.csv", "户号,户名,用电地址,用电类别\n00001,甲,林口,大工业\n00003,丙,林格,居民\n")
    load("power_accounts", old)
    [v] = load("power_accounts", new)
    assert v.rows_replaced == 1
    assert v.message == "acc_0801.csv：读取 2 行，导入 2 行，拒收 0 行，替换旧记录 1 行"
    assert q(con, "SELECT account_no, category, batch_id FROM stg_power_accounts ORDER BY 1") == [
        ("00001", "大工业用电", 2), ("00002", "居民生活用电", 1), ("00003", "居民生活用电", 2)]
    assert q(con, "SELECT batch_id, rows_replaced FROM batches ORDER BY 1") == [(1, 0), (2, 1)]


# ------------------------------------------------------------------ privacy
def test_tip_reporter_identity_only_in_tip_reporters(con, load, tmp_path, caplog):
    f = csv_file(tmp_path, "tips.csv",
                 "举报编号,受理时间,举报内容,被举报地址,被举报单位,举报人,举报人电话\n"
                 "T1,2021-07-05 21:00,夜间刺鼻气味,灵水社区后山,某鞋材厂,陈秘密,13900000001\n"
                 "T2,不详,晚上有货车卸桶,英塘村,,林保密,13900000002\n"
                 ",2021-07-06,无编号,林口,,黄隐私,13900000003\n")
    with caplog.at_level(logging.DEBUG):
        [v] = load("tips", f)
    assert (v.rows_loaded, v.rows_rejected, v.warnings) == (2, 1, 1)
    assert [c for (c,) in q(con, "SELECT column_name FROM information_schema.columns "
                                 "WHERE table_name = 'stg_tips'")] == [
        "batch_id", "src_row", "tip_id", "received_at", "content", "address", "subject"]
    assert q(con, "SELECT tip_id, reporter, reporter_phone FROM tip_reporters ORDER BY 1") == [
        ("T1", "陈秘密", "13900000001"), ("T2", "林保密", "13900000002")]
    everything = repr(q(con, "SELECT * FROM stg_tips")) + repr(rejects(con)) + repr(q(con, "SELECT * FROM batches"))
    everything += v.message + caplog.text
    for secret in ("陈秘密", "林保密", "黄隐私", "1390000000"):
        assert secret not in everything


# ------------------------------------------------------------------ inbox, configs
def test_ingest_inbox_order_and_unknown_folder(con, tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "power_accounts").mkdir(parents=True)
    (inbox / "registry").mkdir()
    (inbox / "misc").mkdir()
    (inbox / "power_accounts" / "b.csv").write_text("户号,户名,用电地址\n00002,乙,张前\n", encoding="utf-8")
    (inbox / "power_accounts" / "a.csv").write_text("户号,户名,用电地址\n00001,甲,林口\n", encoding="utf-8")
    (inbox / "power_accounts" / "notes.docx").write_bytes(b"x")
    (inbox / "registry" / "r.csv").write_text("统一社会信用代码,企业名称,住所\n,甲,林口\n", encoding="utf-8")
    vs = ingest_inbox(con, inbox, CONFIGS, tmp_path / "archive")
    assert [(v.source, v.file_name, v.status) for v in vs] == [
        ("misc", "misc", "refused"), ("power_accounts", "power_accounts/notes.docx", "refused"),
        ("registry", "r.csv", "loaded"), ("power_accounts", "a.csv", "loaded"), ("power_accounts", "b.csv", "loaded")]
    assert "misc 不是已知的数据源" in vs[0].message


def test_configs_valid_and_broken_config_reported(tmp_path):
    assert validate_source_configs(CONFIGS) == []
    assert set(load_source_configs(CONFIGS)) == set(SOURCES)
    broken = tmp_path / "configs"
    (broken / "sources").mkdir(parents=True)
    for p in (CONFIGS / "sources").iterdir():
        (broken / "sources" / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    (broken / "sources" / "sites.yaml").write_text(
        "source: sites\nkey: [site_id]\nfields:\n  site_id: {type: codes, synonyms: [编号]}\n", encoding="utf-8")
    (broken / "sources" / "tips.yaml").unlink()
    errs = validate_source_configs(broken)
    assert "缺少数据源配置文件 " + str(broken / "sources" / "tips.yaml") in errs
    assert any("sites.yaml：字段 site_id 的类型 'codes' 未知" in e for e in errs)
    assert "sites.yaml：缺少字段 lon（程序需要它）" in errs


def test_gcj02_to_wgs84_macro_round_trip(con):
    """Independent Python forward transform (WGS→GCJ); the SQL inverse must undo it."""
    from pipeline.ingest.clean_sql import gcj_to_wgs_sql
    from pipeline.ingest.engine import ensure_schema

    ensure_schema(con)
    a, ee = 6378245.0, 0.00669342162296594323

    def fwd(lon, lat):
        x, y = lon - 105.0, lat - 35.0
        dlat = (-100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
                + (20 * math.sin(6 * x * math.pi) + 20 * math.sin(2 * x * math.pi)) * 2 / 3
                + (20 * math.sin(y * math.pi) + 40 * math.sin(y / 3 * math.pi)) * 2 / 3
                + (160 * math.sin(y / 12 * math.pi) + 320 * math.sin(y * math.pi / 30)) * 2 / 3)
        dlon = (300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
                + (20 * math.sin(6 * x * math.pi) + 20 * math.sin(2 * x * math.pi)) * 2 / 3
                + (20 * math.sin(x * math.pi) + 40 * math.sin(x / 3 * math.pi)) * 2 / 3
                + (150 * math.sin(x / 12 * math.pi) + 300 * math.sin(x / 30 * math.pi)) * 2 / 3)
        rad = lat / 180 * math.pi
        magic = 1 - ee * math.sin(rad) ** 2
        dlat = dlat * 180 / ((a * (1 - ee)) / (magic * math.sqrt(magic)) * math.pi)
        dlon = dlon * 180 / (a / math.sqrt(magic) * math.cos(rad) * math.pi)
        return lon + dlon, lat + dlat

    for lon, lat in [(118.575, 24.838), (118.602, 24.846), (116.397, 39.909)]:
        glon, glat = fwd(lon, lat)
        # the offset in Fujian is a few hundred metres
        assert 300 < math.hypot((glon - lon) * 101000, (glat - lat) * 111000) < 800
        wlon, wlat = q(con, gcj_to_wgs_sql("SELECT ?::DOUBLE AS lon, ?::DOUBLE AS lat", "lon", "lat"), glon, glat)[0]
        assert math.hypot((wlon - lon) * 101000, (wlat - lat) * 111000) < 1.0


@pytest.mark.parametrize("fast", [True, False])
def test_a_reading_dated_in_the_future_is_refused_but_a_licence_may_expire_later(con, load, tmp_path,
                                                                                 monkeypatch, fast):
    # a reading dated 2099 used to load and make the run "as of 2099": every window empty and
    # the power signals failed (drill_hostile H30). A licence's expiry lies ahead by nature.
    import pipeline.ingest.engine as engine
    monkeypatch.setattr(engine, "FAST_PATH", fast, raising=False)
    f = csv_file(tmp_path, "r.csv",
                 "户号,日期,总电量\n"
                 "0510018030,2021-06-01,12\n"
                 "0510018030,2099-01-01,13\n"
                 "0510018030,2021-06-02,14\n")
    [v] = load("power_readings", f)
    assert q(con, "SELECT day::VARCHAR, kwh FROM stg_power_readings ORDER BY day") == [
        ("2021-06-01", 12.0), ("2021-06-02", 14.0)]
    assert rejects(con) == [(3, "日期", "2099-01-01", "日期晚于今天，请核对年份（记录的日期不能在将来）", "reject")]
    lic = csv_file(tmp_path, "l.csv",
                   "许可证编号,单位名称,许可类别,有效期起,有效期至\n"
                   f"闽WH安许证字[2021]001号,某化工有限公司,经营许可,2021-01-01,{dt.date.today().year + 3}-01-01\n")
    load("licenses", lic)
    assert q(con, "SELECT year(valid_to) FROM stg_licenses") == [(dt.date.today().year + 3,)]
