"""Reporters' phones and names written inside tip text never reach a list, a table or a
report (issue 10, item 1): the masker on its own, then crafted tips through a real screen
whose every output file and every table is searched for the digits and names."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import duckdb
import pytest

from pipeline.ingest import ingest_files
from pipeline.ingest.mask import MASK, mask_text
from pipeline.screen import screen

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"


# ------------------------------------------------------------------ the masker
@pytest.mark.parametrize("text, want", [
    ("电话139 8765 4322，有气味", "电话***，有气味"),
    ("联系139-8765-4323", "联系***"),
    ("号码139.8765.4322", "号码***"),
    ("１３９８７６５４３２２举报", "***举报"),
    ("１３９－８７６５－４３２２", "***"),
    ("+86 139 8765 4322", "***"),
    ("＋８６－１３９８７６５４３２２", "***"),
    ("0086-13987654321", "***"),
    ("86-139-8765-4322", "***"),
    ("座机0595-8888 1234", "座机***"),
    ("厂里(0595)88881234有人", "厂里***有人"),
    ("（０５９５）８８８８１２３４", "***"),
    ("电话8888-1234找老板", "电话***找老板"),
    ("打8888-1234", "打***"),
    ("QQ 123456 联系", "QQ *** 联系"),
    ("微信号：zhen_yin88 加我", "微信号：*** 加我"),
    ("尾号4322", "尾号***"),
    ("晚上气味很大139876", "晚上气味很大***"),
    ("晚上气味很大139876…", "晚上气味很大***…"),
    ("身份证350582199001011234", "身份证***"),
    ("我是甄隐名，晚上有味", "我是***，晚上有味"),
    ("我叫王小明", "我叫***"),
    ("举报人：欧阳娜娜反映", "举报人：***反映"),
    ("举报人张三称有气味", "举报人***称有气味"),
    ("我姓甄，住隔壁", "我姓***，住隔壁"),
    ("我是陈先生", "我是***"),
])
def test_phone_and_name_forms_are_masked(text, want):
    assert mask_text(text) == want


@pytest.mark.parametrize("text", [
    "工业路88号3栋501室晚上有刺鼻气味",
    "林口社区灵光路45号、454-458号，2701-2705室",
    "2024-05-12 22:30 看到槽罐车",
    "2024.5.12晚上，2024年5月12日",
    "闽C23456 卸了13.5吨，每天1500-1800度电",
    "用电量12000000度",
    "东湖新村15-101，小学路136-4-101",
    "通过12345热线反映",
    "我是附近居民，我是周边村民，我是这里的工人，我是一名保安",
    "大厦1705-1706单元，GB/T534-2002",
])
def test_addresses_dates_and_quantities_survive(text):
    assert mask_text(text) == text


def test_the_known_reporter_and_its_fragments_are_masked():
    t = "甄隐名说甄先生家旁边，我姓甄，老甄也闻到，隐名再次反映。王先生是老板"
    assert mask_text(t, "甄隐名", "13987654322") == "***说***家旁边，我姓***，***也闻到，***再次反映。王先生是老板"
    # the reporter's own number in an odd grouping
    assert mask_text("回电1398 765 4322", "甄隐名", "139-8765-4322") == "回电***"
    # placeholders in the 举报人 column are not names
    assert mask_text("匿名群众反映匿名", "匿名") == "匿名群众反映匿名"


def test_masking_is_idempotent_and_keeps_none():
    t = "我是甄隐名，电话139 8765 4322，工业路88号"
    once = mask_text(t, "甄隐名")
    assert mask_text(once, "甄隐名") == once == f"我是{MASK}，电话{MASK}，工业路88号"
    assert mask_text(None) is None and mask_text("") == ""


# ------------------------------------------------------------------ through the pipeline
SECRETS = ["13987654322", "13987654323", "13987654324", "139876", "8765", "4322", "88881234",
           "甄隐名", "隐名", "甄先生", "zhen_yin88", "5550123", "苏家豪", "15993650187"]

TIPS = (
    "举报编号,受理时间,举报内容,被举报地址,被举报单位,举报人,联系电话\n"
    # a long text whose phone sits beyond the 40-character excerpt and one cut at its end
    "LYJB1,2021-07-20 10:00,我是甄隐名，林口社区灵光路45号晚上有刺鼻气味，有人在熬化工料，电话139 8765 4322,"
    "晋江市灵源林口灵光路45号,,甄隐名,13987654322\n"
    "LYJB2,2021-07-21 10:00,张前社区工业路88号3栋半夜有槽罐车卸货，味道很大139876,晋江市灵源张前工业路88号,"
    "某鞋业,,\n"
    "LYJB3,2021-07-22 21:00,林格社区创业路12号甄先生反映夜里有桶装化工料，联系139-8765-4323或0595-8888 1234,"
    "晋江市灵源林格创业路12号,,甄隐名,\n"
    "LYJB4,2021-07-23 09:00,英塘社区英塘路7号有刺鼻气味，微信号：zhen_yin88，座机(0595)555 0123,"
    "晋江市灵源英塘英塘路7号 电话１３９８７６５４３２４,,苏家豪,15993650187\n"
)


def _all_output_text(out: Path) -> str:
    parts = []
    for f in sorted(out.rglob("*")):
        if not f.is_file():
            continue
        if f.suffix == ".xlsx":
            with zipfile.ZipFile(f) as z:
                parts += [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
        else:
            parts.append(f.read_bytes().decode("utf-8", "replace"))
        parts.append(f.name)
    return "\n".join(parts)


def _all_table_text(db: Path, skip: set[str]) -> dict[str, str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()]
        out = {}
        for t in tables:
            if t in skip:
                continue
            rows = con.execute(f'SELECT * FROM "{t}"').fetchall()
            out[t] = "\n".join("|".join("" if v is None else str(v) for v in r) for r in rows)
        return out
    finally:
        con.close()


def test_crafted_tips_leak_nothing_through_a_screen(tmp_path):
    inbox = tmp_path / "inbox" / "tips"
    inbox.mkdir(parents=True)
    (inbox / "举报线索.csv").write_text(TIPS, encoding="utf-8")
    db = tmp_path / "w.duckdb"
    res = screen(tmp_path / "inbox", db, tmp_path / "out", config_dir=CONFIGS, run_date=dt.date(2021, 7, 26),
                 archive_dir=tmp_path / "archive")
    assert res.counts["stg_tips"] == 4

    con = duckdb.connect(str(db), read_only=True)
    stg = con.execute("SELECT tip_id, content, address FROM stg_tips ORDER BY tip_id").fetchall()
    ev = con.execute("SELECT sentence FROM evidence WHERE signal = 'tip' ORDER BY sentence").fetchall()
    reporters = con.execute("SELECT tip_id, reporter, reporter_phone FROM tip_reporters ORDER BY tip_id").fetchall()
    con.close()
    # stored cleaned: full-width punctuation half-width (text_sql), then masked
    assert stg == [
        ("LYJB1", "我是***,林口社区灵光路45号晚上有刺鼻气味,有人在熬化工料,电话***", "晋江市灵源林口灵光路45号"),
        ("LYJB2", "张前社区工业路88号3栋半夜有槽罐车卸货,味道很大***", "晋江市灵源张前工业路88号"),
        ("LYJB3", "林格社区创业路12号***反映夜里有桶装化工料,联系***或***", "晋江市灵源林格创业路12号"),
        ("LYJB4", "英塘社区英塘路7号有刺鼻气味,微信号:***,座机***", "晋江市灵源英塘英塘路7号 电话***"),
    ]
    # the identity is kept where it belongs
    assert reporters == [("LYJB1", "甄隐名", "13987654322"), ("LYJB3", "甄隐名", None),
                         ("LYJB4", "苏家豪", "15993650187")]
    assert len(ev) == 4 and all("甄" not in s and "139" not in s for (s,) in ev)

    text = _all_output_text(res.out_dir)
    tables = _all_table_text(db, skip={"tip_reporters"})
    for secret in SECRETS:
        assert secret not in text, secret
        for t, body in tables.items():
            assert secret not in body, (t, secret)
    # what inspectors need survives
    assert "工业路88号3栋" in text and "灵光路45号" in text


def test_tips_stored_before_masking_are_masked_on_the_next_ingest(tmp_path):
    con = duckdb.connect()
    first = tmp_path / "a.csv"
    first.write_text("举报编号,受理时间,举报内容,举报人,联系电话\nT1,2021-07-01,工业路88号有味,甄隐名,13987654322\n",
                     encoding="utf-8")
    ingest_files(con, "tips", [first], CONFIGS, None)
    # as an earlier version stored it
    con.execute("UPDATE stg_tips SET content = '甄隐名说工业路88号有味，电话139 8765 4322'")
    second = tmp_path / "b.csv"
    second.write_text("举报编号,受理时间,举报内容\nT2,2021-07-02,工业路90号有味\n", encoding="utf-8")
    ingest_files(con, "tips", [second], CONFIGS, None)
    assert con.execute("SELECT tip_id, content FROM stg_tips ORDER BY tip_id").fetchall() == [
        ("T1", "***说工业路88号有味，电话***"), ("T2", "工业路90号有味")]
    con.close()
