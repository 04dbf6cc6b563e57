"""The inbox as clerks fill it, and what is kept of it: file names, symlinks, stray files,
`ingest --check`, header-only files, owner-only warehouse and archive (issue 10, items
8, 9, 10, 19)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import stat
from pathlib import Path

import duckdb
import pytest

from pipeline import cli
from pipeline.db import connect
from pipeline.ingest import ingest_files, ingest_inbox

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"

ACCOUNTS = "户号,户名,用电地址\n00001,甲五金厂,林口村1号\n00002,乙,张前村2号\n"
REGISTRY = "统一社会信用代码,企业名称,住所\n,丙化工厂,林格村3号\n"
TIPS = ("举报编号,受理时间,举报内容,被举报地址,被举报单位,举报人,举报人电话\n"
        "T1,2021-07-05 21:00,夜间刺鼻气味,灵水社区后山,某鞋材厂,陈秘密,13900000001\n")


def mode(p: Path) -> int:
    return stat.S_IMODE(os.stat(p, follow_symlinks=False).st_mode)


def q(con, sql, *params):
    return con.execute(sql, list(params)).fetchall()


@pytest.fixture
def umask_022():
    """A common, permissive umask while the test runs (connect() tightens the process
    umask on purpose; the test restores what pytest had)."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def con():
    c = duckdb.connect()
    yield c
    c.close()


def write(p: Path, text: str) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


# ------------------------------------------------------------------ item 8: owner-only
def test_warehouse_wal_and_archive_are_owner_only_whatever_the_umask(tmp_path, umask_022):
    db = tmp_path / "data" / "warehouse.duckdb"
    old = tmp_path / "old.duckdb"
    duckdb.connect(str(old)).close()                # as an older version left it: 0644
    assert mode(old) == 0o644
    connect(old).close()
    assert mode(old) == 0o600

    tips = write(tmp_path / "in" / "举报.csv", TIPS)
    os.chmod(tips, 0o644)
    con = connect(db)
    try:
        assert mode(db) == 0o600
        [v] = ingest_files(con, "tips", [tips], CONFIGS, db.parent / "archive")
        assert v.status == "loaded"
        con.execute("CREATE TABLE t AS SELECT range AS i FROM range(10)")   # a write: the WAL exists
        wal = Path(f"{db}.wal")
        assert wal.exists() and mode(wal) == 0o600
        con.execute("CHECKPOINT")                   # DuckDB deletes the WAL …
        assert not wal.exists()
        con.execute("INSERT INTO t VALUES (1)")     # … and creates a new one
        assert wal.exists() and mode(wal) == 0o600
    finally:
        con.close()
    assert mode(db) == 0o600
    archive = db.parent / "archive"
    [copy] = (archive / "tips").iterdir()
    assert (mode(archive), mode(archive / "tips"), mode(copy)) == (0o700, 0o700, 0o600)
    assert copy.read_bytes() == tips.read_bytes() and mode(tips) == 0o644


def test_an_archive_folder_left_world_readable_is_tightened(tmp_path, con, umask_022):
    archive = tmp_path / "archive"
    (archive / "power_accounts").mkdir(parents=True)
    os.chmod(archive, 0o755)
    os.chmod(archive / "power_accounts", 0o755)
    [v] = ingest_files(con, "power_accounts", [write(tmp_path / "a.csv", ACCOUNTS)], CONFIGS, archive)
    assert v.status == "loaded"
    assert (mode(archive), mode(archive / "power_accounts")) == (0o700, 0o700)
    assert [mode(p) for p in (archive / "power_accounts").iterdir()] == [0o600]


# ------------------------------------------------------------------ item 9: names, root, stg
def test_a_244_byte_file_name_is_archived_under_a_bounded_name(tmp_path, con):
    name = "灵源街道供电所电力用户档案导出" * 5 + "甲" * 5 + ".csv"
    assert len(name.encode("utf-8")) == 244
    f = write(tmp_path / "in" / name, ACCOUNTS)
    [v] = ingest_files(con, "power_accounts", [f], CONFIGS, tmp_path / "archive")
    assert (v.status, v.rows_loaded) == ("loaded", 2)
    [(file_name, sha, archived)] = q(con, "SELECT file_name, sha256, archived_path FROM batches")
    assert file_name == name                         # the original name is kept
    copy = Path(archived)
    assert copy.parent == tmp_path / "archive" / "power_accounts"
    assert copy.name.startswith(f"{sha[:12]}_灵源街道供电所") and copy.name.endswith(".csv")
    assert len(copy.name.encode("utf-8")) <= 120
    assert copy.read_bytes() == f.read_bytes()


