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
