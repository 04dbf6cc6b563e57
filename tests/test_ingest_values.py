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
