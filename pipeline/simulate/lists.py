"""What the offices hand over instead of raw data (issue 15): their own lists.

- 营销系统 monthly bills: every account, 24 months 2019-07 … 2021-06. The six months inside
  the daily window are the sums of the daily truth (power.readings_block); the 18 before
  follow the account's level, weekly pattern and season, with a planted place's true start
  honoured when it lies before the window.
- 电量激增清单: the power office's own rule applied to those bills, per 供电所.
- 联网联控 alarms: the platform's rules applied to the simulated GPS tracks.
- 市场监管所排查名单: registry rows whose name or scope contains the office's keywords.

Everything here draws from its own generator (np.random.default_rng([seed, 15])), so the
world and every raw-shape file stay byte-identical to what the simulator wrote before.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from pipeline.simulate.geo import M_PER_DEG_LAT, fullwidth_digits
from pipeline.simulate.office import Table, fmt_num, fmt_ts, write_big_csv, write_table
from pipeline.simulate.power import FIRST_WEEKDAY, WEEK
from pipeline.simulate.tracks import EPOCH, FIX_S, LOAD_POINTS, MX, YARD
from pipeline.simulate.world import P_EV, P_FACTORY, P_GAS, P_HOME, P_IDLE, P_OFFICE, P_SHOP, START

# ---------------------------------------------------------------------------- the offices' rules

BILL_FILE = "营销系统_月度电量_201907-202106.csv"
MONTHS = [y * 100 + m for y in (2019, 2020, 2021) for m in range(1, 13)
          if 201907 <= y * 100 + m <= 202106]            # 24 bill months
PRE_START = dt.date(2019, 7, 1)
PRE_DAYS = (START - PRE_START).days                       # 550 days before the daily window
CNY_2020 = (dt.date(2020, 1, 17), dt.date(2020, 2, 20))   # Spring Festival 2020 (long: the epidemic)

# 电量激增 rule of the 供电所 (stated in the list's title rows)
SURGE_MONTHS = (202104, 202105, 202106)
SURGE_MIN_KWH = 3000.0
SURGE_YOY = 1.0          # 同比 ≥ +100 %
SURGE_MOM = 0.8          # 环比 ≥ +80 %

# 联网联控 platform rules
STOP_MIN_S = 20 * 60     # 异常停车: speed ≈ 0 for ≥ 20 min outside the yard
STOP_SPEED = 1.0         # km/h: "≈ 0"
YARD_R_M = 300.0
NIGHT = (2 * 3600, 5 * 3600)        # 夜间行驶: moving between 02:00 and 05:00
FATIGUE_S = 4 * 3600                # 疲劳驾驶: ≥ 4 h driving without a 20-minute rest
NEAR_M = 150.0                      # 位置描述 at number level only this close to a place
ROAD_M = 1500.0
LOAD_NAMES = ("福建省泉州市晋江市经济开发区五里园区", "福建省泉州市晋江市安海镇", "福建省泉州市石狮市石化仓储区")

# 市场监管所: its own keywords (a plain substring rule; longer words first so 化学品 wins over 化学)
MARKET_WORDS = ("化工", "化学品", "化学", "涂料", "油漆", "树脂", "溶剂", "油墨", "稀释剂")
MARKET_OFFICE = "灵源市场监管所"
MARKET_DATE = dt.date(2021, 6, 30)

OFFICES = ("罗山供电所", "安海供电所")       # the two offices of power_accounts (first six communities → 罗山)
CAT_ALIAS = {"大工业用电": "大工业", "一般工商业用电": "一般工商业", "居民生活用电": "城乡居民生活用电",
             "农业生产用电": "农业生产用电"}


def write_lists(out: Path, frames: dict, window: pd.DataFrame, tracks: pd.DataFrame, stops: pd.DataFrame,
                seed: int) -> tuple[list[dict], pd.DataFrame, pd.DataFrame, int]:
    """Write the four list exports; returns (file results, extra members rows, truth alarms, bill rows)."""
    rng = np.random.default_rng([int(seed), 15])
    bills = monthly_bills(frames, window, rng)
    results = [write_bills(out, bills, rng)]
    surge = surge_rows(bills)
    results += write_surge(out, surge, rng)
    alarms = track_alarms(tracks, stops, frames["places"])
    alarm_res, alarms = write_alarms(out, alarms, rng)
    results += alarm_res
    rl = registry_list(frames["registry"])
    results.append(write_registry_list(out, rl, rng))
    pid = frames["accounts"].set_index("account_no")["place_id"]
    acc_nos = sorted(bills["account_no"].unique())
    surge_nos = sorted(surge["account_no"].unique())
    mem = pd.concat([
        pd.DataFrame({"place_id": rl["place_id"].to_numpy(), "source": "registry_list",
                      "source_key": rl["source_key"].to_numpy()}),
        pd.DataFrame({"place_id": pid.loc[acc_nos].to_numpy(), "source": "power_readings", "source_key": acc_nos}),
        pd.DataFrame({"place_id": pid.loc[surge_nos].to_numpy(), "source": "power_surge_list",
                      "source_key": surge_nos}),
    ], ignore_index=True)
    return results, mem, alarms, len(bills)


# ---------------------------------------------------------------------------- monthly bills


def _industry(frames: dict, acc: pd.DataFrame) -> np.ndarray:
    """行业分类 as the 营销系统 holds it: the registered industry of the place for business
    accounts, the tariff's class for homes and farms."""
    reg = frames["registry"].drop_duplicates("place_id").set_index("place_id")["industry"]
    ind = acc["place_id"].map(reg).fillna("").to_numpy(dtype=object)
    by_prof = {P_FACTORY: "其他制造业", P_IDLE: "仓储业", P_SHOP: "零售业", P_OFFICE: "商务服务业",
               P_GAS: "机动车燃油零售", P_HOME: "其他制造业"}
    out = np.array([by_prof.get(int(p), "其他") if not i else i for i, p in zip(ind, acc["prof"])], dtype=object)
    cat = acc["category"].to_numpy()
    out[cat == "居民生活用电"] = "城乡居民生活用电"
    out[cat == "农业生产用电"] = "农、林、牧、渔业"
    return out


