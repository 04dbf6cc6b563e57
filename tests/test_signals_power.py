"""Power signals on small inline worlds through a real DuckDB: each fires on the case built to
fire it and stays silent on its legal look-alike."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.stagekit import daily_readings, insert, signal_evidence_by_account, stg_db

START = "2021-01-01"
DAYS = 181
AS_OF = dt.date(2021, 6, 30)


ROADS = "灵安华泰锦山英华紫华晋新林口曾林布林浯塘"


def _addr(n: int, community: str = "灵水") -> str:
    road = ROADS[(2 * n) % len(ROADS): (2 * n) % len(ROADS) + 2]
    return f"福建省晋江市灵源街道{community}社区{road}路{n}号"


def _account(no: str, n: int, name: str, category: str = "一般工商业用电", **kw) -> dict:
    return dict(account_no=no, account_name=name, address=_addr(n), category=category,
                status=kw.pop("status", "正常"), capacity_kva=kw.pop("capacity_kva", 50.0),
                opened=kw.pop("opened", dt.date(2010, 1, 1)), **kw)


def _tou(con, account_no: str, start: str, days: int, sql_kwh: str, valley: float, peak: float) -> None:
    """Readings whose kWh is an SQL expression of the day index i, with fixed shares."""
    con.execute(
        f"""INSERT INTO stg_power_readings (batch_id, src_row, account_no, day, period, kwh, kwh_peak, kwh_flat, kwh_valley)
            SELECT 1, 2 + i, ?, ?::DATE + i::INTEGER, 'day', k, k * ?, k * (1 - ? - ?), k * ?
            FROM (SELECT i, ({sql_kwh})::DOUBLE AS k FROM range(?) t(i))""",
        [account_no, start, peak, peak, valley, valley, days])


def _peers(con, n: int = 4, category: str = "一般工商业用电", kwh: float = 100, first_no: int = 100) -> None:
    """Ordinary accounts of one category: steady daytime load."""
    rows = [_account(f"35000{first_no + i:05d}", first_no + i, f"晋江市灵源普通{i}号商行", category) for i in range(n)]
    insert(con, "stg_power_accounts", rows)
    for i, r in enumerate(rows):
        daily_readings(con, r["account_no"], START, DAYS, kwh + 10 * i, 0.1)


def _evidence(con, code, **overrides):
    return signal_evidence_by_account(con, code, AS_OF, **overrides)


# ---------------------------------------------------------------- power_surge

def test_surge_fires_with_change_point_and_ignores_steady_and_registered_ramp():
    con = stg_db()
    insert(con, "stg_power_accounts", [
        _account("3500000001", 1, "张三"),                                       # surge on 6月2日
        _account("3500000002", 2, "晋江市华鑫塑胶有限公司", opened=dt.date(2021, 3, 1)),   # registered ramp
        _account("3500000003", 3, "李四", opened=dt.date(2021, 3, 1)),            # unregistered new meter
    ])
    insert(con, "stg_registry", [dict(uscc="91350582MA2Y000009", source_key="91350582MA2Y000009",
                                      name="晋江市华鑫塑胶有限公司", address=_addr(2), status="存续",
                                      founded=dt.date(2021, 2, 1), industry="塑料制品")])
    daily_readings(con, "3500000001", START, DAYS, 50, 0.1, step_day=152, step_kwh=200)
    _tou(con, "3500000002", "2021-03-01", 122, "least(800, 10 + 20 * i)", 0.1, 0.3)
    _tou(con, "3500000003", "2021-03-01", 122, "800", 0.1, 0.3)
    ev = _evidence(con, "power_surge")
    assert ev.loc["3500000001", "sentence"] == "近4周日均 200 kWh，为此前12周的 4.0 倍（此前同星期日均 50 kWh；自 6月2日起）"
    assert ev.loc["3500000001", "strength"] == pytest.approx(0.75)
    assert "3500000002" not in ev.index                      # a new registered factory commissioning
    assert ev.loc["3500000003", "sentence"].startswith("2021年3月1日新立户（户名 李四，无同名新设市场主体），立户前无用电；近4周日均 800 kWh")
    assert ev.loc["3500000003", "strength"] == pytest.approx(0.5)   # at its peers' median (800)


def test_surge_ignores_steady_and_noisy_weekly_loads():
    con = stg_db()
    _peers(con)
    insert(con, "stg_power_accounts", [_account("3500000001", 1, "晋江市林口鞋业有限公司")])
    _tou(con, "3500000001", START, DAYS, "CASE WHEN (i + 5) % 7 = 0 THEN 150 ELSE 450 + 40 * sin(i) END", 0.1, 0.3)
    assert _evidence(con, "power_surge").empty


def test_surge_inside_recent_window_is_dated_and_measured_since_the_change():
    con = stg_db()
    _peers(con)
    insert(con, "stg_power_accounts", [_account("3500000001", 1, "张三")])
    daily_readings(con, "3500000001", START, DAYS, 100, 0.1, step_day=170, step_kwh=500)   # from 6月20日
    ev = _evidence(con, "power_surge")
    assert ev.loc["3500000001", "sentence"] == "自6月20日起日均 500 kWh，为此前12周的 5.0 倍（此前同星期日均 100 kWh；自 6月20日起）"


# ---------------------------------------------------------------- power_night

def test_night_share_jump_fires_bakery_always_at_night_is_silent():
    con = stg_db()
    _peers(con)
    insert(con, "stg_power_accounts", [
        _account("3500000001", 1, "王五"),                     # night share 10% → 70% on 6月2日
        _account("3500000002", 2, "晋江市灵源富兴面包店"),       # bakery: 55% all along
        _account("3500000003", 3, "赵六"),                     # 75% all along: beyond night trades
    ])
    _tou(con, "3500000001", START, DAYS, "300", 0.1, 0.3)
    con.execute("UPDATE stg_power_readings SET kwh_valley = kwh * 0.7, kwh_peak = kwh * 0.1, kwh_flat = kwh * 0.2 "
                "WHERE account_no = '3500000001' AND day >= DATE '2021-06-02'")
    _tou(con, "3500000002", START, DAYS, "100", 0.55, 0.2)
    _tou(con, "3500000003", START, DAYS, "400", 0.75, 0.1)
    ev = _evidence(con, "power_night")
    assert ev.loc["3500000001", "sentence"] == (
        "近4周谷时段（夜间）用电占 70%（日均 300 kWh，其中夜间 210 kWh），同类用户（一般工商业用电）中位数 10%；"
        "此前12周仅 10%，自 6月2日起夜间用电占比上升")
    assert ev.loc["3500000001", "strength"] == pytest.approx(0.5 + 0.5 * (0.7 - 0.5) / 0.3)
    assert "3500000002" not in ev.index
    steady = ev.loc["3500000003"]
    assert steady["strength"] == pytest.approx(0.6 * 0.5 * (1 + (0.75 - 0.5) / 0.3))
    assert "此前12周同为 75%，长期以夜间用电为主，夜间平均负荷为白天的 6.0 倍" in steady["sentence"]


def test_night_ignores_a_home_charging_an_electric_car():
    con = stg_db()
    _peers(con, category="居民生活用电", kwh=8)
    insert(con, "stg_power_accounts", [_account("3500000001", 1, "陈七", "居民生活用电", capacity_kva=8)])
    daily_readings(con, "3500000001", START, DAYS, 8, 0.2, step_day=120, step_kwh=25)
    con.execute("UPDATE stg_power_readings SET kwh_valley = kwh * 0.7 WHERE account_no = '3500000001' AND kwh > 20")
    assert "3500000001" not in _evidence(con, "power_night").index


# ---------------------------------------------------------------- power_flat

def test_flat_round_the_clock_fires_cold_store_and_weekly_factory_are_silent():
    con = stg_db()
    insert(con, "stg_power_accounts", [
        _account("3500000001", 1, "晋江市灵源宏达新材料科技有限公司"),
        _account("3500000002", 2, "晋江市泰辉冷链物流有限公司"),
        _account("3500000003", 3, "晋江市林口鞋业有限公司"),
    ])
    insert(con, "stg_registry", [dict(uscc="91350582MA2Y000008", source_key="91350582MA2Y000008",
                                      name="晋江市泰辉冷链物流有限公司", address=_addr(2), status="存续",
                                      industry="低温仓储", founded=dt.date(2001, 3, 26))])
    _tou(con, "3500000001", START, DAYS, "400", 8 / 24, 7 / 24)
    _tou(con, "3500000002", START, DAYS, "600", 8 / 24, 7 / 24)
    # a factory: the same shares but quiet on Sundays
    _tou(con, "3500000003", START, DAYS, "CASE WHEN (i + 5) % 7 = 0 THEN 150 ELSE 450 END", 8 / 24, 7 / 24)
    ev = _evidence(con, "power_flat")
    assert list(ev.index) == ["3500000001"]
    assert ev.loc["3500000001", "sentence"] == (
        "近4周全天候平稳用电：日均 400 kWh，谷/峰时段电量占 33%/29%，与时段时长占比 33%/29% 相当（昼夜无起伏）；"
        "每周七天用电相同（最低的星期为最高的 100%），逐日波动 0%；未登记为冷库等需连续用电的行业，亦无有效危化品许可")
    assert ev.loc["3500000001", "strength"] == pytest.approx(0.5 + 0.5 * 300 / 900)


# ---------------------------------------------------------------- power_utilisation

def test_utilisation_of_a_small_contract():
    con = stg_db()
    insert(con, "stg_power_accounts", [
        _account("3500000001", 1, "林阿明", capacity_kva=10),
        _account("3500000002", 2, "晋江市灵源建源百货店", capacity_kva=16),
    ])
    daily_readings(con, "3500000001", START, DAYS, 190, 0.6)
    daily_readings(con, "3500000002", START, DAYS, 68, 0.1)          # a shop: 21% of its contract
    ev = _evidence(con, "power_utilisation")
    assert list(ev.index) == ["3500000001"]
    assert ev.loc["3500000001", "sentence"] == (
        "一般工商业用电户 3500000001（合同容量 10 kVA）近4周日均用电 190 kWh，为其全天满载可供电量 204 kWh"
        "（容量×24小时×功率因数 0.85）的 93%")
    assert ev.loc["3500000001", "strength"] == pytest.approx(0.5 + 0.5 * (190 / 204 - 0.6) / 0.4)


# ---------------------------------------------------------------- residential / idle site

def test_industrial_on_residential_rose_fires_steady_shop_on_home_tariff_silent():
    con = stg_db()
    _peers(con, n=5, category="居民生活用电", kwh=8)
    insert(con, "stg_power_accounts", [
        _account("3500000001", 1, "吴火炎", "居民生活用电", capacity_kva=10),
        _account("3500000002", 2, "许培南", "居民生活用电", capacity_kva=8),
    ])
    daily_readings(con, "3500000001", START, DAYS, 4, 0.2, step_day=140, step_kwh=400)   # from 5月21日
    daily_readings(con, "3500000002", START, DAYS, 110, 0.1)                           # steady shop
    ev = _evidence(con, "power_industrial_on_residential")
    assert list(ev.index) == ["3500000001"]
    assert ev.loc["3500000001", "sentence"] == (
        "居民生活用电户 3500000001（户名 吴火炎）近4周日均用电 400 kWh，为同类用户中位数 38.0 kWh 的 11 倍；"
        "此前12周同星期日均仅 4.0 kWh，自 5月21日起升至现水平")
    assert ev.loc["3500000001", "strength"] == pytest.approx(1.0)


def test_idle_site_drawing_new_power_fires_steady_mislinked_site_silent():
    con = stg_db()
    insert(con, "stg_power_accounts", [
        _account("3500000001", 1, "许添财", capacity_kva=10),
        _account("3500000002", 2, "晋江市协华机械有限公司", capacity_kva=80),
    ])
    insert(con, "stg_sites", [dict(site_id="LYXZ-1", site_type="闲置厂房", address=_addr(1)),
                              dict(site_id="LYXZ-2", site_type="闲置厂房", address=_addr(2))])
    daily_readings(con, "3500000001", START, DAYS, 1, 0.3, step_day=100, step_kwh=300)   # from 4月11日
    daily_readings(con, "3500000002", START, DAYS, 400, 0.1)
    ev = _evidence(con, "idle_site")
    site_of = dict(con.execute("SELECT source_key, premises_id FROM premises_members").fetchall())
    assert site_of["LYXZ-1"] == site_of["3500000001"]
    assert list(ev.index) == ["3500000001"]
    assert ev.loc["3500000001", "sentence"] == (
        "列入闲置场所台账（闲置厂房），但近4周日均用电 300 kWh（自 4月11日起；此前12周同星期日均 1.0 kWh）")


# ---------------------------------------------------------------- power_status_mismatch

def test_status_mismatch_closed_account_still_metering_and_resumed_under_new_meter():
    con = stg_db()
    insert(con, "stg_power_accounts", [
        _account("3500000001", 1, "晋江市兴鹏鞋业有限公司", status="销户"),      # still metering
        _account("3500000002", 2, "晋江市明晟服饰有限公司", status="销户"),      # closed in April: stops
        _account("3500000003", 3, "晋江市新鹏服装有限公司", status="暂停"),      # paused …
        _account("3500000004", 3, "郑顺利", opened=dt.date(2021, 6, 1)),          # … new meter same address
    ])
    daily_readings(con, "3500000001", START, DAYS, 120, 0.1)
    daily_readings(con, "3500000002", START, 100, 120, 0.1)
    daily_readings(con, "3500000003", START, DAYS, 0, 0.1)
    daily_readings(con, "3500000004", "2021-06-01", 30, 900, 0.1)
    ev = _evidence(con, "power_status_mismatch")
    assert "3500000002" not in ev.index
    assert ev.loc["3500000001", "sentence"] == (
        "户号 3500000001（晋江市兴鹏鞋业有限公司）用户状态为销户，但最近7天中有 7 天计量用电，日均 120 kWh（至 6月30日）")
    resumed = ev[ev["sentence"].str.contains("另立新户 3500000004")]
    assert len(resumed) == 1
    assert resumed.iloc[0]["sentence"] == (
        "同址原户 3500000003（晋江市新鹏服装有限公司）暂停；2021年6月1日另立新户 3500000004（户名 郑顺利），近4周日均用电 900 kWh")
