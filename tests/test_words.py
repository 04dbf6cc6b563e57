"""Users read Chinese: every console line of a normal run, `make help`, the `--help` texts and
the campaign/evaluate tables are Chinese; the English stays in the debug log (`-v`)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
STATUSES = ("disabled", "too_few", "no_split", "not_better", "used")


def _cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=900)


def _not_chinese(*texts: str) -> list[str]:
    """The non-blank lines without a single CJK character (paths and numbers may sit inside
    a Chinese line; a line of only English is what a user cannot read)."""
    return [ln for t in texts for ln in t.splitlines() if ln.strip() and not CJK.search(ln)]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A tiny simulated world screened twice, with a week of inspectors' returns between."""
    base = tmp_path_factory.mktemp("words")
    w, db, out = base / "world", base / "w.duckdb", base / "out"
    runs = {"simulate": _cli("simulate", "--out", str(w), "--scale", "tiny", "--seed", "5")}
    screen = ("screen", "--inbox", str(w / "inbox"), "--db", str(db), "--out", str(out),
              "--decisions", str(base / "decisions"))
    runs["screen1"] = _cli(*screen, "--date", "2021-07-05")
    runs["returns"] = _cli("simulate-returns", "--world", str(w), "--db", str(db), "--date", "2021-07-08")
    runs["screen2"] = _cli(*screen, "--date", "2021-07-12")
    for name, r in runs.items():
        assert r.returncode == 0, (name, r.stderr[-3000:])
    return base, w, db, screen, runs


def test_every_console_line_of_a_normal_run_is_chinese(world):
    _, _, _, _, runs = world
    for name, r in runs.items():
        assert _not_chinese(r.stdout, r.stderr) == [], name
    err = runs["screen2"].stderr
    # the facts the English lines carried are still there, in Chinese
    assert re.search(r"信号“用电激增”\s*命中\s*\d+ 处场所", err), err
    assert re.search(r"场所归并：\d+ 条记录 → \d+ 个场所", err), err
    assert re.search(r"评分：\d+ 处场所有风险证据", err), err
    assert "走访结果学习（" in err
    for code in STATUSES:
        assert f"learn: {code}" not in err


def test_verbose_keeps_the_english_debug_lines(world):
    _, _, _, screen, _ = world
    r = _cli("-v", *screen, "--date", "2021-07-12")
    assert r.returncode == 0, r.stderr[-3000:]
    for english in ("Fellegi–Sunter EM:", "link: ", "signal power_surge", "score: ", "learn: ", "publish: ",
                    "forms: "):
        assert english in r.stderr, english
    # and the Chinese lines are there as well
    assert re.search(r"信号“用电激增”\s*命中", r.stderr)


def test_make_help_is_chinese_and_lists_the_targets():
    r = subprocess.run(["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    lines = [ln for ln in r.stdout.splitlines() if ln.strip()]
    assert _not_chinese(r.stdout) == []
    targets = [ln.split()[1] for ln in lines if ln.strip().startswith("make ")]
    assert {"screen", "demo", "campaign", "test", "help"} <= set(targets)
    assert len(targets) == len(lines)


def test_the_closing_summary_names_every_output_with_its_path(world):
    base, _, _, _, runs = world
    out_dir = base / "out" / "2021-07-12"
    stdout = runs["screen2"].stdout
    files = sorted(p for p in out_dir.iterdir() if p.is_file())
    expected = {"report.html", "visit_lists.xlsx", "附件2_汇总表.xlsx", "附件3_排查统计表.xlsx", "拒收明细.xlsx",
                "manifest.json", "ranking.csv", "link_candidates.csv"}
    assert expected <= {p.name for p in files}
    for p in files:
        if p.name.startswith("visit_list_") and p.suffix == ".csv":
            continue
        lines = [ln for ln in stdout.splitlines() if str(p) in ln]
        assert len(lines) == 1 and "：" in lines[0] and CJK.search(lines[0].split(str(p))[0]), (p.name, stdout)
    csvs = [p for p in files if p.name.startswith("visit_list_")]
    assert f"各社区走访清单（CSV，{len(csvs)} 份）：{out_dir}/visit_list_<社区>.csv" in stdout
    assert "其他输出" not in stdout           # every file the run writes has its Chinese label
    assert _not_chinese(stdout) == []


def test_help_of_every_command_is_chinese_and_ingest_names_the_sources():
    from pipeline.cli import _source_titles
    from pipeline.ingest import SOURCES

    for cmd in ((), ("screen",), ("ingest",), ("simulate",), ("simulate-returns",), ("simulate-campaign",),
                ("evaluate",)):
        r = _cli(*cmd, "--help")
        assert r.returncode == 0, (cmd, r.stderr)
        # a wrapped usage line holds only [--flags], which are typed as they are
        assert [ln for ln in _not_chinese(r.stdout) if not re.fullmatch(r"\s*(\[[^\]]+\]\s*)+", ln)] == [], cmd
        for english in ("usage:", "options:", "positional arguments", "show this help"):
            assert english not in r.stdout, (cmd, english)
        # every option says what it is
        opts = re.findall(r"^  (-[-\w]+)", r.stdout, flags=re.M)
        assert opts, cmd
    r = _cli("ingest", "--help")
    titles = _source_titles()
    flat = re.sub(r"\s+", "", r.stdout)
    for s in SOURCES:
        assert titles[s] != s and f"{s}（{titles[s]}）" in flat, s
    bad = _cli("screen", "--date", "7/5")
    assert bad.returncode == 2 and "错误：" in bad.stderr and "YYYY-MM-DD" in bad.stderr


def test_campaign_table_shows_a_dash_for_missing_and_chinese_statuses():
    import math

    import pandas as pd

    from pipeline.cli import CAMPAIGN_COLUMNS, _campaign_table
    from pipeline.learn.text import STATUS_NAMES

    df = pd.DataFrame([
        {"week": 0, "run_date": "2021-07-05", "inside": 9.0, "hits": 4.0, "model": "too_few", "lift": None},
        {"week": 1, "run_date": "2021-07-12", "inside": 8.0, "hits": 5.0, "model": "used", "lift": 1.25},
        {"week": 2, "run_date": "2021-07-19", "inside": math.nan, "hits": math.nan, "model": None, "lift": math.nan},
    ])
    shown = _campaign_table(df)
    assert list(shown.columns) == [CAMPAIGN_COLUMNS[c] for c in ("week", "run_date", "inside", "hits", "model", "lift")]
    assert shown.values.tolist() == [
        ["0", "2021-07-05", "9", "4", STATUS_NAMES["too_few"], "—"],
        ["1", "2021-07-12", "8", "5", STATUS_NAMES["used"], "1.25"],
        ["2", "2021-07-19", "—", "—", "—", "—"],
    ]
    printed = shown.to_string(index=False)
    for word in ("NaN", "None", "nan", "too_few", "used"):
        assert word not in printed


def test_evaluate_prints_chinese(world):
    _, w, db, _, _ = world
    r = _cli("evaluate", "--truth", str(w / "truth"), "--db", str(db))
    assert r.returncode == 0, r.stderr[-3000:]
    assert _not_chinese(r.stdout, r.stderr) == []
    for head in ("来源对", "信号", "排名评估", "前50名找到", "随机走访"):
        assert head in r.stdout, head
    for english in ("source pair", "planted", "lookalk", "ranking ", "found@"):
        assert english not in r.stdout, english