def _screen(tmp_path, inbox):
    from pipeline.screen import screen

    return screen(inbox, tmp_path / "w.duckdb", tmp_path / "out", config_dir=CONFIGS,
                  run_date=dt.date(2021, 7, 5), decisions_dir=tmp_path / "decisions")


def test_a_file_in_the_inbox_root_is_refused_with_the_folders_and_the_run_goes_on(tmp_path):
    inbox = tmp_path / "inbox"
    write(inbox / "用电量7月.csv", "户号,日期,总电量\n0510018030,2021-07-01,12\n")
    res = _screen(tmp_path, inbox)                   # main: stg_power_readings does not exist
    [v] = res.verdicts
    assert (v.file_name, v.status) == ("用电量7月.csv", "refused")
    assert v.message == ("用电量7月.csv：未导入——文件放在了收件箱根目录，系统不知道它属于哪个来源；请放进对应来源的"
                         "文件夹（registry/、registry_list/、licenses/、power_accounts/、power_readings/、"
                         "power_surge_list/、waybills/、tracks/、track_alarms/、tips/、sites/、outcomes/）后再运行")
    assert (res.out_dir / "ranking.csv").exists()

    write(inbox / "power_accounts" / "a.csv", ACCOUNTS)
    res = _screen(tmp_path, inbox)
    assert [(v.file_name, v.status) for v in res.verdicts] == [
        ("用电量7月.csv", "refused"), ("a.csv", "loaded")]
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    assert q(con, "SELECT account_no FROM stg_power_accounts ORDER BY 1") == [("00001",), ("00002",)]
    con.close()


def test_link_and_signals_run_on_a_db_where_only_some_stg_tables_exist():
    from pipeline.link import build_premises
    from pipeline.signals import compute_evidence
    from tests.stagekit import insert, project_config, stg_db

    con = stg_db()
    for t in ("stg_licenses", "stg_power_readings", "stg_waybills", "stg_tracks", "stg_tips",
              "tip_reporters", "stg_sites", "stg_outcomes"):
        con.execute(f"DROP TABLE {t}")
    insert(con, "stg_registry", [dict(uscc="91350500MA2XXXXX1X", name="丙化工有限公司", address="林格村3号",
                                      source_key="91350500MA2XXXXX1X", scope="化工原料（不含危险化学品）销售")])
    cfg = project_config()
    counts = build_premises(con, cfg)
    assert (counts["premises"], counts["members"]) == (1, 1)
    fired = compute_evidence(con, cfg, 1, dt.date(2021, 7, 5))
    assert fired["registry_chemical"] == 1
    assert {k: v for k, v in fired.items() if v} == {"registry_chemical": 1}
    assert q(con, "SELECT count(*) FROM stg_power_readings") == [(0,)]


# ------------------------------------------------------------------ item 10: names, symlinks
FORGED = "a.csv：读取 9 行，导入 9 行\n12:00:00 伪造.csv"


def test_control_characters_in_names_are_refused_and_never_printed_raw(tmp_path, con, caplog):
    inbox = tmp_path / "inbox"
    src = inbox / "power_accounts"
    write(src / "good.csv", ACCOUNTS)
    for name in (FORGED + ".csv", "\x1b[31mred.csv", "report\u202ecsv.xlsx"):
        write(src / name, ACCOUNTS.replace("00001", "00009"))
    with caplog.at_level(logging.DEBUG, logger="pipeline"):
        vs = ingest_inbox(con, inbox, CONFIGS, tmp_path / "archive")
    assert [(v.status, v.message) for v in vs] == [
        ("refused", "power_accounts/\\x1b[31mred.csv：未导入——文件名含换行符或其他控制字符（\\x1b），请把文件重新命名后再放入"),
        ("refused", "power_accounts/a.csv：读取 9 行，导入 9 行\\x0a12:00:00 伪造.csv.csv：未导入——文件名含换行符或其他控制字符"
                    "（\\x0a），请把文件重新命名后再放入"),
        ("refused", "power_accounts/report\\u202ecsv.xlsx：未导入——文件名含换行符或其他控制字符（\\u202e），请把文件重新命名后再放入"),
        ("loaded", "good.csv：读取 2 行，导入 2 行，拒收 0 行"),
    ]
    for r in caplog.records:
        assert not any(c in r.getMessage() for c in "\n\r\x1b\u202e"), r.getMessage()
    assert q(con, "SELECT account_no FROM stg_power_accounts ORDER BY 1") == [("00001",), ("00002",)]
    # the same for a file named on the command line (ingest_files)
    [v] = ingest_files(con, "power_accounts", [src / (FORGED + ".csv")], CONFIGS, tmp_path / "archive")
    assert v.status == "refused" and "\n" not in v.message
    assert q(con, "SELECT count(*) FROM batches") == [(1,)]


