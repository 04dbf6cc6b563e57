"""Ingest: values that change on their way through a clerk's tools — enum wordings with
full-width punctuation (SAMR 登记状态) and account numbers that Excel turned into numbers."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from pipeline.ingest import ingest_files, load_source_configs, validate_source_configs
from pipeline.ingest.clean_sql import enum_key

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@pytest.fixture
def con():
    c = duckdb.connect()
    yield c
    c.close()


def q(con, sql, *params):
    return con.execute(sql, list(params)).fetchall()


def _copy_configs(tmp_path) -> Path:
    d = tmp_path / "configs"
    shutil.copytree(CONFIGS, d)
    return d


# ------------------------------------------------------------------ item 4: enum wordings
# 登记状态 as the national registry (国家企业信用信息公示系统) and provincial exports print it:
# full-width brackets and commas, the enumeration comma 、, stray blanks.
SAMR_STATUSES = [
    ("存续（在营、开业、在册）", "存续"),
    ("存续(在营、开业、在册)", "存续"),
    ("存续（在营，开业，在册）", "存续"),
    (" 存续 ( 在营、开业、在册 ) ", "存续"),
    ("在业", "在业"),
    ("开业", "开业"),
    ("吊销，未注销", "吊销"),
    ("吊销,未注销", "吊销"),
    ("吊销，已注销", "注销"),
    ("注销", "注销"),
    ("撤销", "注销"),
    ("迁出", "迁出"),
    ("迁入", "存续"),
    ("停业", "停业"),
    ("歇业", "停业"),
    ("清算", "停业"),
    ("吊销", "吊销"),
]


def test_samr_status_wordings_keep_their_status(con, tmp_path):
    rows = "".join(f",晋江市甲{i}鞋业有限公司,林口社区灵光路{i}号,\"{raw}\"\n" for i, (raw, _) in enumerate(SAMR_STATUSES))
    f = tmp_path / "reg.csv"
    f.write_text("统一社会信用代码,企业名称,住所,登记状态\n" + rows, encoding="utf-8")
    [v] = ingest_files(con, "registry", [f], CONFIGS, None)
    assert (v.rows_loaded, v.rows_rejected, v.warnings) == (len(SAMR_STATUSES), 0, 0)
    got = q(con, "SELECT src_row, status FROM stg_registry ORDER BY src_row")
    assert got == [(i + 2, want) for i, (_, want) in enumerate(SAMR_STATUSES)]
    assert q(con, "SELECT count(*) FROM rejects") == [(0,)]


def test_unknown_status_is_still_a_warning(con, tmp_path):
    f = tmp_path / "reg.csv"
    f.write_text("统一社会信用代码,企业名称,住所,登记状态\n,甲厂,林口,存续（在营、开业、在册）\n,乙厂,张前,不知道\n",
                 encoding="utf-8")
    [v] = ingest_files(con, "registry", [f], CONFIGS, None)
    assert (v.rows_loaded, v.warnings) == (2, 1)
    assert q(con, "SELECT name, status FROM stg_registry ORDER BY src_row") == [("甲厂", "存续"), ("乙厂", None)]
    assert q(con, 'SELECT src_row, "column", value, severity FROM rejects') == [(3, "登记状态", "不知道", "warning")]


def test_every_enum_alias_is_normalised_like_its_cells(tmp_path, con):
    """Any enum of any source: an alias or value written with full-width punctuation or blanks
    in the YAML matches the cell however the clerk spelt it."""
    d = _copy_configs(tmp_path)
    p = d / "sources" / "power_accounts.yaml"
    data = yaml.safe_load(p.read_text(encoding="utf-8"))
    data["fields"]["category"]["values"].append("商业（含办公）用电")
    data["fields"]["category"]["aliases"]["一般工商业、非居民"] = "一般工商业用电"
    data["fields"]["status"]["aliases"]["正常 用电（在用）"] = "正常"
    p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    cfg = load_source_configs(d)["power_accounts"].fields
    assert cfg["category"].aliases["一般工商业,非居民"] == "一般工商业用电"
    assert cfg["category"].aliases["商业(含办公)用电"] == "商业（含办公）用电"
    f = tmp_path / "acc.csv"
    f.write_text("户号,户名,用电地址,用电类别,用户状态\n"
                 "0510000001,甲,林口,\"一般工商业，非居民\",正常用电(在用)\n"
                 "0510000002,乙,张前,商业(含办公)用电,正常用电（在用）\n"
                 "0510000003,丙,英塘,商业（含办公）用电,正常\n", encoding="utf-8")
    [v] = ingest_files(con, "power_accounts", [f], d, None)
    assert v.warnings == 0
    assert q(con, "SELECT account_no, category, status FROM stg_power_accounts ORDER BY account_no") == [
        ("0510000001", "一般工商业用电", "正常"),
        ("0510000002", "商业（含办公）用电", "正常"),
        ("0510000003", "商业（含办公）用电", "正常"),
    ]


def test_aliases_that_normalise_alike_but_differ_are_a_config_error(tmp_path):
    d = _copy_configs(tmp_path)
    p = d / "sources" / "registry.yaml"
    data = yaml.safe_load(p.read_text(encoding="utf-8"))
    data["fields"]["status"]["aliases"]["吊销、未注销"] = "注销"      # same key as 吊销，未注销 → 吊销
    p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    errs = validate_source_configs(d)
    assert errs == ["registry.yaml：字段 status 的 '吊销，未注销'（吊销）和 '吊销、未注销'（注销）"
                    "去掉空格、全角转半角后相同（吊销,未注销），无法区分"]


def test_enum_key_is_what_duckdb_computes_from_the_cell(con):
    """The Python normaliser applied to config keys equals the SQL one applied to cells."""
    from pipeline.ingest import clean_sql as C

    samples = [raw for raw, _ in SAMR_STATUSES] + ["ＡＢＣ　１２３", "一般工商业、非居民\t用电", "a。b"]
    con.execute("CREATE TABLE t (c VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [[s] for s in samples])
    sql_keys = [r[0] for r in con.execute(
        f"SELECT regexp_replace({C.text_sql('c')}, '\\s+', '', 'g') FROM t ORDER BY rowid").fetchall()]
    assert sql_keys == [enum_key(s) for s in samples]


# ------------------------------------------------------------------ item 5: 户号 as numbers
def _xlsx(path: Path, rows) -> Path:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v is not None:
                ws.write(r, c, v)          # ints and floats are written as Excel numbers
    wb.close()
    return path


def test_numeric_account_numbers_get_their_leading_zero_back(con, tmp_path):
    acc = _xlsx(tmp_path / "用户档案.xlsx", [
        ["户号", "户名", "用电地址"],
        [510018030, "甲鞋厂", "林口社区灵光路45号"],        # Excel number: the 0 is gone
        [510018031.0, "乙厂", "张前社区工业路88号"],
        ["0510018032", "丙厂", "林格社区创业路12号"],       # a text cell: kept as it is
        ["5.10018033E8", "丁厂", "英塘社区英塘路7号"],       # scientific, every digit kept
        ["1.23457E+11", "戊厂", "英塘社区英塘路8号"],        # scientific, digits lost
    ])
    [v] = ingest_files(con, "power_accounts", [acc], CONFIGS, None)
    assert (v.rows_loaded, v.rows_rejected, v.warnings) == (4, 1, 1)
    assert q(con, "SELECT src_row, account_no FROM stg_power_accounts ORDER BY src_row") == [
        (2, "0510018030"), (3, "0510018031"), (4, "0510018032"), (5, "0510018033")]
    reason = "户号有 3 行少了开头的 0（Excel 把它当成了数字），已按 10 位补足，如第 2 行 510018030 → 0510018030；请把该列设为文本后导出"
    assert q(con, 'SELECT src_row, "column", value, reason, severity FROM rejects ORDER BY src_row') == [
        (2, "户号", "510018030", reason, "warning"),
        (6, "户号", "1.23457E+11", "户号被 Excel 改成了科学计数法，无法还原，请把该列设为文本后重新导出", "reject"),
    ]
    assert reason in v.message

    # the readings of the same office, also exported from Excel, meet their accounts
    rd = tmp_path / "用电量.csv"
    rd.write_text("户号,日期,总电量\n510018030,2021-07-01,10\n510018030.0,2021-07-02,11\n"
                  "0510018031,2021-07-01,5\n", encoding="utf-8")
    [w] = ingest_files(con, "power_readings", [rd], CONFIGS, None)
    assert (w.rows_loaded, w.warnings) == (3, 1)
    assert q(con, "SELECT r.account_no, r.day::VARCHAR, a.account_name FROM stg_power_readings r "
                  "JOIN stg_power_accounts a USING (account_no) ORDER BY ALL") == [
        ("0510018030", "2021-07-01", "甲鞋厂"), ("0510018030", "2021-07-02", "甲鞋厂"),
        ("0510018031", "2021-07-01", "乙厂")]


def test_accounts_of_full_length_take_the_fast_path_unchanged(con, tmp_path):
    rd = tmp_path / "r.csv"
    rd.write_text("户号,日期,总电量\n0510018030,2021-07-01,10\n5100180301,2021-07-01,1\n00001,2021-07-01,2\n",
                  encoding="utf-8")
    [w] = ingest_files(con, "power_readings", [rd], CONFIGS, None)
    assert (w.rows_loaded, w.warnings) == (3, 0)
    assert q(con, "SELECT account_no FROM stg_power_readings ORDER BY ALL") == [
        ("00001",), ("0510018030",), ("5100180301",)]


def test_pad_to_outside_length_is_a_config_error(tmp_path):
    d = _copy_configs(tmp_path)
    p = d / "sources" / "power_accounts.yaml"
    data = yaml.safe_load(p.read_text(encoding="utf-8"))
    data["fields"]["account_no"]["pad_to"] = 30
    p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert validate_source_configs(d) == ["power_accounts.yaml：字段 account_no 的 pad_to 应为 5–20 之间的整数（户号位数），现为 30"]
