"""Ingest fast path: rows that pass every field's cheap exact test go straight into stg_*.
The result must be exactly what the full cleaning gives (the fast path is only faster)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from pipeline.ingest import engine, ingest_files

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def _snapshot(con):
    out = {}
    for t in ("stg_power_readings", "stg_tracks", "stg_power_accounts", "rejects"):
        out[t] = con.execute(f"SELECT * EXCLUDE (batch_id) FROM {t} ORDER BY ALL").fetchall()
    out["batches"] = con.execute(
        "SELECT file_name, header_row, rows_read, rows_loaded, rows_rejected, rows_replaced, rows_skipped, "
        "warnings FROM batches ORDER BY batch_id").fetchall()
    return out


def _ingest_all(tmp_path, fast: bool, monkeypatch):
    monkeypatch.setattr(engine, "FAST_PATH", fast)
    d = tmp_path / ("fast" if fast else "full")
    d.mkdir()
    readings1 = d / "r1.csv"
    readings1.write_text(
        "灵源供电所用电量\n"
        "户号,日期,总电量,峰电量,尖峰电量,平电量,谷电量,备注\n"
        "0012345678,2021-07-05,12.5,1,,2,9.5,\n"
        "0012345678,2021-07-06,１２.５,1,,2,9.5,\n"         # full-width: slow path, same value
        "0012345678,2021/7/7,\"1,234.5\",,,,,\n"            # slashes and thousands
        "0012345679,2021年7月8日,7kWh,,,,,\n"
        "0012345679,2021-07-09,-1,,,,,\n"                   # negative: rejected
        "1.23E+09,2021-07-09,5,,,,,\n"                      # scientific account
        " 0012345679 ,2021-07-10,5,,,,,\n"                  # padded account
        "0012345679,2021-07-11,5,x,,,,\n"                   # bad peak
        "0012345679,44388,5,,,,,\n"                         # Excel serial
        "0012345678,2021-07-05,13,,,,,\n"                   # duplicate of row 3 (fast + fast)
        "0012345678,2021-07-06,14,,,,,\n"                   # duplicate of row 4 (slow + fast)
        "\n"
        "0012345680,2021-07-12,,,,,,\n"                     # empty total
        "0012345680,,5,,,,,\n"                              # no date
        ",,,,,,,\n"
        "0012345680,2021-07-13,5,,,,,合计行\n"              # 合计 in a column no field reads? not a total
        "合计,,100,,,,,\n",
        encoding="utf-8")
    readings2 = d / "r2.csv"                                # newer export: replaces 07-05 and 07-12
    readings2.write_text("户号,日期,总电量\n0099999999,2030-01-01,1\n"     # in the future: refused
                         "0012345678,2021-07-05,99\n0012345680,2021-07-12,1\n", encoding="utf-8")
    tracks = d / "t.csv"
    tracks.write_text(
        "车牌号,定位时间,经度,纬度,速度,方向\n"
        "闽CD1865,2021-06-17 00:10:00,118.548012,24.811999,62.7,90\n"
        "闽 cd-1865,2021-06-17 00:20:00,118.5,24.8,0,0\n"
        "闽CD1865,2021/6/17 0:30,118.5,24.8,,\n"
        "闽CD1865,2021-06-17 00:40:00,200,24.8,1,1\n"
        "闽CD1865,2021-06-17 00:50:00,,,1,1\n"
        "ABC,2021-06-17 01:00:00,118.5,24.8,1,1\n"
        "闽CD1865,2021-06-17 00:10:00,118.6,24.9,1,1\n",
        encoding="utf-8")
    accounts = d / "a.csv"
    accounts.write_text(
        "户号,户名,用电地址,用电类别,合同容量,立户日期,用户状态,经度,纬度\n"
        "00001,甲,林口,大工业用电,400,2019-01-01,正常,118.58,24.84\n"
        "00002,乙,张前,一般工商业,abc,2019-13-01,暂停,118.58,\n"
        "00003,丙,英塘,居民生活用电,315,2019-01-01,正常,118.58,99\n",
        encoding="utf-8")
    con = duckdb.connect()
    ingest_files(con, "power_readings", [readings1, readings2], CONFIGS, None)
    ingest_files(con, "tracks", [tracks], CONFIGS, None)
    ingest_files(con, "power_accounts", [accounts], CONFIGS, None)
    snap = _snapshot(con)
    con.close()
    return snap


def test_fast_path_gives_exactly_the_full_cleaning(tmp_path, monkeypatch):
    fast = _ingest_all(tmp_path, True, monkeypatch)
    full = _ingest_all(tmp_path, False, monkeypatch)
    assert fast == full
    # read, loaded, rejected, replaced, skipped, warnings
    assert [b[2:] for b in fast["batches"]] == [(16, 7, 7, 0, 2, 0), (3, 2, 1, 1, 0, 0),
                                                (7, 3, 4, 0, 0, 0), (3, 3, 0, 0, 0, 3)]
    by_reason = {(r[0], r[2]): r[5] for r in fast["rejects"]}
    assert by_reason[("power_readings", 3)] == "与第 12 行关键字段重复，以第 12 行为准"
    assert by_reason[("power_readings", 4)] == "与第 13 行关键字段重复，以第 13 行为准"
    assert by_reason[("power_readings", 15)] == "总电量为空"      # empty not_empty number
    assert by_reason[("power_readings", 2)] == "日期晚于今天，请核对年份（记录的日期不能在将来）"   # r2.csv
    assert by_reason[("tracks", 6)] == "经度为空"                 # empty coordinates
    assert by_reason[("tracks", 2)] == "与第 8 行关键字段重复，以第 8 行为准"
    readings = {(r[1], r[2]): (r[0], r[4]) for r in fast["stg_power_readings"]}
    assert readings[("0012345678", dt.date(2021, 7, 5))] == (3, 99.0)       # replaced by r2.csv (row 3)
    assert readings[("0012345678", dt.date(2021, 7, 6))] == (13, 14.0)      # last row wins
    assert readings[("0012345679", dt.date(2021, 7, 10))] == (9, 5.0)       # padded account
    assert readings[("0012345679", dt.date(2021, 7, 11))] == (11, 5.0)      # Excel serial
    assert readings[("0012345680", dt.date(2021, 7, 13))] == (18, 5.0)      # 合计 only in 备注


def test_blank_line_right_after_header_keeps_excel_rows(tmp_path):
    f = tmp_path / "r.csv"
    f.write_text("户号,日期,总电量\n\n0012345678,2021-07-05,1\n0012345678,2021-07-06,x\n", encoding="utf-8")
    con = duckdb.connect()
    [v] = ingest_files(con, "power_readings", [f], CONFIGS, None)
    assert (v.rows_read, v.rows_loaded, v.rows_rejected) == (2, 1, 1)
    assert con.execute("SELECT src_row FROM stg_power_readings").fetchall() == [(3,)]
    assert con.execute("SELECT src_row FROM rejects").fetchall() == [(4,)]


def test_memory_limit_from_environment_is_restored(tmp_path, monkeypatch):
    f = tmp_path / "r.csv"
    f.write_text("户号,日期,总电量\n0012345678,2021-07-05,1\n", encoding="utf-8")
    con = duckdb.connect()
    before = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    seen = []
    real = engine.load_file

    def spy(con, *a, **k):
        seen.append(con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])
        return real(con, *a, **k)

    monkeypatch.setattr("pipeline.ingest.load_file", spy)
    monkeypatch.setenv("CHEMSIEVE_MEMORY_LIMIT", "1GB")
    ingest_files(con, "power_readings", [f], CONFIGS, None)
    assert seen == ["953.6 MiB"]
    assert con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0] == before
    monkeypatch.setenv("CHEMSIEVE_MEMORY_LIMIT", "lots")
    with pytest.raises(Exception, match="CHEMSIEVE_MEMORY_LIMIT"):
        ingest_files(con, "power_readings", [f], CONFIGS, None)
