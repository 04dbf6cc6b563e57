"""Transport signals on small inline worlds through a real DuckDB: stop detection (unit),
truck_stop, waybill_unlicensed and waybill_stop_mismatch — each fires on the case built to
fire it and stays silent on its legal look-alike."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from pipeline.signals.stops import detect_stops, merge_stops, night_minutes
from tests.stagekit import insert, signal_evidence_by_account, stg_db

AS_OF = dt.date(2021, 6, 30)
M_LAT = 111_320.0
M_LON = 111_320.0 * math.cos(math.radians(24.84))


def _off(pt, east_m=0.0, north_m=0.0):
    return (pt[0] + east_m / M_LON, pt[1] + north_m / M_LAT)


def _drive(plate, t0, a, b, kmh=40.0, step_s=30):
    """Fixes from a to b (straight line) at kmh, one every step_s seconds; returns (rows, t_end)."""
    dx, dy = (b[0] - a[0]) * M_LON, (b[1] - a[1]) * M_LAT
    dist = math.hypot(dx, dy)
    n = max(int(dist / (kmh / 3.6 * step_s)), 1)
    rows = [dict(plate=plate, ts=t0 + pd.Timedelta(seconds=step_s * i),
                 lon=a[0] + (b[0] - a[0]) * i / n, lat=a[1] + (b[1] - a[1]) * i / n, speed=kmh)
            for i in range(n)]
    return rows, t0 + pd.Timedelta(seconds=step_s * n)


def _dwell(plate, t0, pt, minutes, step_s=30, jitter_m=5.0, seed=0):
    rng = np.random.default_rng(seed)
    n = int(minutes * 60 / step_s)
    rows = [dict(plate=plate, ts=t0 + pd.Timedelta(seconds=step_s * i),
                 lon=pt[0] + rng.normal(0, jitter_m) / M_LON, lat=pt[1] + rng.normal(0, jitter_m) / M_LAT, speed=0.0)
            for i in range(n)]
    return rows, t0 + pd.Timedelta(seconds=step_s * n)


def _trip(plate, t0, legs, home=(118.50, 24.80)):
    """legs: list of (point, dwell minutes); drives home → each point (dwelling) → home."""
    rows, t, cur = [], pd.Timestamp(t0), home
    for k, (pt, mins) in enumerate(legs):
        r, t = _drive(plate, t, cur, pt)
        rows += r
        r, t = _dwell(plate, t, pt, mins, seed=k + int(pd.Timestamp(t0).value % 1000))
        rows += r
        cur = pt
    r, t = _drive(plate, t, cur, home)
    rows += r
    return rows


# ================================================================ stop detection (pure)

def test_drive_through_with_a_red_light_is_not_a_stop():
    a, b = (118.55, 24.84), (118.62, 24.84)
    r1, t = _drive("闽C00001", pd.Timestamp("2021-06-01 09:00"), a, _off(a, 3000))
    r2, t = _dwell("闽C00001", t, _off(a, 3000), 3)           # 3 minutes at a junction
    r3, _ = _drive("闽C00001", t, _off(a, 3000), b)
    st = detect_stops(pd.DataFrame(r1 + r2 + r3), 100, 10, 15)
    assert st.empty
    # with a 2-minute threshold the junction is a stop, at the junction
    st = detect_stops(pd.DataFrame(r1 + r2 + r3), 100, 2, 15)
    assert len(st) == 1
    assert abs(st.loc[0, "lon"] - _off(a, 3000)[0]) * M_LON < 30


def test_engine_off_gap_at_the_same_place_is_one_stop_and_trackintel_drops_it():
    p = (118.60, 24.85)
    r1, t = _drive("闽C00002", pd.Timestamp("2021-06-01 21:30"), (118.55, 24.85), p)
    r2, _ = _dwell("闽C00002", t, p, 2)                      # arrives, engine off at ~22:00
    r3, t3 = _dwell("闽C00002", pd.Timestamp("2021-06-02 05:30"), _off(p, 20), 2)   # back on at 05:30
    r4, _ = _drive("闽C00002", t3, _off(p, 20), (118.65, 24.85))
    df = pd.DataFrame(r1 + r2 + r3 + r4)
    st = detect_stops(df, 100, 15, 15)
    assert len(st) == 1
    s = st.iloc[0]
    assert s["engine_off"]
    assert s["started_at"] <= t + pd.Timedelta(minutes=1)
    assert s["finished_at"] >= pd.Timestamp("2021-06-02 05:31")
    assert s["duration_min"] > 7 * 60
    assert night_minutes(st["started_at"], st["finished_at"], [[22, 24], [0, 6]])[0] > 7 * 60
    # trackintel drops a run a gap interrupts
    assert detect_stops(df, 100, 15, 15, gap_mode="trackintel").empty


def test_gap_between_two_places_breaks_and_keeps_the_stop_before_it():
    p, q = (118.60, 24.85), (118.58, 24.83)
    r1, t = _dwell("闽C00003", pd.Timestamp("2021-06-01 10:00"), p, 40)
    r2, _ = _dwell("闽C00003", t + pd.Timedelta(hours=3), q, 5)       # reappears 2.7 km away
    st = detect_stops(pd.DataFrame(r1 + r2), 100, 15, 15)
    assert len(st) == 1
    assert st.loc[0, "finished_at"] == r1[-1]["ts"]
    assert not st.loc[0, "engine_off"]


def test_last_stop_of_the_track_is_included():
    p = (118.60, 24.85)
    r1, t = _drive("闽C00004", pd.Timestamp("2021-06-01 10:00"), (118.55, 24.85), p)
    r2, _ = _dwell("闽C00004", t, p, 30)
    st = detect_stops(pd.DataFrame(r1 + r2), 100, 15, 15)
    assert len(st) == 1
    assert st.loc[0, "finished_at"] == r2[-1]["ts"]
    assert st.loc[0, "n_points"] >= len(r2)


def test_vehicles_are_separate_and_row_order_does_not_matter():
    p = (118.60, 24.85)
    a = _trip("闽C00005", "2021-06-01 10:00", [(p, 30)])
    b = _trip("闽C00006", "2021-06-01 10:05", [(_off(p, 500), 45)])
    df = pd.DataFrame(a + b)
    st1 = detect_stops(df, 100, 15, 15)
    st2 = detect_stops(df.sample(frac=1, random_state=1), 100, 15, 15)
    pd.testing.assert_frame_equal(st1, st2)
    assert sorted(st1["plate"]) == ["闽C00005", "闽C00006"]


def _reference(df, dist, tmin, gap, mode):
    """Straightforward per-fix loop with the documented semantics (test oracle)."""
    out = []
    R = 6_371_000.0

    def d(i, j):
        la1, la2 = math.radians(lat[i]), math.radians(lat[j])
        h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin(math.radians(lon[j] - lon[i]) / 2) ** 2
        return 2 * R * math.asin(math.sqrt(h))

    for plate, g in df.sort_values(["plate", "ts"], kind="stable").groupby("plate", sort=True):
        ts, lon, lat = list(g["ts"]), list(g["lon"]), list(g["lat"])
        n, start = len(ts), 0
        T, G = pd.Timedelta(minutes=tmin), pd.Timedelta(minutes=gap)
        for cur in range(1, n):
            is_gap = ts[cur] - ts[cur - 1] > G
            if mode == "trackintel" and is_gap:
                start = cur
                continue
            if d(start, cur) >= dist:
                if is_gap:                         # our mode: far gap ends the run at cur-1
                    if ts[cur - 1] - ts[start] >= T:
                        out.append((plate, ts[start], ts[cur - 1], cur - start))
                elif ts[cur] - ts[start] >= T:
                    out.append((plate, ts[start], ts[cur], cur - start))
                start = cur
        if n and ts[n - 1] - ts[start] >= T:
            out.append((plate, ts[start], ts[n - 1], n - start))
    return out


@pytest.mark.parametrize("mode", ["stop", "trackintel"])
def test_vectorised_detection_equals_a_plain_loop(mode):
    rng = np.random.default_rng(7)
    rows = []
    for v in range(6):
        t = pd.Timestamp("2021-06-01 08:00")
        x, y = 118.5 + v * 0.01, 24.8
        for _ in range(800):
            # mostly small moves (stays with jitter), some drives, some reporting gaps
            u = rng.random()
            step = rng.normal(0, 8, 2) if u < 0.7 else rng.normal(0, 250, 2)
            x, y = x + step[0] / M_LON, y + step[1] / M_LAT
            t += pd.Timedelta(seconds=int(rng.choice([10, 30, 60])) if rng.random() > 0.02 else int(rng.integers(20, 200)) * 60)
            rows.append(dict(plate=f"P{v}", ts=t, lon=x, lat=y))
    df = pd.DataFrame(rows)
    ours = detect_stops(df, 100, 5, 15, gap_mode=mode)
    ref = _reference(df, 100, 5, 15, mode)
    got = list(zip(ours["plate"], ours["started_at"], ours["finished_at"], ours["n_points"]))
    assert got == ref
    assert len(ref) > 20


def test_merge_stops_joins_a_visit_split_by_the_sliding_anchor():
    st = pd.DataFrame({"plate": ["A", "A", "A"],
                       "started_at": pd.to_datetime(["2021-06-01 10:00", "2021-06-01 10:20", "2021-06-01 15:00"]),
                       "finished_at": pd.to_datetime(["2021-06-01 10:20", "2021-06-01 11:00", "2021-06-01 16:00"]),
                       "duration_min": [20.0, 40.0, 60.0], "lon": [118.6, 118.6002, 118.6], "lat": [24.85] * 3,
                       "n_points": [40, 80, 120], "engine_off": [False, False, False]})
    m = merge_stops(st, 100, 15)
    assert len(m) == 2
    assert m.loc[0, "duration_min"] == 60 and m.loc[0, "n_points"] == 120


# ================================================================ signal worlds

LW = (118.602, 24.846)                       # 灵水 centroid
HOUSE = _off(LW, -400, 300)                  # idle house (residential account)
GAS = _off(LW, 600, -200)                    # fuel station
CHEM = _off(LW, -500, -500)                  # licensed chemical firm
NEIGH = _off(CHEM, 90, 0)                    # an ordinary neighbour 90 m from the licensed firm
SHOP = _off(LW, 300, 500)                    # unlicensed workshop (non-chemical trade on paper)
SHOE = _off(LW, 900, 400)                    # shoe factory, registered, uses glue solvents
EXPIRED = _off(LW, -900, 100)                # a firm whose licence expired


def _acct(no, name, addr, pt, category="一般工商业用电"):
    return dict(account_no=no, account_name=name, address=addr, category=category, status="正常",
                capacity_kva=100.0, opened=dt.date(2010, 1, 1), lon=pt[0], lat=pt[1])


def _world(con):
    insert(con, "stg_power_accounts", [
        _acct("3500000101", "王五", "晋江市灵源街道灵水社区灵安路88号", HOUSE, "居民生活用电"),
        _acct("3500000102", "晋江市灵源灵水加油站有限公司", "晋江市灵源街道灵水社区世纪大道131号", GAS),
        _acct("3500000103", "晋江市福华化工有限公司", "晋江市灵源街道灵水社区灵水工业区锦山路16号", CHEM, "大工业用电"),
        _acct("3500000104", "晋江市灵源永兴五金店", "晋江市灵源街道灵水社区锦山路18号", NEIGH),
        _acct("3500000105", "晋江市宏达服装有限公司", "晋江市灵源街道灵水社区华泰路21号", SHOP),
        _acct("3500000106", "晋江市鑫源鞋业有限公司", "晋江市灵源街道灵水社区紫华路301号", SHOE, "大工业用电"),
        _acct("3500000107", "晋江市恒美涂料有限公司", "晋江市灵源街道灵水社区晋新路203号", EXPIRED, "大工业用电"),
    ])
    insert(con, "stg_registry", [
        dict(uscc="91350582MA2Y00001X", source_key="91350582MA2Y00001X", name="晋江市福华化工有限公司",
             address="晋江市灵源街道灵水社区灵水工业区锦山路16号", status="存续", industry_code="2669",
             industry="其他专用化学产品制造", scope="鞋用胶粘剂生产、销售"),
        dict(uscc="91350582MA2Y00002X", source_key="91350582MA2Y00002X", name="晋江市宏达服装有限公司",
             address="晋江市灵源街道灵水社区华泰路21号", status="存续", industry_code="1819",
             industry="其他机织服装制造", scope="服装生产、销售"),
        dict(uscc="91350582MA2Y00003X", source_key="91350582MA2Y00003X", name="晋江市鑫源鞋业有限公司",
             address="晋江市灵源街道灵水社区紫华路301号", status="存续", industry_code="1953",
             industry="塑料鞋制造", scope="鞋及鞋材生产、销售"),
        dict(uscc="91350582MA2Y00004X", source_key="91350582MA2Y00004X", name="晋江市恒美涂料有限公司",
             address="晋江市灵源街道灵水社区晋新路203号", status="存续", industry_code="2641",
             industry="涂料制造", scope="涂料生产、销售"),
    ])
    insert(con, "stg_licenses", [
        dict(license_no="(闽)WH安许证字〔2019〕0001号", name="晋江市福华化工有限公司", uscc="91350582MA2Y00001X",
             license_type="安全生产许可", scope="胶粘剂（含甲苯、丁酮）、处理剂",
             valid_from=dt.date(2019, 5, 1), valid_to=dt.date(2022, 4, 30),
             address="晋江市灵源街道灵水社区灵水工业区锦山路16号"),
        dict(license_no="(闽)WH安许证字〔2018〕0002号", name="晋江市恒美涂料有限公司", uscc="91350582MA2Y00004X",
             license_type="安全生产许可", scope="涂料（闪点≤60℃）、稀释剂（含甲苯、乙酸丁酯）",
             valid_from=dt.date(2018, 3, 1), valid_to=dt.date(2021, 3, 1),
             address="晋江市灵源街道灵水社区晋新路203号"),
    ])


def _waybill(no, consignee, uscc, addr, goods, when, plate="闽C12345", qty=10.0, unit="吨"):
    kg = qty * 1000 if unit == "吨" else qty
    return dict(waybill_no=no, shipper="石狮市鸿山化工贸易有限公司", carrier="晋江市安达危货运输有限公司",
                consignee=consignee, consignee_uscc=uscc, unload_address=addr, goods=goods,
                hazard_class="3", quantity=qty, unit=unit, quantity_kg=kg, plate=plate,
                depart_at=pd.Timestamp(when).to_pydatetime())


def _tracks(con, rows):
    df = pd.DataFrame(rows)
    con.register("_tr", df)
    con.execute("INSERT INTO stg_tracks (batch_id, src_row, plate, ts, lon, lat, speed, heading) "
                "SELECT 1, row_number() OVER (), plate, ts, lon, lat, speed, 0 FROM _tr")
    con.unregister("_tr")


def _evidence(con, code, **overrides):
    return signal_evidence_by_account(con, code, AS_OF, **overrides)


# ---------------------------------------------------------------- truck_stop

def test_truck_stop_fires_on_night_stops_at_an_idle_house_not_at_the_fuel_station():
    con = stg_db()
    _world(con)
    rows = []
    for k, day in enumerate(["2021-06-20", "2021-06-23", "2021-06-27"]):
        # night: two hours at the idle house
        rows += _trip("闽C12345", f"{day} 22:10", [(HOUSE, 120)])
        # fuel delivery at night to the station (a tanker's ordinary work)
        rows += _trip("闽C66666", f"{day} 23:00", [(GAS, 60)])
        # a daytime delivery to the licensed firm, with its e-waybill
        rows += _trip("闽C77777", f"{day} 09:00", [(CHEM, 50)])
    _tracks(con, rows)
    insert(con, "stg_waybills", [
        _waybill(f"3505202106{20 + k}0001", "晋江市福华化工有限公司", "91350582MA2Y00001X",
                 "晋江市灵源街道灵水社区灵水工业区锦山路16号", "甲苯", f"{d} 08:30", plate="闽C77777")
        for k, d in enumerate(["2021-06-20", "2021-06-23", "2021-06-27"])])
    ev = _evidence(con, "truck_stop")
    assert list(ev.index) == ["3500000101"]
    s = ev.loc["3500000101"]
    assert s["sentence"].startswith("危货车辆 闽C12345 夜间在此停留 3 次（累计 6.")
    assert "该处无危化品许可" in s["sentence"]
    assert s["strength"] == pytest.approx(1.0)
    # the fuel station and the licensed firm (and its neighbour 90 m away) stay silent
    assert "3500000102" not in ev.index and "3500000103" not in ev.index and "3500000104" not in ev.index


def test_truck_stop_daytime_single_stop_is_weak_and_declared_delivery_is_silent():
    con = stg_db()
    _world(con)
    rows = _trip("闽C12345", "2021-06-25 10:00", [(SHOP, 40)])          # undeclared, daytime, once
    rows += _trip("闽C54321", "2021-06-26 10:00", [(SHOE, 40)])         # declared by a waybill
    _tracks(con, rows)
    insert(con, "stg_waybills", [_waybill("35052021062600001", "晋江市鑫源鞋业有限公司", "91350582MA2Y00003X",
                                          "晋江市灵源街道灵水社区紫华路301号", "丁酮", "2021-06-26 09:00",
                                          plate="闽C54321", qty=800, unit="kg")])
    ev = _evidence(con, "truck_stop")
    assert list(ev.index) == ["3500000105"]
    assert ev.loc["3500000105", "strength"] == pytest.approx(0.4 / 3)
    assert "白天在此停留 1 次" in ev.loc["3500000105", "sentence"]


# ---------------------------------------------------------------- waybill_unlicensed

def _deliveries(con):
    wbs = []
    # licensed chemical firm: goods in scope, licence valid → silent
    wbs += [_waybill(f"350520210{m}010001", "晋江市福华化工有限公司", "91350582MA2Y00001X",
                     "晋江市灵源街道灵水社区灵水工业区锦山路16号", "甲苯", f"2021-0{m}-10 09:00") for m in range(1, 7)]
    # shoe factory: registered 19xx, daytime drums of shoe-glue solvents → silent
    wbs += [_waybill(f"350520210{m}150001", "晋江市鑫源鞋业有限公司", "91350582MA2Y00003X",
                     "晋江市灵源街道灵水社区紫华路301号", g, f"2021-0{m}-15 10:00", qty=600, unit="kg")
            for m in range(1, 7) for g in ("丁酮",)]
    # garment company: methyl formate and solvent oil, several at night → fires
    wbs += [_waybill(f"350520210{m}20000{i}", "晋江市宏达服装有限公司", "", "晋江市灵源街道灵水社区华泰路21号",
                     g, f"2021-0{m}-20 {h}", qty=12)
            for i, (m, g, h) in enumerate( ((3, "甲酸甲酯", "23:30"), (4, "溶剂油", "10:00"), (5, "甲酸甲酯", "01:15"),
                            (6, "甲酸甲酯", "23:50"), (6, "溶剂油", "22:40")))]
    # paint maker whose licence expired on 2021-03-01 → fires on what came after
    wbs += [_waybill(f"350520210{m}250001", "晋江市恒美涂料有限公司", "91350582MA2Y00004X",
                     "晋江市灵源街道灵水社区晋新路203号", "甲苯", f"2021-0{m}-25 09:00") for m in (2, 4, 6)]
    insert(con, "stg_waybills", wbs)


def test_waybill_unlicensed_fires_on_unlicensed_and_expired_not_on_licensed_or_shoe_factory():
    con = stg_db()
    _world(con)
    _deliveries(con)
    ev = _evidence(con, "waybill_unlicensed")
    assert sorted(ev.index) == ["3500000105", "3500000107"]
    g = ev.loc["3500000105"]
    assert g["value"] == "5"
    assert "溶剂油、甲酸甲酯" in g["sentence"] and "其中夜间起运 4 张" in g["sentence"]
    assert "该处无危险化学品许可" in g["sentence"]
    assert g["strength"] == pytest.approx(1.0)
    e = ev.loc["3500000107"]
    assert e["value"] == "2"                      # April and June; February was still licensed
    assert "其危化品许可已于 2021-03-01 过期" in e["sentence"]


def test_waybill_unlicensed_shoe_factory_tanker_at_night_is_not_ordinary_use():
    con = stg_db()
    _world(con)
    insert(con, "stg_waybills", [
        _waybill("35052021061500001", "晋江市鑫源鞋业有限公司", "91350582MA2Y00003X",
                 "晋江市灵源街道灵水社区紫华路301号", "丁酮", "2021-06-15 10:00", qty=600, unit="kg"),
        _waybill("35052021061600001", "晋江市鑫源鞋业有限公司", "91350582MA2Y00003X",
                 "晋江市灵源街道灵水社区紫华路301号", "甲酸甲酯", "2021-06-16 23:40", qty=20),
    ])
    ev = _evidence(con, "waybill_unlicensed")
    assert list(ev.index) == ["3500000106"]
    s = ev.loc["3500000106"]
    assert s["value"] == "1" and "甲酸甲酯" in s["sentence"] and "另 1 张为其登记行业" in s["sentence"]


# ---------------------------------------------------------------- waybill_stop_mismatch

def test_waybill_stop_mismatch_blames_where_the_truck_really_stopped():
    con = stg_db()
    _world(con)
    # declared to the licensed firm, but the truck spent an hour at the garment company instead
    insert(con, "stg_waybills", [
        _waybill("35052021062200001", "晋江市福华化工有限公司", "91350582MA2Y00001X",
                 "晋江市灵源街道灵水社区灵水工业区锦山路16号", "甲苯", "2021-06-22 08:30", plate="闽C88888"),
        # an honest one the same week: declared and visited
        _waybill("35052021062400001", "晋江市福华化工有限公司", "91350582MA2Y00001X",
                 "晋江市灵源街道灵水社区灵水工业区锦山路16号", "甲苯", "2021-06-24 08:30", plate="闽C99999"),
    ])
    _tracks(con, _trip("闽C88888", "2021-06-22 09:00", [(SHOP, 60)])
            + _trip("闽C99999", "2021-06-24 09:00", [(CHEM, 60)]))
    ev = _evidence(con, "waybill_stop_mismatch")
    assert list(ev.index) == ["3500000105"]
    s = ev.loc["3500000105", "sentence"]
    assert "申报卸货于「晋江市福华化工有限公司」，车辆未到该处" in s and "在此停留 1.0 小时" in s


def test_waybill_stop_mismatch_reports_on_the_consignee_when_the_stop_is_nowhere_known():
    con = stg_db()
    _world(con)
    insert(con, "stg_waybills", [
        _waybill("35052021062200001", "晋江市福华化工有限公司", "91350582MA2Y00001X",
                 "晋江市灵源街道灵水社区灵水工业区锦山路16号", "甲苯", "2021-06-22 08:30", plate="闽C88888")])
    empty_lot = _off(LW, 200, -900)
    _tracks(con, _trip("闽C88888", "2021-06-22 09:00", [(empty_lot, 90)]))
    ev = _evidence(con, "waybill_stop_mismatch")
    assert list(ev.index) == ["3500000103"]
    s = ev.loc["3500000103", "sentence"]
    assert "申报卸货于此，车辆当日未在此停留" in s and "停留 1.5 小时" in s