def test_symlinks_in_the_inbox_are_refused_not_followed(tmp_path, con):
    outside = tmp_path / "elsewhere"
    write(outside / "secret_accounts.csv", ACCOUNTS.replace("00001", "00077"))
    write(outside / "registry" / "r.csv", REGISTRY)
    inbox = tmp_path / "inbox"
    write(inbox / "power_accounts" / "good.csv", ACCOUNTS)
    (inbox / "power_accounts" / "link.csv").symlink_to(outside / "secret_accounts.csv")
    (inbox / "registry").symlink_to(outside / "registry", target_is_directory=True)
    (inbox / "shortcut.csv").symlink_to(outside / "secret_accounts.csv")
    vs = ingest_inbox(con, inbox, CONFIGS, tmp_path / "archive")
    assert [(v.file_name, v.status) for v in vs] == [
        ("power_accounts/link.csv", "refused"), ("registry", "refused"), ("shortcut.csv", "refused"),
        ("good.csv", "loaded")]
    assert vs[1].message == ("registry：未导入——这是一个符号链接（快捷方式），为安全起见不跟随读取；"
                             "请把文件本身放进收件箱对应来源的文件夹")
    assert vs[0].message == ("power_accounts/link.csv：未导入——这是一个符号链接（快捷方式），为安全起见不跟随读取；"
                             "请把文件本身放进这个文件夹")
    assert q(con, "SELECT account_no FROM stg_power_accounts ORDER BY 1") == [("00001",), ("00002",)]
    assert q(con, "SELECT count(*) FROM stg_registry") == [(0,)]


def test_sub_folders_other_files_and_pipes_are_refused_with_a_reason(tmp_path, con):
    inbox = tmp_path / "inbox"
    src = inbox / "power_accounts"
    write(src / "good.csv", ACCOUNTS)
    write(src / "7月" / "a.csv", ACCOUNTS.replace("00001", "00008"))
    write(src / "说明.docx", "x")
    os.mkfifo(src / "pipe.csv")                 # opening it would block the run for ever
    write(src / ".DS_Store", "x")                # hidden files and Excel lock files: skipped
    write(src / "~$good.xlsx", "x")
    vs = ingest_inbox(con, inbox, CONFIGS, tmp_path / "archive")
    assert [(v.file_name, v.status, v.message.split("——")[-1]) for v in vs] == [
        ("power_accounts/7月", "refused", "子文件夹中的文件不导入：请把要导入的文件直接放在 power_accounts/ 下，不要再建文件夹"),
        ("power_accounts/pipe.csv", "refused", "不是普通文件（可能是设备或管道），未读取"),
        ("power_accounts/说明.docx", "refused", "不是表格文件：只导入 CSV（.csv/.txt）和 Excel（.xlsx/.xls）文件"),
        ("good.csv", "loaded", "good.csv：读取 2 行，导入 2 行，拒收 0 行"),
    ]


# ------------------------------------------------------------------ item 19: --check, header-only
BAD = "户号,户名,用电地址\n00001,甲,林口\n12,乙,张前\n00003,丙,林格\n1.2E+9,丁,英塘\n"


