"""A meter in a person's name at a registered business's door (issue 11): power offices open
a factory's account in the boss's or the landlord's name. Where that business has no meter of
its own, power alone at its door is no unregistered occupant; where it has one, a second
person-named meter drawing industrial power is a 厂中厂 lead as before."""

from __future__ import annotations

import datetime as dt

from tests.stagekit import insert, signal_evidence_by_account, stg_db
from tests.test_signals_power import AS_OF, DAYS, START, _account, _tou

ROAD = "福建省晋江市灵源街道林口社区创业路"


def _firm(con, n: int, uscc: str, name: str) -> None:
    insert(con, "stg_registry", [dict(uscc=uscc, source_key=uscc, name=name, address=f"{ROAD}{n}号", status="存续",
                                      legal_rep="王建国", founded=dt.date(2012, 3, 1), industry_code="1952",
                                      industry="皮鞋制造", scope="鞋生产、销售")])


def _meter(con, no: str, n: int, name: str, category: str) -> None:
    insert(con, "stg_power_accounts", [dict(_account(no, n, name, category, capacity_kva=80), address=f"{ROAD}{n}号")])
    _tou(con, no, START, DAYS, "400", 0.1, 0.35)


def _neighbours(con) -> None:
    """Ordinary firms with their own meters along the road: enough records for the link
    model's estimates."""
    for i in range(8):
        n = 30 + 2 * i
        name = f"晋江市灵源{'甲乙丙丁戊己庚辛'[i]}兴鞋材有限公司"
        _firm(con, n, f"91350582MA2Y2{i:04d}X", name)
        _meter(con, f"35000002{i:02d}", n, name, "一般工商业用电")


def _signals(con, account_no):
    out = {}
    for code in ("unregistered_power", "multi_entity", "power_industrial_on_residential"):
        ev = signal_evidence_by_account(con, code, AS_OF)
        out[code] = account_no in ev.index
    return out


def test_landlord_meter_at_a_firm_without_its_own_is_not_an_unregistered_occupant():
    con = stg_db()
    _neighbours(con)
    _firm(con, 10, "91350582MA2Y10001X", "晋江市灵源华鑫鞋业有限公司")            # no meter of its own
    _meter(con, "3500000010", 10, "李秀英", "居民生活用电")                       # the landlord's name
    _meter(con, "3500000012", 12, "陈志明", "居民生活用电")                       # no business at 12号
    assert _signals(con, "3500000010") == {"unregistered_power": False, "multi_entity": False,
                                           "power_industrial_on_residential": False}
    assert _signals(con, "3500000012") == {"unregistered_power": True, "multi_entity": False,
                                           "power_industrial_on_residential": True}


def test_a_second_person_meter_where_the_firm_has_its_own_stays_a_lead():
    con = stg_db()
    _neighbours(con)
    _firm(con, 10, "91350582MA2Y10001X", "晋江市灵源华鑫鞋业有限公司")
    _meter(con, "3500000011", 10, "晋江市灵源华鑫鞋业有限公司", "一般工商业用电")  # the firm's own meter
    _meter(con, "3500000010", 10, "李秀英", "居民生活用电")
    got = _signals(con, "3500000010")
    assert got["unregistered_power"] and got["multi_entity"] and got["power_industrial_on_residential"]


def test_the_bosss_home_tariff_meter_on_the_firms_road_is_the_firms_when_its_registration_gives_no_number():
    con = stg_db()
    _neighbours(con)
    insert(con, "stg_registry", [dict(uscc="91350582MA2Y10009X", source_key="91350582MA2Y10009X",
                                      name="晋江市灵源凯佳体育用品有限公司", address=ROAD.replace("创业路", "英华路"),
                                      status="存续", legal_rep="颜建华", founded=dt.date(2012, 3, 1),
                                      industry_code="1952", industry="皮鞋制造", scope="鞋生产、销售")])
    _meter(con, "3500000050", 263, "颜建华", "居民生活用电")
    con.execute("UPDATE stg_power_accounts SET address = ? WHERE account_no = '3500000050'",
                [ROAD.replace("创业路", "英华路") + "263号"])
    _meter(con, "3500000051", 265, "颜志强", "居民生活用电")                  # someone else on that road
    con.execute("UPDATE stg_power_accounts SET address = ? WHERE account_no = '3500000051'",
                [ROAD.replace("创业路", "英华路") + "265号"])
    assert _signals(con, "3500000050")["unregistered_power"] is False
    assert _signals(con, "3500000051")["unregistered_power"] is True
