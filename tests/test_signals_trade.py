"""Trade- and size-aware power evidence (issue 11): a premises is compared with the premises
of its own registered trade, not only with its 用电类别 — on small inline worlds through a
real DuckDB."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.stagekit import insert, signal_evidence_by_account, stg_db
from tests.test_signals_power import AS_OF, DAYS, START, _account, _addr, _tou


def _firm(con, no: str, n: int, name: str, code: str, industry: str, kwh: float, valley: float,
          capacity: float = 200.0) -> None:
    uscc = f"91350582MA2Y{n:05d}X"
    insert(con, "stg_registry", [dict(uscc=uscc, source_key=uscc, name=name, address=_addr(n), status="存续",
                                      founded=dt.date(2015, 1, 1), industry_code=code, industry=industry)])
    insert(con, "stg_power_accounts", [_account(no, n, name, capacity_kva=capacity)])
    _tou(con, no, START, DAYS, str(kwh), valley, 0.35)


def _shoe_trade(con, n: int = 10) -> None:
    """Shoe-material makers: a day trade, 8–13% of their energy at night."""
    for i in range(n):
        _firm(con, f"35001{i:05d}", 100 + i, f"晋江市灵源{'甲乙丙丁戊己庚辛壬癸'[i]}鞋材有限公司", "1952", "皮鞋制造",
              400 + 20 * i, 0.08 + 0.005 * i)


def test_night_beyond_its_own_trade_fires_below_half_night_trade_silent():
    con = stg_db()
    _shoe_trade(con)
    # 36% at night in a trade whose premises draw ≈10%: rose on 6月2日 (fires), or always so (silent)
    _firm(con, "3500000001", 1, "晋江市灵源凯达鞋材有限公司", "1952", "皮鞋制造", 500, 0.10)
    con.execute("UPDATE stg_power_readings SET kwh_valley = kwh * 0.36, kwh_peak = kwh * 0.3, kwh_flat = kwh * 0.34 "
                "WHERE account_no = '3500000001' AND day >= DATE '2021-06-02'")
    _firm(con, "3500000002", 2, "晋江市灵源宏图鞋材有限公司", "1952", "皮鞋制造", 500, 0.36)
    # printing works run night shifts: 33–38% at night is their trade's rhythm
    for i in range(9):
        _firm(con, f"35002{i:05d}", 200 + i, f"晋江市灵源{'子丑寅卯辰巳午未申'[i]}彩印有限公司", "2319", "包装装潢及其他印刷",
              500, 0.33 + 0.005 * i)
    _firm(con, "3500000003", 3, "晋江市灵源华彩印务有限公司", "2319", "包装装潢及其他印刷", 500, 0.36)
    ev = signal_evidence_by_account(con, "power_night", AS_OF)
    jump = ev.loc["3500000001"]
    assert jump["sentence"] == ("近4周谷时段（夜间）用电占 36%（日均 500 kWh，其中夜间 180 kWh），"
                                "同行业（皮鞋制造）同规模（日均 300–1,500 kWh）用户 12 户中位数 11%，九成不超过 34%；"
                                "此前12周仅 10%，自 6月2日起夜间用电占比上升")
    assert jump["strength"] >= 0.5
    assert "3500000002" not in ev.index        # always so: one of the trade's night shifts, no change of its own
    assert "3500000003" not in ev.index                                  # its trade works at night
    assert not any(k.startswith("35001") or k.startswith("35002") for k in ev.index)


def test_night_without_a_trade_keeps_the_category_threshold():
    con = stg_db()
    _shoe_trade(con)
    # the same 36% on a meter in a person's name with no registration: only the 用电类别
    # comparison applies, and 36% is not most of the energy at night
    insert(con, "stg_power_accounts", [_account("3500000009", 9, "王五", capacity_kva=200)])
    _tou(con, "3500000009", START, DAYS, "500", 0.36, 0.3)
    assert "3500000009" not in signal_evidence_by_account(con, "power_night", AS_OF).index


# ---------------------------------------------------------------- power_level

def _bills(con, account_no: str, months: list[tuple[str, float]]) -> None:
    for i, (ym, daily) in enumerate(months):
        day = dt.date.fromisoformat(ym + "-01")
        ndays = ((day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - day).days
        insert(con, "stg_power_readings", [dict(src_row=1000 + i, account_no=account_no, day=day, period="month",
                                                kwh=daily * ndays)])


def test_level_already_high_in_the_monthly_history_fires_new_meter_and_window_step_silent():
    con = stg_db()
    insert(con, "stg_power_accounts", [
        _account("3500000001", 1, "王五"),                                        # rose 2020年9月
        _account("3500000002", 2, "陈七", opened=dt.date(2020, 9, 15)),           # a meter that starts
        _account("3500000003", 3, "赵六"),                                        # rose inside the window
    ])
    months = [f"2020-{m:02d}" for m in range(1, 13)]
    _bills(con, "3500000001", [(m, 30 if m < "2020-09" else 300) for m in months])
    _bills(con, "3500000002", [(m, 300) for m in months if m >= "2020-09"])
    _bills(con, "3500000003", [(m, 30) for m in months])
    _tou(con, "3500000001", START, DAYS, "300", 0.1, 0.35)
    _tou(con, "3500000002", START, DAYS, "300", 0.1, 0.35)
    _tou(con, "3500000003", START, DAYS, "CASE WHEN i < 90 THEN 30 ELSE 300 END", 0.1, 0.35)
    ev = signal_evidence_by_account(con, "power_level", AS_OF)
    assert ev.loc["3500000001", "sentence"] == (
        "月度电费记录：户号 3500000001 自2020年9月起用电由日均 30 kWh 升至 300 kWh（10.0 倍），"
        "2021年1月1日起的日用电数据开始时已处于高位，最近一月日均 300 kWh")
    assert ev.loc["3500000001", "strength"] == pytest.approx(1.0)
    assert "3500000002" not in ev.index          # its first whole month is already its level
    assert "3500000003" not in ev.index          # the daily readings show the change: power_surge's


def test_level_per_kva_far_beyond_its_trade_fires_ordinary_members_silent():
    con = stg_db()
    _shoe_trade(con)                                    # 200 kVA, 400–580 kWh a day: 10–14% of full load
    _firm(con, "3500000001", 1, "晋江市灵源凯达鞋材有限公司", "1952", "皮鞋制造", 1800, 0.10, capacity=200)
    ev = signal_evidence_by_account(con, "power_level", AS_OF)
    assert list(ev.index) == ["3500000001"]
    util = 1800 / (200 * 24 * 0.85)
    assert ev.loc["3500000001", "sentence"].startswith(
        f"合同容量 200 kVA，近4周日均用电 1,800 kWh，为全天满载可供电量的 {100 * util:.0f}%；同行业（皮鞋制造）")
    assert 0.35 <= ev.loc["3500000001", "strength"] <= 0.7


def test_level_with_monthly_bills_only_is_silent_and_does_not_fail():
    con = stg_db()
    insert(con, "stg_power_accounts", [_account("3500000001", 1, "王五")])
    _bills(con, "3500000001", [(f"2020-{m:02d}", 30 if m < 9 else 300) for m in range(1, 13)])
    assert signal_evidence_by_account(con, "power_level", AS_OF).empty