def _pre_window(frames: dict, acc: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Bills of the 18 months before the daily window, from each account's parameters."""
    n = len(acc)
    d = np.arange(-PRE_DAYS, 0)
    dates = np.datetime64(START) + d.astype("timedelta64[D]")
    years = dates.astype("datetime64[Y]")
    doy = (dates - years).astype(int)
    ym = (years.astype(int) + 1970) * 100 + (dates.astype("datetime64[M]").astype(int) % 12 + 1)
    wd = (FIRST_WEEKDAY + d) % 7
    # the daily model's summer ramp (May → July), held through September, gone by November
    summer = np.where(doy < 243, np.clip((doy - 120) / 60.0, 0, 1), np.clip(1 - (doy - 273) / 31.0, 0, 1))
    in_cny = (dates >= np.datetime64(CNY_2020[0])) & (dates <= np.datetime64(CNY_2020[1]))
    places = frames["places"].set_index("place_id")
    role = acc["place_id"].map(places["role"]).to_numpy()
    sday = acc["place_id"].map(places["start_day"]).fillna("").to_numpy(dtype=object)
    early = (role == "planted") & (sday != "") & (sday < START.isoformat()) \
        & ((acc["start"].to_numpy() == 9999) | (acc["start"].to_numpy() <= 0))
    true_start = np.full(n, -10**9)
    true_start[early] = [(dt.date.fromisoformat(s) - START).days for s in sday[early]]
    lvl0 = acc["lvl0"].to_numpy(dtype=float)
    pre = acc["lvl_pre"].to_numpy(dtype=float) if "lvl_pre" in acc else lvl0
    # a varied world's intermittent workshop, running since before the window, is "on" from
    # day 0 (start 0) at lvl1; its level before the window is that one
    lvl0 = np.where(acc["start"].to_numpy() <= 0, acc["lvl1"].to_numpy(dtype=float), lvl0)
    pre = np.where(np.isnan(pre), lvl0, pre)
    prof = acc["prof"].to_numpy().astype(int)
    duty = tuple(acc[c].to_numpy().astype(np.int64) for c in ("duty_period", "duty_on", "duty_phase")) \
        if "duty_period" in acc else None
    wk = acc["wk0"].to_numpy().astype(int)
    cny = acc["cny"].to_numpy().astype(bool)
    noise = acc["noise"].to_numpy(dtype=float)
    ev = (acc["ev"].to_numpy().astype(bool)) & (acc["start"].to_numpy() <= 0)
    opened = (pd.to_datetime(acc["opened"]).to_numpy().astype("datetime64[D]") - np.datetime64(START)).astype(int)
    close = acc["close_idx"].to_numpy().astype(int)
    zero = acc["zero"].to_numpy().astype(bool)
    amp = np.where(np.isin(prof, [P_HOME, P_EV, P_SHOP]), 0.35, 0.08)
    growth = np.clip(rng.normal(0.03, 0.08, n), -0.25, 0.35)     # the account's drift year on year
    mnoise = rng.lognormal(0.0, 0.05, (n, 18))
    rows = []
    for j, m in enumerate(sorted(set(ym.tolist()))):
        sel = np.flatnonzero(ym == m)
        dd = d[sel][None, :]
        running = dd >= true_start[:, None]
        if duty is not None:          # a varied world's intermittent workshop: off days at its earlier level
            per, on_days, phase = duty
            running = running & ((per[:, None] == 0) | (((dd + phase[:, None]) % np.maximum(per[:, None], 1))
                                                         < on_days[:, None]))
        lvl = np.where(running, lvl0[:, None], pre[:, None])
        lvl = lvl * (1 + growth[:, None]) ** (dd / 365.0)
        wkf = WEEK[wk[:, None], wd[sel][None, :]]
        cnyf = np.where(cny[:, None] & in_cny[sel][None, :], 0.12,
                        np.where((prof[:, None] == P_HOME) & in_cny[sel][None, :], 1.2, 1.0))
        season = 1 + amp[:, None] * summer[sel][None, :]
        kwh = lvl * wkf * cnyf * season * np.exp(noise[:, None] ** 2 / 2) + np.where(ev[:, None], 0.45 * 23.5, 0.0)
        alive = (dd > opened[:, None]) & (dd < close[:, None])
        tot = np.where(alive, kwh, 0.0).sum(axis=1) * mnoise[:, j]
        tot = np.where(zero, 0.0, tot)
        has = alive.any(axis=1)
        rows.append(pd.DataFrame({"account_no": acc["account_no"].to_numpy()[has], "ym": m,
                                  "kwh": np.round(tot[has], 2)}))
    return pd.concat(rows, ignore_index=True)


def monthly_bills(frames: dict, window: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """account_no, ym (yyyymm), kwh and the roster's columns as the 营销系统 has them."""
    acc = frames["accounts"].sort_values("account_no", kind="stable").reset_index(drop=True)
    pre = _pre_window(frames, acc, rng)
    win = pd.DataFrame({"account_no": window["account_no"], "ym": 202100 + window["month"].astype(int),
                        "kwh": np.round(window["kwh"].to_numpy(dtype=float), 2)})
    bills = pd.concat([pre, win], ignore_index=True).sort_values(["account_no", "ym"], kind="stable")
    # the roster's columns; a few accounts with the address or class spelled another way
    addr = acc["address"].to_numpy(dtype=object).copy()
    other = rng.random(len(acc)) < 0.05
    addr[other] = [fullwidth_digits(a) if i % 2 else a.replace("福建省泉州市", "").replace("晋江市", "晋江")
                   for i, a in zip(np.flatnonzero(other), addr[other])]
    cat = acc["category"].to_numpy(dtype=object).copy()
    alias = rng.random(len(acc)) < 0.1
    cat[alias] = [CAT_ALIAS[c] for c in cat[alias]]
    comm = acc["place_id"].map(frames["places"].set_index("place_id")["community"])
    luoshan = {c["name"] for c in frames["communities"][:6]}
    roster = pd.DataFrame({"account_no": acc["account_no"], "account_name": acc["account_name"], "address": addr,
                           "category": cat, "industry": _industry(frames, acc),
                           "office": np.where(comm.isin(luoshan), OFFICES[0], OFFICES[1])})
    return bills.merge(roster, on="account_no", how="left", validate="many_to_one").reset_index(drop=True)


def write_bills(out: Path, bills: pd.DataFrame, rng: np.random.Generator) -> dict:
    folder = out / "inbox" / "power_readings"
    folder.mkdir(parents=True, exist_ok=True)
    titles = ["晋江市供电公司营销系统 客户月度电量明细（灵源街道）", "电费年月：2019年7月—2021年6月"]
    hdr = ["户号", "户名", "用电地址", "用电类别", "行业分类", "电费年月", "总电量(kWh)"]
    acc = bills["account_no"].to_numpy(dtype=object).copy()
    # a hand-edited copy of the export: a few 户号 lost their leading zero
    lost = np.sort(rng.choice(len(acc), size=max(1, len(acc) // 200), replace=False))
    acc[lost] = [a[1:] for a in acc[lost]]
    base = len(titles) + 2
    mess = [{"source": "power_readings", "file": BILL_FILE, "row": int(base + i), "column": "户号",
             "kind": "leading_zero_dropped", "severity": "warning", "value": acc[i]} for i in lost]
    cols = {"a": acc, "n": bills["account_name"].to_numpy(dtype=object), "ad": bills["address"].to_numpy(dtype=object),
            "c": bills["category"].to_numpy(dtype=object), "i": bills["industry"].to_numpy(dtype=object),
            "m": bills["ym"].astype(str).to_numpy(dtype=object),
            "k": np.array([fmt_num(x) for x in bills["kwh"]], dtype=object)}
    total = ["合计", "", "", "", "", "", fmt_num(round(float(bills["kwh"].sum()), 2))]
    write_big_csv(folder / BILL_FILE, titles, hdr, cols, encoding="gbk", total=total)
    info = {"source": "power_readings", "file": BILL_FILE, "format": "csv", "encoding": "gbk",
            "title_rows": len(titles), "header_row": len(titles) + 1, "data_rows": len(bills), "blank_rows": 0,
            "total_row": base + len(bills)}
    return {"info": info, "mess": mess}


# ---------------------------------------------------------------------------- surge list


def _month_shift(ym: int, k: int) -> int:
    y, m = divmod(ym, 100)
    i = y * 12 + (m - 1) + k
    return (i // 12) * 100 + i % 12 + 1


def surge_rows(bills: pd.DataFrame) -> pd.DataFrame:
    """The office's rule on its own bills: one row per account and flagged month."""
    kwh = bills.set_index(["account_no", "ym"])["kwh"]
    first = bills.drop_duplicates("account_no").set_index("account_no")
    out = []
    for m in SURGE_MONTHS:
        cur = kwh.xs(m, level="ym")
        prev = kwh.xs(_month_shift(m, -1), level="ym").reindex(cur.index)
        ly = kwh.xs(m - 100, level="ym").reindex(cur.index)
        mom = np.where(prev > 0, cur / prev.where(prev > 0) - 1, np.nan)
        yoy = np.where(ly > 0, cur / ly.where(ly > 0) - 1, np.nan)
        flag = (cur.to_numpy() >= SURGE_MIN_KWH) & ((np.nan_to_num(yoy, nan=-9) >= SURGE_YOY)
                                                     | (np.nan_to_num(mom, nan=-9) >= SURGE_MOM))
        f = pd.DataFrame({"account_no": cur.index[flag], "ym": m, "kwh": cur.to_numpy()[flag],
                          "kwh_prev": prev.to_numpy()[flag], "kwh_last_year": ly.to_numpy()[flag],
                          "mom": mom[flag], "yoy": yoy[flag]})
        out.append(f)
    s = pd.concat(out, ignore_index=True)
    s = s.join(first[["account_name", "address", "category", "industry", "office"]], on="account_no")
    return s.sort_values(["office", "ym", "account_no"], kind="stable").reset_index(drop=True)


def _growth(g: float, ratio_style: bool, decimals: int) -> str:
    if g is None or np.isnan(g):
        return ""
    if ratio_style and g >= 1.0:
        return f"{g + 1:.1f}倍"
    return f"{g * 100:.{decimals}f}%"


def write_surge(out: Path, s: pd.DataFrame, rng: np.random.Generator) -> list[dict]:
    folder = out / "inbox" / "power_surge_list"
    hdr = ["序号", "户号", "户名", "用电地址", "用电类别", "行业分类", "统计期", "本期电量(kWh)", "上期电量(kWh)",
           "同期电量(kWh)", "环比增幅", "同比增幅", "供电所"]
    res = []
    rule = (f"筛选条件：近三个月本期电量≥{SURGE_MIN_KWH:,.0f}kWh，且同比增幅≥{SURGE_YOY:.0%}或环比增幅≥{SURGE_MOM:.0%}")
    for office, xlsx in ((OFFICES[0], True), (OFFICES[1], False)):
        d = s[s["office"] == office].reset_index(drop=True)
        n = len(d)
        titles = [f"{office} 电量激增用户清单", "统计期：2021年4月—2021年6月", rule]
        y, m = d["ym"] // 100, d["ym"] % 100
        if xlsx:
            period = [f"{a}年{b}月" for a, b in zip(y, m)]
            nums = [[None if np.isnan(x) else float(x) for x in d[c]] for c in ("kwh", "kwh_prev", "kwh_last_year")]
            dec = rng.integers(0, 2, n)
            mom = [_growth(g, False, int(k)) for g, k in zip(d["mom"], dec)]
            yoy = [_growth(g, False, int(k)) for g, k in zip(d["yoy"], dec)]
            kinds = ["str"] * 7 + ["num"] * 3 + ["str"] * 3
            fname = f"{office}_电量激增用户清单_202106.xlsx"
        else:
            style = rng.integers(0, 2, n)
            period = [f"{a}-{b:02d}" if k else f"{a}{b:02d}" for a, b, k in zip(y, m, style)]
            nums = [[fmt_num(x, sep=True) for x in d[c]] for c in ("kwh", "kwh_prev", "kwh_last_year")]
            ratio = rng.random(n) < 0.5
            mom = [_growth(g, bool(r), 1) for g, r in zip(d["mom"], ratio)]
            yoy = [_growth(g, bool(r), 1) for g, r in zip(d["yoy"], ratio)]
            kinds = ["str"] * 13
            fname = f"{office}_电量激增用户清单_202106.csv"
        t = Table("power_surge_list", fname, hdr,
                  [[str(i + 1) for i in range(n)], list(d["account_no"]), list(d["account_name"]), list(d["address"]),
                   list(d["category"]), list(d["industry"]), period, *nums, mom, yoy, [office] * n],
                  kinds, titles=titles, fmt="xlsx" if xlsx else "csv", encoding="gbk")
        res.append(write_table(t, folder))
    return res


# ---------------------------------------------------------------------------- track alarms

_ADDR = re.compile(r"^福建省晋江市灵源街道(?P<c>.+?)社区(?:(?P=c)工业区)?(?:(?P<road>.+?路|.+?大道|.+?街)"
                   r"(?P<num>[0-9\-]+)号|(?P<free>.+))")


def _describe(places: pd.DataFrame):
    """A function (lon, lat arrays) → 位置描述 the way the platform's reverse geocoder writes it."""
    xy = np.c_[places["lon"].to_numpy() * MX, places["lat"].to_numpy() * M_PER_DEG_LAT]
    tree = cKDTree(xy)
    parts = [(_ADDR.match(a) or None) for a in places["address"]]
    loads = np.array(LOAD_POINTS)

    def describe(lon, lat) -> list[str]:
        if len(lon) == 0:
            return []
        dist, idx = tree.query(np.c_[lon * MX, lat * M_PER_DEG_LAT])
        out = []
        for x, y, dd, i in zip(lon, lat, dist, idx):
            p = parts[int(i)]
            if dd > ROAD_M or p is None:
                dl = np.hypot((loads[:, 0] - x) * MX, (loads[:, 1] - y) * M_PER_DEG_LAT)
                out.append(f"{LOAD_NAMES[int(dl.argmin())]}附近" if dl.min() < 1000 else "福建省泉州市晋江市")
                continue
            head = f"福建省泉州市晋江市灵源街道{p['c']}社区"
            if p["road"]:
                out.append(f"{head}{p['road']}{p['num']}号附近" if dd <= NEAR_M else f"{head}{p['road']}")
            else:
                out.append(f"{head}{p['free']}附近" if dd <= NEAR_M else head)
        return out

    return describe


def _runs(plate: np.ndarray, t: np.ndarray, gap: float) -> np.ndarray:
    """Run id of each fix: a new run when the plate changes or the gap to the previous fix exceeds gap."""
    brk = np.r_[True, (plate[1:] != plate[:-1]) | (np.diff(t) > gap)]
    return np.cumsum(brk) - 1


def track_alarms(tr: pd.DataFrame, stops: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    """The platform's alarms on the GPS fixes: plate, alarm_type, start/end (s since EPOCH,
    floored to the minute), lon, lat, location, place_id (the stop's place, "" if none)."""
    tr = tr.sort_values(["plate", "t"], kind="stable")
    names = np.asarray(tr["plate"].cat.categories, dtype=object)
    plate = tr["plate"].cat.codes.to_numpy()
    t = tr["t"].to_numpy().astype(np.int64)
    lon, lat = tr["lon"].to_numpy(), tr["lat"].to_numpy()
    moving = tr["speed"].to_numpy() >= STOP_SPEED
    found = []
    # 异常停车: a run of stationary fixes ≥ 20 min, away from the yard
    brk = np.r_[True, (plate[1:] != plate[:-1]) | (np.diff(t) > 2 * FIX_S) | (moving[1:] != moving[:-1])]
    g = pd.DataFrame({"gid": np.cumsum(brk) - 1, "plate": plate, "t": t, "lon": lon, "lat": lat, "moving": moving})
    runs = g.groupby("gid", sort=True).agg(plate=("plate", "first"), t0=("t", "min"), t1=("t", "max"),
                                           lon=("lon", "mean"), lat=("lat", "mean"), moving=("moving", "first"))
    runs["t1"] = runs["t1"] + FIX_S
    yard = np.hypot((runs["lon"] - YARD[0]) * MX, (runs["lat"] - YARD[1]) * M_PER_DEG_LAT)
    st = runs[~runs["moving"] & (runs["t1"] - runs["t0"] >= STOP_MIN_S) & (yard > YARD_R_M)]
    found.append(pd.DataFrame({"plate": names[st["plate"]], "alarm_type": "异常停车", "t0": st["t0"], "t1": st["t1"],
                               "lon": st["lon"].round(6), "lat": st["lat"].round(6)}))
    # 夜间行驶: moving fixes between 02:00 and 05:00, one alarm per night drive
    clock = t % 86400
    ni = np.flatnonzero(moving & (clock >= NIGHT[0]) & (clock < NIGHT[1]))
    for typ, idx, gap, min_s in (("夜间行驶", ni, STOP_MIN_S, 0), ("疲劳驾驶", np.flatnonzero(moving), STOP_MIN_S, FATIGUE_S)):
        if len(idx) == 0:
            continue
        rid = _runs(plate[idx], t[idx], gap)
        r = pd.DataFrame({"rid": rid, "i": idx}).groupby("rid").agg(first=("i", "min"), last=("i", "max"))
        t0, t1 = t[r["first"]], t[r["last"]] + FIX_S
        if typ == "夜间行驶":
            t1 = np.minimum(t1, t0 - t0 % 86400 + NIGHT[1])
        keep = (t1 - t0) >= min_s
        fi = r["first"].to_numpy()[keep]
        found.append(pd.DataFrame({"plate": names[plate[fi]], "alarm_type": typ, "t0": t0[keep], "t1": t1[keep],
                                   "lon": lon[fi], "lat": lat[fi]}))
    al = pd.concat(found, ignore_index=True)
    # the stop's place, from the stops laid into the tracks (a load point has none)
    al["place_id"] = ""
    if len(stops):
        s = stops.assign(a=((stops["arrive"] - pd.Timestamp(EPOCH)).dt.total_seconds()).astype(np.int64),
                         b=((stops["depart"] - pd.Timestamp(EPOCH)).dt.total_seconds()).astype(np.int64))
        by = {}
        for p, a, b, pid in zip(s["plate"], s["a"], s["b"], s["place_id"]):
            by.setdefault(p, []).append((a, b, pid))
        pids = []
        for p, typ, a0 in zip(al["plate"], al["alarm_type"], al["t0"]):
            hit = [pid for a, b, pid in by.get(p, ()) if typ == "异常停车" and a - FIX_S <= a0 <= b]
            pids.append(hit[0] if hit else "")
        al["place_id"] = pids
    al["location"] = _describe(places)(al["lon"].to_numpy(), al["lat"].to_numpy())
    # the platform reports whole minutes (every time format below then says the same)
    al["t0"] = al["t0"] - al["t0"] % 60
    al["t1"] = al["t1"] - al["t1"] % 60
    return al.sort_values(["t0", "plate", "alarm_type"], kind="stable").reset_index(drop=True)


def _ts(s: int) -> dt.datetime:
    return EPOCH + dt.timedelta(seconds=int(s))


def _duration(minutes: int, style: int) -> str:
    h, m = divmod(int(minutes), 60)
    return [str(int(minutes)), f"{int(minutes)}分钟", f"{h}小时{m}分" if h else f"{m}分钟", f"{h:02d}:{m:02d}:00"][style]


def write_alarms(out: Path, al: pd.DataFrame, rng: np.random.Generator) -> tuple[list[dict], pd.DataFrame]:
    folder = out / "inbox" / "track_alarms"
    hdr = ["序号", "车牌号", "车牌颜色", "报警类型", "报警开始时间", "报警结束时间", "持续时长", "经度", "纬度", "位置描述",
           "处理状态"]
    al = al.copy()
    al["file"] = np.where(al["alarm_type"] == "夜间行驶", "联网联控平台_夜间行驶报警_20210617-20210630.csv",
                          "联网联控平台_报警明细_20210617-20210630.xlsx")
    res = []
    for fname, xlsx in (("联网联控平台_报警明细_20210617-20210630.xlsx", True),
                        ("联网联控平台_夜间行驶报警_20210617-20210630.csv", False)):
        d = al[al["file"] == fname].reset_index(drop=True)
        n = len(d)
        t0 = [_ts(x) for x in d["t0"]]
        t1 = [_ts(x) for x in d["t1"]]
        mins = ((d["t1"] - d["t0"]) // 60).astype(int).to_numpy()
        dur = [_duration(m, int(k)) for m, k in zip(mins, rng.integers(0, 4, n))]
        nocoord = rng.random(n) < 0.04
        status = rng.choice(["未处理", "已处理", "已核实"], size=n, p=[0.6, 0.3, 0.1])
        if xlsx:
            text = rng.random(n) < 0.1              # a few cells typed in as text
            c0 = [fmt_ts(a, "slash") if k else a for a, k in zip(t0, text)]
            c1 = [fmt_ts(a, "slash") if k else a for a, k in zip(t1, text)]
            lon = [None if k else float(x) for x, k in zip(d["lon"], nocoord)]
            lat = [None if k else float(x) for x, k in zip(d["lat"], nocoord)]
            kinds = ["str"] * 4 + ["ts", "ts"] + ["str"] + ["num", "num"] + ["str"] * 2
            plates = list(d["plate"])
        else:
            style = rng.choice(["iso", "slash", "cn"], size=n)
            c0 = [fmt_ts(a, s) for a, s in zip(t0, style)]
            c1 = [fmt_ts(a, s) for a, s in zip(t1, style)]
            lon = ["" if k else f"{x:.6f}" for x, k in zip(d["lon"], nocoord)]
            lat = ["" if k else f"{x:.6f}" for x, k in zip(d["lat"], nocoord)]
            kinds = ["str"] * 11
            dot = rng.random(n) < 0.1
            plates = [p[:2] + "·" + p[2:] if k else p for p, k in zip(d["plate"], dot)]
        t = Table("track_alarms", fname, hdr,
                  [[str(i + 1) for i in range(n)], plates, ["黄色"] * n, list(d["alarm_type"]), c0, c1, dur, lon, lat,
                   list(d["location"]), list(status)],
                  kinds, titles=["道路运输车辆联网联控平台 报警明细", "查询时间：2021-06-17 00:00:00 至 2021-06-30 23:59:59"],
                  fmt="xlsx" if xlsx else "csv", encoding="gbk")
        res.append(write_table(t, folder))
    truth = pd.DataFrame({"plate": al["plate"], "alarm_type": al["alarm_type"],
                          "started_at": [f"{_ts(x):%Y-%m-%d %H:%M:%S}" for x in al["t0"]],
                          "place_id": al["place_id"],
                          "ended_at": [f"{_ts(x):%Y-%m-%d %H:%M:%S}" for x in al["t1"]],
                          "duration_min": ((al["t1"] - al["t0"]) // 60).astype(int), "file": al["file"]})
    return res, truth


# ---------------------------------------------------------------------------- market office's list


def _first_word(s: str) -> str:
    return next((w for w in MARKET_WORDS if w in s), "")


# the boilerplate exclusions a clerk reads past ("（不含危险化学品）", "化学危险品除外")
_EXCLUSION = re.compile(r"[（(]?[^（()）；;，,]*?(?:不含|除外|不得)[^（()）；;，,]*[)）]?")


def registry_list(reg: pd.DataFrame) -> pd.DataFrame:
    """Registry rows the market office lists by its keyword rule, with its 排查原因. The clerk
    reads past a scope's exclusion clauses (不含危险化学品 …) — otherwise nearly every shoe
    and trading firm would be listed — but otherwise the rule is a plain substring test: it
    keeps look-alikes whose words happen to contain the keywords and misses cover names."""
    r = reg[~reg["status"].isin(["注销", "迁出"])].copy()
    kn = r["name"].map(_first_word)
    ks = r["scope"].fillna("").map(lambda s: _EXCLUSION.sub("", s)).map(_first_word)
    r = r[(kn != "") | (ks != "")].copy()
    kn, ks = kn[r.index], ks[r.index]
    r["reason"] = [("；".join(([f"名称含“{a}”"] if a else []) + ([f"经营范围含“{b}”"] if b else [])))
                   for a, b in zip(kn, ks)]
    r["source_key"] = np.where(r["uscc"] != "", r["uscc"], r["name"] + "|" + r["address"])
    return r.sort_values(["name"], kind="stable").reset_index(drop=True)


def write_registry_list(out: Path, r: pd.DataFrame, rng: np.random.Generator) -> dict:
    n = len(r)
    office = [MARKET_OFFICE if k else "灵源市场监督管理所" for k in rng.random(n) < 0.85]
    when = [MARKET_DATE if k else "2021年6月30日" for k in rng.random(n) < 0.9]
    t = Table("registry_list", "市场监管所_涉化工企业排查名单_20210630.xlsx",
              ["序号", "企业名称", "统一社会信用代码", "法定代表人", "住所", "经营范围", "排查原因", "排查单位", "排查日期"],
              [[str(i + 1) for i in range(n)], list(r["name"]), list(r["uscc"]), list(r["legal_rep"]),
               list(r["address"]), list(r["scope"]), list(r["reason"]), office, when],
              ["str"] * 8 + ["date"], titles=["灵源市场监管所涉化工企业排查名单", "（名称或经营范围含化工、化学、涂料等字样）"],
              fmt="xlsx", blank_before=[int(rng.integers(1, n))] if n > 2 else [])
    return write_table(t, out / "inbox" / "registry_list")
