"""Signals from what offices hand over instead of raw data (issue 15): monthly bills, the
power office's surge list, the platform's alarms, the market office's screened list. Each
case is a few inline rows through a real DuckDB, the real link and the real signal."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from tests.stagekit import daily_readings, insert, signal_evidence_by_account, stg_db
from tests.test_signals_transport import CHEM, GAS, HOUSE, SHOE, _trip, _tracks, _waybill, _world

AS_OF = dt.date(2021, 7, 5)
MONTHS = pd.date_range("2019-07-01", "2021-06-01", freq="MS")


def _acct(no, name, n, category="一般工商业用电", community="灵水"):
    return dict(account_no=no, account_name=name, address=f"晋江市灵源街道{community}社区锦华路{n}号",
                category=category, status="正常", capacity_kva=50.0, opened=dt.date(2010, 1, 1))


def _bills(con, account_no, kwh_of_month, **extra):
    """24 monthly bills 2019-07 … 2021-06; kwh_of_month(month Timestamp) → kWh."""
    rows = [dict(account_no=account_no, day=m.date(), period="month", kwh=float(kwh_of_month(m)), **extra)
            for m in MONTHS]
    insert(con, "stg_power_readings", rows)


def _ev(con, code, as_of=AS_OF):
    return signal_evidence_by_account(con, code, as_of)


# ---------------------------------------------------------------- power_monthly

def test_power_monthly_fires_on_a_rise_against_last_year_and_a_steady_house_not_on_seasons():
    con = stg_db()
    insert(con, "stg_power_accounts", [
        _acct("0510000001", "晋江市灵源某某新材料有限公司", 1),       # rose from April 2021
        _acct("0510000002", "晋江市灵源大华鞋业有限公司", 2),         # big, steady: a factory
        _acct("0510000003", "张三", 3, "居民生活用电"),                # a house drawing like a workshop
        _acct("0510000004", "晋江市灵源冷饮店", 4),                   # summer peak, both years
        _acct("0510000005", "晋江市灵源日报五金店", 5),               # daily readings too: power_surge's
    ] + [_acct(f"05100001{k:02d}", f"李{k}", 10 + k, "居民生活用电") for k in range(5)])
    _bills(con, "0510000001", lambda m: 6000 if m >= pd.Timestamp("2021-04-01") else 1500)
    _bills(con, "0510000002", lambda m: 40000)
    _bills(con, "0510000003", lambda m: 3000)
    _bills(con, "0510000004", lambda m: 4000 if m.month in (5, 6, 7, 8) else 1000)
    _bills(con, "0510000005", lambda m: 6000 if m >= pd.Timestamp("2021-04-01") else 1500)
    daily_readings(con, "0510000005", "2021-04-01", 91, 200.0)
    for k in range(5):
        _bills(con, f"05100001{k:02d}", lambda m: 200)
    ev = _ev(con, "power_monthly")
    assert sorted(ev.index) == ["0510000001", "0510000003"]
    s = ev.loc["0510000001"]
    assert s["sentence"] == ("月度电量：2021年4–6月 月均 6,000 kWh，为上年同期（月均 1,500 kWh）的 4.0 倍，"
                             "此前6个月月均中位数 1,500 kWh，自2021年4月起（仅有月度电量，无法判断夜间用电）")
    assert s["strength"] == pytest.approx(0.5 + 0.5 * (4.0 - 2.0) / 4.0)
    h = ev.loc["0510000003"]
    assert "居民生活用电户" in h["sentence"] and "同类用户中位数 200 kWh 的 15.0 倍" in h["sentence"]
    assert h["strength"] < s["strength"]


# ---------------------------------------------------------------- power_office_list

def test_power_office_list_names_the_office_checks_its_figures_and_yields_to_daily_readings():
    con = stg_db()
    insert(con, "stg_power_accounts", [
        _acct("0510000011", "晋江市灵源某某生物科技有限公司", 11),
        _acct("0510000012", "晋江市灵源某某包装有限公司", 12),
        _acct("0510000013", "晋江市灵源某某五金店", 13),            # daily readings cover June
    ])
    daily_readings(con, "0510000013", "2021-06-01", 30, 500.0)
    june = dict(period_start=dt.date(2021, 6, 1), period_end=dt.date(2021, 6, 30), office="罗山供电所")
    insert(con, "stg_power_surge_list", [
        dict(account_no="0510000011", account_name="晋江市灵源某某生物科技有限公司", kwh=18400.0,
             kwh_last_year=4381.0, growth_yoy=3.2, **june),
        # stated 同比 +150% but its own kWh say +50%: the kWh win, and the reason says so
        dict(account_no="0510000012", kwh=4500.0, kwh_last_year=3000.0, growth_yoy=1.5, **june),
        dict(account_no="0510000013", kwh=15000.0, kwh_last_year=3000.0, growth_yoy=4.0, **june),
        # a list period that ended long before the run date is not this run's
        dict(account_no="0510000012", kwh=9000.0, kwh_last_year=1000.0, growth_yoy=8.0,
             period_start=dt.date(2020, 12, 1), period_end=dt.date(2020, 12, 31), office="罗山供电所"),
    ])
    ev = _ev(con, "power_office_list")
    assert sorted(ev.index) == ["0510000011", "0510000012"]
    assert ev.loc["0510000011", "sentence"] == (
        "供电所电量激增清单（罗山供电所）：2021年6月 电量 18,400 kWh，同比增长 320%（上年同期 4,381 kWh）")
    assert ev.loc["0510000011", "strength"] == pytest.approx(0.5 + 0.5 * (18400 / 4381 - 2.0) / 4.0)
    assert ev.loc["0510000012", "sentence"].endswith("；清单所列同比增长 150%与电量不符，按电量计为增长 50%")
    assert ev.loc["0510000012", "strength"] == pytest.approx(0.5 + 0.5 * (1.5 - 2.0) / 4.0)


def test_an_account_known_only_from_the_surge_list_becomes_a_premises_and_links_to_its_firm():
    con = stg_db()
    insert(con, "stg_registry", [dict(uscc="91350582MA2Y00011X", source_key="91350582MA2Y00011X",
                                      name="晋江市灵源凯通新材料有限公司", status="存续",
                                      address="晋江市灵源街道英塘社区英塘路88号", scope="新材料技术推广服务")])
    insert(con, "stg_power_surge_list", [dict(
        account_no="0510000021", account_name="晋江市灵源凯通新材料有限公司", address="灵源街道英塘社区英塘路88号",
        category="一般工商业用电", kwh=12000.0, kwh_last_year=2000.0, period_start=dt.date(2021, 6, 1),
        period_end=dt.date(2021, 6, 30), office="安海供电所")])
    ev = _ev(con, "power_office_list")
    assert list(ev.index) == ["0510000021"]
    members = con.execute("""SELECT source, source_key FROM premises_members WHERE premises_id = ?
                             ORDER BY source""", [ev.iloc[0]["premises_id"]]).fetchall()
    assert members == [("power_accounts", "0510000021"), ("registry", "91350582MA2Y00011X")]
    assert con.execute("SELECT known_from FROM int_power_accounts").fetchall() == [("power_surge_list",)]


# ---------------------------------------------------------------- track_alarm

def _alarm(plate, kind, start, minutes, pt=None, location=None):
    t0 = pd.Timestamp(start)
    return dict(plate=plate, alarm_type=kind, started_at=t0.to_pydatetime(),
                ended_at=(t0 + pd.Timedelta(minutes=minutes)).to_pydatetime(), duration_min=float(minutes),
                lon=None if pt is None else pt[0], lat=None if pt is None else pt[1], location=location)


def test_track_alarm_places_by_coordinates_or_address_and_keeps_silent_where_explained():
    con = stg_db()
    _world(con)
    insert(con, "stg_track_alarms", [
        # three night 异常停车 at the idle house (coordinates)
        *[_alarm("闽C12345", "异常停车", f"2021-06-{d} 22:30", 100, HOUSE) for d in (20, 23, 27)],
        # one daytime alarm with no coordinates, placed by its 位置描述 at the clothing firm
        _alarm("闽C22222", "异常停车", "2021-06-25 10:00", 45, None, "福建省泉州市晋江市灵源街道灵水社区华泰路21号附近"),
        _alarm("闽C66666", "异常停车", "2021-06-24 23:00", 60, GAS),           # fuel station: its trade
        _alarm("闽C77777", "异常停车", "2021-06-24 09:00", 50, CHEM),          # licensed firm
        _alarm("闽C54321", "异常停车", "2021-06-26 10:00", 40, SHOE),          # declared by its waybill
        _alarm("闽C12345", "夜间行驶", "2021-06-21 03:00", 40, HOUSE),         # moving: names no place
        _alarm("闽C33333", "异常停车", "2021-06-22 22:00", 120, HOUSE),        # raw tracks cover it
        _alarm("闽C12345", "异常停车", "2021-05-01 22:30", 100, HOUSE),        # outside the window
    ])
    insert(con, "stg_waybills", [_waybill("35052021062600001", "晋江市鑫源鞋业有限公司", "91350582MA2Y00003X",
                                          "晋江市灵源街道灵水社区紫华路301号", "丁酮", "2021-06-26 09:00",
                                          plate="闽C54321", qty=800, unit="kg")])
    _tracks(con, _trip("闽C33333", "2021-06-22 21:50", [(HOUSE, 120)]))
    ev = _ev(con, "track_alarm", dt.date(2021, 6, 30))
    assert sorted(ev.index) == ["3500000101", "3500000105"]
    house = ev.loc["3500000101"]
    assert house["sentence"].startswith("联网联控平台报警：危货车辆 闽C12345 在此“异常停车”3 次（其中夜间 3 次，累计 5.0 小时），"
                                        "最近 2021-06-27，无对应电子运单，该处无危化品许可（报警位置距该处 0 米")
    assert house["strength"] == pytest.approx(1.0)
    shop = ev.loc["3500000105"]
    assert shop["strength"] == pytest.approx(0.4 / 3)
    assert shop["sentence"].endswith("（报警位置：福建省泉州市晋江市灵源街道灵水社区华泰路21号附近）")
    # the raw tracks' stop is truck_stop's evidence, not a second one here
    ts = _ev(con, "truck_stop", dt.date(2021, 6, 30))
    assert list(ts.index) == ["3500000101"] and "闽C33333" in ts.loc["3500000101", "sentence"]


# ---------------------------------------------------------------- registry_office_list

def test_registry_office_list_cites_the_office_and_brings_firms_the_registry_lacks():
    con = stg_db()
    _world(con)                                 # 福华化工 holds a valid licence
    insert(con, "stg_registry_list", [
        dict(source_key="91350582MA2Y00001X", uscc="91350582MA2Y00001X", name="晋江市福华化工有限公司",
             address="晋江市灵源街道灵水社区灵水工业区锦山路16号", reason="名称含“化工”", office="灵源市场监管所",
             listed_on=dt.date(2021, 6, 30)),
        dict(source_key="91350582MA2Y00002X", uscc="91350582MA2Y00002X", name="晋江市宏达服装有限公司",
             address="晋江市灵源街道灵水社区华泰路21号", reason="经营范围含“化学”", office="灵源市场监管所",
             listed_on=dt.date(2021, 6, 30)),
        # not in the registry export at all
        dict(source_key="晋江市灵源鑫鑫化工厂|晋江市灵源街道灵水社区灵安路99号", name="晋江市灵源鑫鑫化工厂",
             address="晋江市灵源街道灵水社区灵安路99号", reason="名称含“化工”", office="灵源市场监管所",
             listed_on=dt.date(2021, 6, 30)),
        # a keyword list trips on 化工 inside 绿化工程: listed, but not named a chemical firm
        dict(source_key="91350582MA2Y00009X", uscc="91350582MA2Y00009X", name="晋江市灵源绿化工程有限公司",
             address="晋江市灵源街道灵水社区灵安路31号", reason="名称含“化工”", office="灵源市场监管所",
             listed_on=dt.date(2021, 6, 30)),
    ])
    from pipeline.link import build_premises
    from pipeline.signals import prepare, signal_evidence
    from tests.stagekit import project_config

    cfg = project_config()
    build_premises(con, cfg)
    prepare(con, cfg, dt.date(2021, 7, 5))
    ev = signal_evidence(con, cfg, "registry_office_list", dt.date(2021, 7, 5))
    names = dict(con.execute("SELECT premises_id, name FROM premises").fetchall())
    got = sorted((names[p], s, round(x, 2)) for p, s, x in zip(ev["premises_id"], ev["sentence"], ev["strength"]))
    # named a chemical firm: full strength; listed for a scope word only: scope_strength
    assert got == [
        ("晋江市宏达服装有限公司", "市场监管所排查名单（灵源市场监管所，2021年6月30日）：列入原因 经营范围含“化学”", 0.3),
        ("晋江市灵源绿化工程有限公司", "市场监管所排查名单（灵源市场监管所，2021年6月30日）：列入原因 名称含“化工”", 0.3),
        ("晋江市灵源鑫鑫化工厂", "市场监管所排查名单（灵源市场监管所，2021年6月30日）：列入原因 名称含“化工”", 1.0),
    ]


# ---------------------------------------------------------------- monthly bills feed the level checks

def test_monthly_bills_alone_give_the_level_checks_their_consumption():
    con = stg_db()
    # a business meter with no registration and no licence, handed over only as monthly bills
    _bills(con, "0510000031", lambda m: 3100, account_name="林某", address="晋江市灵源街道林口社区林口路7号",
           category="一般工商业用电")
    ev = _ev(con, "unregistered_power")
    assert list(ev.index) == ["0510000031"]
    assert ev.iloc[0]["sentence"] == ("用电户（一般工商业用电）近4周日均用电 103 kWh（按月度电量折算），"
                                      "但该处无营业执照登记、无危化品许可")
