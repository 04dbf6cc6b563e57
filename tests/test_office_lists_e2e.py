"""End to end (issue 15): an inbox that holds only what offices hand over most easily — the
market office's screened list, monthly bills, the power office's surge list, the platform's
alarm export, beside registry/licences/waybills/tips/sites — screens into lists whose reasons
cite those lists, and the report says what the data could not show."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def lists_world(tmp_path_factory):
    base = tmp_path_factory.mktemp("lists")
    run = lambda *a: subprocess.run([sys.executable, "-m", "pipeline", *a], cwd=ROOT,  # noqa: E731
                                    capture_output=True, text=True, timeout=900)
    r = run("simulate", "--out", str(base / "world"), "--seed", "5", "--scale", "demo", "--shape", "lists")
    assert r.returncode == 0, r.stderr
    r = run("screen", "--inbox", str(base / "world" / "inbox"), "--db", str(base / "w.duckdb"),
            "--out", str(base / "out"), "--date", "2021-07-05")
    assert r.returncode == 0, r.stderr
    (out_dir,) = [p for p in (base / "out").iterdir() if p.is_dir()]
    return base, out_dir


def test_only_lists_came_and_the_data_date_is_the_end_of_the_last_bill(lists_world):
    base, _ = lists_world
    con = duckdb.connect(str(base / "w.duckdb"), read_only=True)
    n = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in (
        "stg_power_accounts", "stg_tracks", "stg_power_surge_list", "stg_track_alarms", "stg_registry_list")}
    assert n["stg_power_accounts"] == 0 and n["stg_tracks"] == 0
    assert min(n["stg_power_surge_list"], n["stg_track_alarms"], n["stg_registry_list"]) > 0
    periods = dict(con.execute("SELECT period, count(*) FROM stg_power_readings GROUP BY period").fetchall())
    assert set(periods) == {"month"}
    as_of = con.execute("SELECT max(as_of) FROM runs").fetchone()[0]
    assert as_of == dt.date(2021, 6, 30)           # June's bill reaches June 30, not June 1


def test_reasons_cite_the_offices_lists(lists_world):
    base, out_dir = lists_world
    ranking = pd.read_csv(out_dir / "ranking.csv", encoding="utf-8-sig", dtype=str)
    reasons = " ".join(ranking["主要依据"].fillna(""))
    for phrase in ("供电所电量激增清单", "月度电量", "联网联控平台报警", "市场监管所排查名单"):
        assert phrase in reasons, phrase
    con = duckdb.connect(str(base / "w.duckdb"), read_only=True)
    fired = {r[0] for r in con.execute("SELECT DISTINCT signal FROM evidence").fetchall()}
    assert {"power_office_list", "power_monthly", "track_alarm", "registry_office_list"} <= fired
    # what needs daily readings or raw GPS stays silent rather than guessing
    assert not fired & {"power_night", "power_flat", "power_surge", "truck_stop"}
    # every premises known only from the surge list / bills still has its name on the list
    top = ranking[ranking["主要依据"].str.contains("供电所电量激增清单", na=False)]
    assert len(top) and top["名称"].notna().all() and (top["名称"] != "（名称不详）").all()


def test_report_says_what_stood_in_and_that_night_use_could_not_be_judged(lists_world):
    _, out_dir = lists_world
    html = (out_dir / "report.html").read_text(encoding="utf-8")
    assert "以危货车辆报警代替" in html
    assert "用电量只有月度数据" in html
    assert "本次没有危货车辆轨迹数据，相关信号未参与评分" not in html
    assert "本次没有电力用户档案数据" in html
