"""Assemble the world's source tables: waybills, tips, sites, and the final frames."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pipeline.simulate import vocab as V
from pipeline.simulate.bulk import bulk
from pipeline.simulate.geo import fullwidth
from pipeline.simulate.special import build_specials
from pipeline.simulate.world import N_DAYS, TRACK_DAYS, Builder, day

TRACK_START = N_DAYS - TRACK_DAYS       # first day index of the GPS window

TIP_TEXT = {
    "planted": ("{w}那个厂晚上有刺鼻气味，经常半夜有槽罐车进出",
                "{w}有人在闲置厂房里偷偷生产，味道很大，怀疑是化工",
                "{w}一间房子每天晚上机器响，门口堆了很多铁桶，气味刺鼻",
                "{w}原来的养殖场现在有人在里面熬东西，晚上味道很冲",
                "{s}晚上偷偷生产胶水，废水直接排到沟里",
                "{w}厂房里面隔出一块租给外地人，晚上在调油漆，很危险",
                "{w}经常有蓝色铁桶运进运出，晚上开工，怀疑是小化工",
                "举报{s}无证生产溶剂，车间没有任何防护，半夜有货车卸货"),
    "lookalike_noise": ("{w}{s}工厂晚上一直开工，机器噪音扰民",
                        "{s}夜班生产声音太大，影响休息"),
    "lookalike_bakery": ("{w}面包店凌晨三四点就开始做面包，排风扇很吵",),
    "lookalike_gas": ("{w}加油站半夜有油罐车卸油，担心安全", "{s}门口经常停危化品车"),
    "normal_idle": ("{w}有个闲置的地方，经常有人进出，不知道在干什么", "{w}附近有垃圾焚烧的味道"),
    "normal_noise": ("{w}餐馆油烟很大，影响居民", "{w}工地夜间施工噪音扰民", "{w}垃圾乱堆放有臭味",
                     "{w}鞋厂门口乱停车", "{w}厂房违章搭建"),
    "vague": ("听说{w}晚上有人在搞化工，不确定具体位置", "{w}晚上总有股怪味", "{w}好像有黑作坊"),
}


def build(seed: int, scale: str, k: int, bulk_counts: dict, lookalike_mult: dict | None = None
          ) -> tuple[Builder, dict]:
    b = Builder(seed, k, scale)
    b.lookalike_mult = lookalike_mult       # None: today's counts (varied worlds scale them)
    build_specials(b)
    bp, br, ba = bulk(b, **bulk_counts)
    w = b.w
    places = pd.concat([_places_frame(w.places), bp], ignore_index=True)
    registry = pd.concat([pd.DataFrame(w.registry), br], ignore_index=True)
    accounts = pd.concat([pd.DataFrame(w.accounts), ba], ignore_index=True)
    licenses = pd.DataFrame(w.licenses).drop(columns=["_reg"])
    fleet = _fleet(b)
    waybills = _waybills(b, fleet)
    tips = _tips(b, places)
    sites = _sites(b)
    frames = {"places": places, "registry": registry, "licenses": licenses, "accounts": accounts,
              "waybills": waybills, "tips": tips, "sites": sites, "fleet": fleet}
    return b, frames


def _places_frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    df["signals"] = df["signals"].map(lambda s: ";".join(sorted(dict.fromkeys(s))))
    return df.drop(columns=["_addr", "_ci", "_start"], errors="ignore")


def _fleet(b: Builder) -> pd.DataFrame:
    r = b.rng
    n = 40 * b.k
    n_tracked = 12 * b.k
    seen, plates = set(), []
    while len(plates) < n:
        city = "C" if r.random() < 0.75 else ["D", "E", "B"][int(r.integers(3))]
        digits = f"{int(r.integers(0, 100000)):05d}" if r.random() < 0.7 else \
            f"{'ABDFG'[int(r.integers(5))]}{int(r.integers(0, 10000)):04d}"
        p = f"闽{city}{digits}"
        if p not in seen:
            seen.add(p)
            plates.append(p)
    return pd.DataFrame({"plate": plates,
                         "carrier": [V.CARRIERS[int(i)] for i in r.integers(0, len(V.CARRIERS), n)],
                         "tracked": np.arange(n) < n_tracked})


def _waybills(b: Builder, fleet: pd.DataFrame) -> pd.DataFrame:
    r = b.rng
    rows = []
    plates = fleet["plate"].to_numpy()
    tracked = plates[fleet["tracked"].to_numpy()]
    carrier = dict(zip(fleet["plate"], fleet["carrier"]))
    for spec in b.w.consign:
        n = int(spec["n"])
        if n <= 0:
            continue
        days = r.integers(spec["start"], N_DAYS, n)
        night = r.random(n) < spec["night"]
        hour = np.where(night, r.choice([19, 20, 21, 22, 23, 0, 1, 2], n), r.integers(6, 17, n))
        minute = r.integers(0, 60, n)
        goods = np.array(spec["goods"], dtype=object)[r.integers(0, len(spec["goods"]), n)]
        for i in range(n):
            g = goods[i]
            unit = spec["unit"]
            if g in V.FUEL_GOODS:
                unit = "L" if r.random() < 0.7 else "吨"
            q = {"吨": round(float(r.uniform(1.5, 30)), 1), "千克": float(int(r.integers(1, 25)) * 200),
                 "L": float(int(r.integers(10, 31)) * 1000)}[unit]
            d = int(days[i])
            in_window = d >= TRACK_START
            plate = (tracked[int(r.integers(len(tracked)))] if in_window and r.random() < 0.85
                     else plates[int(r.integers(len(plates)))])
            shipper, load = V.SHIPPERS[int(r.integers(len(V.SHIPPERS)))]
            if g in V.FUEL_GOODS:
                shipper, load = V.SHIPPERS[3]
            cons = spec["consignee"]
            if r.random() < 0.1:
                cons = fullwidth(cons.replace("有限公司", "(有限公司)")) if r.random() < 0.2 else cons.replace("晋江市", "")
            un, cls = V.CHEMICALS[g]
            ts = dt.datetime.combine(day(d), dt.time(int(hour[i]), int(minute[i])))
            rows.append({"place_id": spec["place_id"], "consignee": cons,
                         "consignee_uscc": spec["uscc"] if spec["uscc"] and r.random() < 0.8 else "",
                         "shipper": shipper, "carrier": carrier[plate], "load_address": load,
                         "unload_address": b.variant(spec["_addr"], messy=0.35),
                         "goods": g, "un_no": un, "hazard_class": cls, "quantity": q, "unit": unit,
                         "plate_id": plate, "depart_at": ts})
    df = pd.DataFrame(rows).sort_values(["depart_at", "place_id"], kind="stable").reset_index(drop=True)
    dates = df["depart_at"].dt.strftime("%Y%m%d")
    seq = df.groupby(dates).cumcount() + 1
    df.insert(1, "waybill_no", "3505" + dates + seq.map(lambda x: f"{x:05d}"))
    # plate as written: 闽C12345 or 闽C·12345
    dot = r.random(len(df)) < 0.4
    df["plate"] = np.where(dot, df["plate_id"].str[:2] + "·" + df["plate_id"].str[2:], df["plate_id"])
    return df


def _tips(b: Builder, places: pd.DataFrame) -> pd.DataFrame:
    r = b.rng
    specs = list(b.w.tips)
    # noise tips about ordinary places, and vague ones
    normal = places[(places["role"] == "normal") & places["kind"].isin(["factory", "shop", "office", "home"])]
    n_noise = 30 * b.k
    n_vague = 8 * b.k
    pick = r.choice(len(normal), size=n_noise + n_vague, replace=False)
    sub = normal.iloc[pick]
    rows = []
    for i, (pid, addr, name, kind, comm) in enumerate(zip(sub["place_id"], sub["address"], sub["name"], sub["kind"], sub["community"])):
        short = addr.replace("福建省晋江市灵源街道", "")
        if i < n_noise:
            specs.append({"place_id": pid, "kind": "normal_noise", "subject": "", "_addr": None,
                          "_short": short, "start": 0})
        else:
            specs.append({"place_id": pid, "kind": "vague", "subject": "", "_addr": None,
                          "_short": f"{comm}村那边" if r.random() < 0.5 else f"灵源{comm}一带", "start": 0})
    for j, s in enumerate(specs):
        texts = TIP_TEXT[s["kind"]]
        t = texts[int(r.integers(len(texts)))]
        if s["_addr"] is not None:
            if s["kind"] == "planted" and r.random() < 0.5:
                where = b.vague(s["_addr"])
                addr = where
            else:
                addr = b.variant(s["_addr"], messy=0.3).replace("福建省泉州市", "")
                a = s["_addr"]
                if a.get("free"):
                    where = f"{a['c']}{a['free']}"
                elif r.random() < 0.5:
                    where = f"{a['c']}社区{a['road']}{a['num']}号"
                else:
                    where = f"{a['c']}村{a['road']}"
        else:
            where = addr = s["_short"]
        subj = s["subject"]
        if "{s}" in t and not subj:
            subj = "那家" if "{w}" in t else where
        content = t.format(w=where, s=subj)
        d = int(r.integers(max(int(s["start"]), 0) + 3, N_DAYS)) if s["start"] < N_DAYS - 4 else N_DAYS - 1
        ts = dt.datetime.combine(day(d), dt.time(int(r.integers(8, 22)), int(r.integers(0, 60))))
        rows.append({"place_id": s["place_id"], "received_at": ts, "content": content,
                     "address": addr if r.random() < 0.85 else "", "subject": s["subject"],
                     "reporter": b.person() if r.random() < 0.7 else "匿名",
                     "reporter_phone": f"1{int(r.choice([3, 5, 8]))}{int(r.integers(0, 10**9)):09d}"})
    df = pd.DataFrame(rows).sort_values(["received_at", "place_id"], kind="stable").reset_index(drop=True)
    src = r.random(len(df)) < 0.3
    ids = [f"12345-{t:%Y%m%d}-{i + 1:04d}" if s else f"LYJB{t:%Y}{i + 1:05d}"
           for i, (t, s) in enumerate(zip(df["received_at"], src))]
    df.insert(0, "tip_id", ids)
    return df


def _sites(b: Builder) -> pd.DataFrame:
    df = pd.DataFrame(b.w.sites)
    r = b.rng
    order = r.permutation(len(df))            # the inventory is not in planting order
    df = df.iloc[order].reset_index(drop=True)
    codes = [b.comms[int(c)]["code"][-3:] for c in df["_ci"]]
    df["site_id"] = [f"LYXZ-{c}-{i + 1:04d}" for i, c in enumerate(codes)]
    return df.drop(columns=["_ci"])