def test_ingest_check_prints_the_verdict_and_touches_nothing(tmp_path, capsys):
    db = tmp_path / "data" / "warehouse.duckdb"
    archive = db.parent / "archive"
    write(tmp_path / "first.csv", REGISTRY)
    assert cli.main(["--config", str(CONFIGS), "ingest", "registry", str(tmp_path / "first.csv"),
                     "--db", str(db)]) == 0
    bad = write(tmp_path / "bad.csv", BAD)
    capsys.readouterr()
    before = (db.read_bytes(), os.stat(db).st_mtime_ns, sorted(p.relative_to(archive) for p in archive.rglob("*")))
    rc = cli.main(["--config", str(CONFIGS), "ingest", "--check", "power_accounts", str(bad), "--db", str(db)])
    out = capsys.readouterr().out.splitlines()
    assert rc == 0
    assert out == [
        "（仅检查：没有导入数据库，也没有存档；确认无误后去掉 --check 再导入）",
        "bad.csv（仅检查，未导入）：读取 4 行，可导入 2 行，拒收 2 行",
        "  拒收：第 3 行，户号 列，值 “12”：户号格式不对（应为 5–20 位数字）",
        "  拒收：第 5 行，户号 列，值 “1.2E+9”：户号被 Excel 改成了科学计数法，无法还原，请把该列设为文本后重新导出",
    ]
    after = (db.read_bytes(), os.stat(db).st_mtime_ns, sorted(p.relative_to(archive) for p in archive.rglob("*")))
    assert after == before and not Path(f"{db}.wal").exists()

    # the real import gives the same counts and the same reject lines
    rc = cli.main(["--config", str(CONFIGS), "ingest", "power_accounts", str(bad), "--db", str(db)])
    assert rc == 0
    assert capsys.readouterr().out.splitlines() == [
        "bad.csv：读取 4 行，导入 2 行，拒收 2 行（见 rejects 表）"] + out[2:]


def test_check_file_lists_the_first_rejects_and_counts_the_rest(tmp_path):
    from pipeline.ingest import check_file

    rows = "".join(f"{i},户{i},地址{i}\n" for i in range(1, 14))      # 1..13: too short, all rejected
    v = check_file("power_accounts", write(tmp_path / "x.csv", "户号,户名,用电地址\n" + rows), CONFIGS, limit=3)
    assert (v.status, v.rows_read, v.rows_loaded, v.rows_rejected, v.batch_id) == ("loaded", 13, 0, 13, None)
    assert v.details == [
        "  拒收：第 2 行，户号 列，值 “1”：户号格式不对（应为 5–20 位数字）",
        "  拒收：第 3 行，户号 列，值 “2”：户号格式不对（应为 5–20 位数字）",
        "  拒收：第 4 行，户号 列，值 “3”：户号格式不对（应为 5–20 位数字）",
        "  ……另有 10 条未列出",
    ]
    refused = check_file("power_accounts", write(tmp_path / "r.csv", REGISTRY), CONFIGS)
    assert refused.status == "refused" and refused.message.startswith("r.csv：未导入——未找到表头")


@pytest.mark.parametrize("text, read, skipped", [
    ("户号,户名,用电地址\n", 0, 0),
    ("标题：电力用户档案\n户号,户名,用电地址\n合计,,\n", 1, 1),
])
def test_a_file_without_data_rows_loads_empty_with_a_warning_in_both_modes(tmp_path, con, caplog, text, read, skipped):
    f = write(tmp_path / "h.csv", text)
    with caplog.at_level(logging.INFO, logger="pipeline"):
        [v] = ingest_files(con, "power_accounts", [f], CONFIGS, tmp_path / "archive")
    tail = f"，跳过合计/空行 {skipped} 行" if skipped else ""
    assert (v.status, v.rows_read, v.rows_loaded) == ("loaded", read, 0)
    assert v.message == f"h.csv：读取 {read} 行，导入 0 行，拒收 0 行{tail}；警告：表头以下没有数据行，请确认导出是否完整"
    assert [(r.levelno, r.getMessage()) for r in caplog.records if r.name.startswith("pipeline.ingest")] == [
        (logging.WARNING, v.message)]
    assert q(con, "SELECT rows_read, rows_loaded FROM batches") == [(read, 0)]
    from pipeline.ingest import check_file

    c = check_file("power_accounts", f, CONFIGS)
    assert c.message == (f"h.csv（仅检查，未导入）：读取 {read} 行，可导入 0 行，拒收 0 行{tail}；"
                         "警告：表头以下没有数据行，请确认导出是否完整")
