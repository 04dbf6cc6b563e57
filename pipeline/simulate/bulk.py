"""Vectorised bulk places: ordinary businesses, homes, farms, tech offices.

Produces DataFrames with the same columns as the Builder's special records, so the two
parts of the world concatenate. Used at every scale; at city scale this is where the
hundreds of thousands of rows come from.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pipeline.simulate import vocab as V
from pipeline.simulate.geo import M_PER_DEG_LAT, m_per_deg_lon, make_usccs, wgs84_to_gcj02
from pipeline.simulate.world import (N_DAYS, P_FACTORY, P_FARM, P_HOME, P_OFFICE, P_SHOP,
                                     PROFILE_DEFAULTS, START, Builder)

O = object


def _arr(seq) -> np.ndarray:
    return np.array(list(seq), dtype=O)


def _cat(*parts) -> np.ndarray:
    """Element-wise string concatenation of object arrays / scalars."""
    out = parts[0]
    for p in parts[1:]:
        out = np.char.add(out.astype(str) if isinstance(out, np.ndarray) else out,
                          p.astype(str) if isinstance(p, np.ndarray) else p)
    return out.astype(O)


def persons(b: Builder, n: int) -> np.ndarray:
    r = b.rng
    s = _arr(V.SURNAMES)[r.choice(len(V.SURNAMES), size=n, p=b.surname_p)]
    g = _arr(V.GIVEN)[r.integers(0, len(V.GIVEN), n)]
    return _cat(s, g)


def phones(b: Builder, n: int) -> np.ndarray:
    r = b.rng
    mob = _cat("1", _arr("3589")[r.integers(0, 4, n)],
               np.char.zfill(r.integers(0, 10**9, n).astype(str), 9))
    land = _cat("0595-8", np.char.zfill(r.integers(0, 10**7, n).astype(str), 7))
    return np.where(r.random(n) < 0.2, land, mob)


def points(b: Builder, ci: np.ndarray, radius_m: float) -> tuple[np.ndarray, np.ndarray]:
    r = b.rng
    n = len(ci)
    clon = np.array([c["lon"] for c in b.comms])[ci]
    clat = np.array([c["lat"] for c in b.comms])[ci]
    ang = r.random(n) * 2 * np.pi
    dist = radius_m * np.sqrt(r.random(n))
    lon = clon + dist * np.cos(ang) / m_per_deg_lon(24.84)
    lat = clat + dist * np.sin(ang) / M_PER_DEG_LAT
    return np.round(lon, 6), np.round(lat, 6)


def addresses(b: Builder, ci: np.ndarray, zone: np.ndarray, free: np.ndarray | None = None):
    """Canonical address and the parts needed for variants, vectorised."""
    r = b.rng
    n = len(ci)
    cname = _arr(c["name"] for c in b.comms)[ci]
    roads = np.array([b.roads[i] for i in range(len(b.comms))], dtype=O)
    road = roads[ci, r.integers(0, roads.shape[1], n)]
    num_i = r.integers(1, 400, n)
    num = num_i.astype(str).astype(O)
    rng_num = r.random(n) < 0.06
    num[rng_num] = _cat(num_i[rng_num].astype(str), "-", (num_i[rng_num] + 2).astype(str))
    zone_s = np.where(zone, _cat(cname, "工业区"), "").astype(O)
    return {"c": cname, "road": road, "num": num, "zone": zone, "zone_s": zone_s, "free": free}


def canonical(a: dict) -> np.ndarray:
    out = _cat("福建省晋江市灵源街道", a["c"], "社区", a["zone_s"], a["road"], a["num"], "号")
    if a["free"] is not None:
        f = _cat("福建省晋江市灵源街道", a["c"], "社区", a["free"].astype(str))
        out = np.where(a["free"] != "", f, out).astype(O)
    return out


def variants(b: Builder, a: dict, style: np.ndarray | None = None, messy: float = 0.0) -> np.ndarray:
    r = b.rng
    c, road, num, zs = a["c"], a["road"], a["num"], a["zone_s"]
    n = len(c)
    tail = _cat(road, num, "号")
    forms = np.stack([
        _cat("晋江市灵源街道", c, "社区", zs, tail),
        _cat("晋江市灵源", c, "村", tail),
        _cat("灵源街道办事处", c, "村", tail),
        _cat("福建省泉州市晋江市灵源街道", c, "社区", tail),
        _cat("晋江市灵源", np.where(zs != "", zs, c).astype(O), tail),
        _cat("晋江市灵源街道办事处", c, tail),
    ], axis=1)
    if a["free"] is not None:
        f = a["free"].astype(str)
        ff = np.stack([_cat("晋江市灵源街道", c, "社区", f), _cat("晋江市灵源", c, "村", f),
                       _cat("灵源街道办事处", c, "村", f), _cat("福建省泉州市晋江市灵源街道", c, "社区", f),
                       _cat("晋江灵源", c, f), _cat("晋江市灵源街道办事处", c, f)], axis=1)
        forms = np.where((a["free"] != "")[:, None], ff, forms)
    if style is None:
        style = r.integers(0, forms.shape[1], n)
    out = forms[np.arange(n), style].astype(O)
    if messy:
        m = r.random(n)
        t = r.random(n)
        fw = (m < messy) & (t < 0.4)
        if fw.any():
            out[fw] = [s.translate(_FWD) for s in out[fw]]
        suf = (m < messy) & (t >= 0.4) & (t < 0.7)
        out[suf] = _cat(out[suf], np.where(r.random(suf.sum()) < 0.5, "旁", "附近"))
        nohao = (m < messy) & (t >= 0.7) & (t < 0.85)
        out[nohao] = _replace(out[nohao], "号", "")
        short = (m < messy) & (t >= 0.85)
        out[short] = _replace(out[short], "晋江市", "晋江")
    return out


def _replace(arr: np.ndarray, a: str, b: str) -> np.ndarray:
    if len(arr) == 0:
        return arr
    return np.char.replace(arr.astype(str), a, b).astype(O)


_FWD = str.maketrans("0123456789", "０１２３４５６７８９")


def _dates(b: Builder, n: int, lo: dt.date, hi: dt.date) -> np.ndarray:
    span = (hi - lo).days
    return np.datetime64(lo) + b.rng.integers(0, span, n).astype("timedelta64[D]")


def account_numbers(b: Builder, n: int) -> np.ndarray:
    """n unused 10-digit account numbers (05 + 8 digits)."""
    out = []
    r = b.rng
    while len(out) < n:
        cand = r.integers(10**7, 10**8, size=(n - len(out)) * 2)
        for x in cand:
            s = f"05{x:08d}"
            if s not in b.used_accounts:
                b.used_accounts.add(s)
                out.append(s)
                if len(out) == n:
                    break
    return np.array(out, dtype=O)


def bulk(b: Builder, n_biz: int, n_home: int, n_farm: int, n_tech: int):
    """Returns (places, registry, accounts) DataFrames for ordinary places."""
    r = b.rng
    places, regs, accts = [], [], []

    # ------------------------------------------------------------ businesses
    tw = np.array([t[1] for t in V.TRADES], dtype=float)
    trade = r.choice(len(V.TRADES), size=n_biz, p=tw / tw.sum())
    ci = r.integers(0, len(b.comms), n_biz)
    share = np.array([t[5] for t in V.TRADES])[trade]
    indiv = r.random(n_biz) < share
    is_fac = np.array([t[6] == "factory" for t in V.TRADES])[trade]
    zh = _cat(_arr(V.ZIHAO_A)[r.integers(0, len(V.ZIHAO_A), n_biz)],
              _arr(V.ZIHAO_B)[r.integers(0, len(V.ZIHAO_B), n_biz)])
    word = _arr(V.TRADES[t][3][j % len(V.TRADES[t][3])]
                for t, j in zip(trade, r.integers(0, 12, n_biz)))
    pre = r.random(n_biz)
    comp = np.where(pre < 0.55, _cat("晋江市", zh, word, "有限公司"),
                    np.where(pre < 0.9, _cat("晋江市灵源", zh, word, "有限公司"),
                             _cat("福建", zh, word, "股份有限公司")))
    shopw = _arr(("商行", "便利店", "服装店", "五金店", "食品店", "鞋材店", "百货店"))[r.integers(0, 7, n_biz)]
    ind_fac = np.where(r.random(n_biz) < 0.5, _cat("晋江市灵源", zh, word, "加工厂"),
                       _cat("晋江市灵源", _arr(c["name"] for c in b.comms)[ci], zh, word, "厂"))
    ind = np.where(is_fac, ind_fac, _cat("晋江市灵源", zh, shopw))
    name = np.where(indiv, ind, comp).astype(O)
    # de-duplicate names (also against special places)
    s = pd.Series(name)
    for _round in range(4):
        dup = s.duplicated().to_numpy() | s.isin(b.used_names).to_numpy()
        if not dup.any():
            break
        extra = _arr(V.ZIHAO_B)[r.integers(0, len(V.ZIHAO_B), dup.sum())]
        s[dup] = [x.replace(z, z + e, 1) for x, z, e in zip(s[dup], zh[dup], extra)]
    name = s.to_numpy(dtype=O)
    b.used_names.update(name.tolist())

    zone = is_fac & (r.random(n_biz) < 0.5)
    a = addresses(b, ci, zone)
    lon, lat = points(b, ci, 600.0)
    rep = persons(b, n_biz)
    st_c = r.choice(["存续", "在业", "注销", "吊销", "停业", "迁出"], size=n_biz, p=[.82, .08, .05, .03, .01, .01])
    st_i = r.choice(["存续", "在业", "开业", "注销", "吊销"], size=n_biz, p=[.6, .15, .15, .07, .03])
    status = np.where(indiv, st_i, st_c).astype(O)
    ind_pick = r.integers(0, 10, n_biz)
    icode = _arr(V.TRADES[t][2][j % len(V.TRADES[t][2])][0] for t, j in zip(trade, ind_pick))
    iname = _arr(V.TRADES[t][2][j % len(V.TRADES[t][2])][1] for t, j in zip(trade, ind_pick))
    scope = _arr(V.TRADES[t][4][j % len(V.TRADES[t][4])] for t, j in zip(trade, r.integers(0, 12, n_biz)))
    etype = np.where(indiv, "个体工商户",
                     r.choice(["有限责任公司（自然人投资或控股）", "有限责任公司（自然人独资）",
                               "有限责任公司(台港澳法人独资)", "股份有限公司（非上市、自然人投资或控股）"],
                              size=n_biz, p=[.6, .3, .05, .05])).astype(O)
    etype[(~indiv) & (pre >= 0.9)] = "股份有限公司（非上市、自然人投资或控股）"
    uscc = make_usccs(r, n_biz, indiv)
    no_code = indiv & (r.random(n_biz) < 0.05)
    uscc[no_code] = ""
    founded = _dates(b, n_biz, dt.date(1995, 1, 1), dt.date(2021, 4, 30))
    n0 = b.n_place
    pid = _arr(f"P{n0 + i + 1:06d}" for i in range(n_biz))
    b.n_place += n_biz
    kind = np.where(is_fac, "factory", np.where(indiv, "shop", "office")).astype(O)
    excl = pd.Series(scope).str.contains("不含危险化学品|化学危险品除外|不含化学危险品").to_numpy()
    sig = np.where(excl, "excluded_chem_words", "").astype(O)
    reg_style = r.choice([0, 3, 2, 5], size=n_biz, p=[.6, .2, .1, .1])
    reg_addr = variants(b, a, reg_style)
    file = np.where(indiv, "ind", "ent").astype(O)
    regs.append(pd.DataFrame({
        "place_id": pid, "uscc": uscc, "name": name, "entity_type": etype, "legal_rep": rep,
        "phone": phones(b, n_biz), "address": reg_addr, "status": status,
        "founded": pd.to_datetime(founded).date, "industry_code": icode, "industry": iname,
        "scope": scope, "file": file}))
    # sister companies at the same address (multi_entity)
    active = np.isin(status, ["存续", "在业", "开业"])
    sis = (~indiv) & active & (r.random(n_biz) < 0.04)
    ns = int(sis.sum())
    if ns:
        sname = _cat("晋江市", zh[sis], _arr(("贸易", "进出口", "鞋服贸易", "供应链"))[r.integers(0, 4, ns)], "有限公司")
        sname = np.array([x if x not in b.used_names else x.replace("有限公司", "商贸有限公司") for x in sname], dtype=O)
        b.used_names.update(sname.tolist())
        sub = {k: (v[sis] if isinstance(v, np.ndarray) else v) for k, v in a.items()}
        regs.append(pd.DataFrame({
            "place_id": pid[sis], "uscc": make_usccs(r, ns, np.zeros(ns, bool)), "name": sname,
            "entity_type": "有限责任公司（自然人投资或控股）", "legal_rep": rep[sis],
            "phone": phones(b, ns), "address": variants(b, sub, r.choice([0, 1, 3], size=ns)),
            "status": "存续", "founded": pd.to_datetime(_dates(b, ns, dt.date(2008, 1, 1), dt.date(2021, 3, 1))).date,
            "industry_code": "5132", "industry": "服装批发",
            "scope": "鞋服、鞋材、纺织品批发；货物进出口（不含危险化学品）", "file": "ent"}))
        sig[sis] = np.where(sig[sis] == "", "multi_entity", sig[sis] + ";multi_entity")
    places.append(pd.DataFrame({
        "place_id": pid, "role": "normal", "category": "", "kind": kind,
        "community": a["c"], "name": name, "address": canonical(a), "lon": lon, "lat": lat,
        "signals": sig, "start_day": ""}))
    # power accounts
    prof = np.where(is_fac, P_FACTORY, np.where(indiv | (trade == 8), P_SHOP, P_OFFICE))
    has = np.where(active, r.random(n_biz) < np.where(prof == P_OFFICE, 0.55, 0.9),
                   r.random(n_biz) < 0.45)
    lvl = np.where(prof == P_FACTORY, np.clip(r.lognormal(5.4, 0.9, n_biz), 30, 6000),
                   np.where(prof == P_SHOP, r.lognormal(3.1, 0.6, n_biz), r.lognormal(2.4, 0.6, n_biz)))
    accts.append(_acct_frame(b, has, pid, a, lon, lat, prof, lvl,
                             np.where(indiv, np.where(r.random(n_biz) < 0.55, rep, name),
                                      np.where(r.random(n_biz) < 0.7, name, rep)).astype(O),
                             status_src=status))
    # factories' second account (dormitory / office), in the boss's name
    sec = has & is_fac & (r.random(n_biz) < 0.08)
    accts.append(_acct_frame(b, sec, pid, a, lon, lat, np.full(n_biz, P_HOME),
                             r.lognormal(2.6, 0.5, n_biz), rep, status_src=status,
                             category="一般工商业用电"))

    # ------------------------------------------------------------ homes, farms, tech offices
    for kind_, n, radius in (("home", n_home, 650.0), ("farm", n_farm, 900.0), ("tech_office", n_tech, 600.0)):
        if n == 0:
            continue
        ci = r.integers(0, len(b.comms), n)
        free = None
        if kind_ == "farm":
            free = _cat(_arr(("后山", "西山", "北坑", "溪边", "山脚", "东岭", "南洋", "石埕"))[r.integers(0, 8, n)],
                        _arr(("养殖场", "养猪场", "养鸡场", "果园"))[r.integers(0, 4, n)])
        a = addresses(b, ci, np.zeros(n, bool), free)
        lon, lat = points(b, ci, radius)
        who = persons(b, n)
        pid = _arr(f"P{b.n_place + i + 1:06d}" for i in range(n))
        b.n_place += n
        if kind_ == "tech_office":
            zh = _cat(_arr(V.ZIHAO_A)[r.integers(0, len(V.ZIHAO_A), n)], _arr(V.ZIHAO_B)[r.integers(0, len(V.ZIHAO_B), n)])
            word = _arr(("信息科技", "网络科技", "电子商务", "农业生物科技", "智能科技"))[r.integers(0, 5, n)]
            nm = np.array([x if x not in b.used_names else x.replace("有限公司", "发展有限公司")
                           for x in _cat("晋江市", zh, word, "有限公司")], dtype=O)
            b.used_names.update(nm.tolist())
            sc = np.where(np.char.find(word.astype(str), "生物") >= 0,
                          "生物技术推广服务；农产品、花卉种苗销售；肥料销售（不含危险化学品）",
                          "软件开发；信息技术咨询服务；网络技术服务；电子商务平台运营").astype(O)
            regs.append(pd.DataFrame({
                "place_id": pid, "uscc": make_usccs(r, n, np.zeros(n, bool)), "name": nm,
                "entity_type": "有限责任公司（自然人投资或控股）", "legal_rep": who, "phone": phones(b, n),
                "address": variants(b, a, np.zeros(n, int)), "status": "存续",
                "founded": pd.to_datetime(_dates(b, n, dt.date(2014, 1, 1), dt.date(2021, 5, 1))).date,
                "industry_code": "6510", "industry": "软件开发", "scope": sc, "file": "ent"}))
            places.append(pd.DataFrame({
                "place_id": pid, "role": "normal", "category": "", "kind": "tech_office",
                "community": a["c"], "name": nm, "address": canonical(a), "lon": lon, "lat": lat,
                "signals": "cover_name", "start_day": ""}))
            accts.append(_acct_frame(b, r.random(n) < 0.6, pid, a, lon, lat, np.full(n, P_OFFICE),
                                     r.lognormal(2.3, 0.5, n), nm, category="一般工商业用电"))
            continue
        places.append(pd.DataFrame({
            "place_id": pid, "role": "normal", "category": "", "kind": kind_,
            "community": a["c"], "name": _cat(who, "住宅" if kind_ == "home" else "（养殖）"),
            "address": canonical(a), "lon": lon, "lat": lat, "signals": "", "start_day": ""}))
        if kind_ == "home":
            accts.append(_acct_frame(b, np.ones(n, bool), pid, a, lon, lat, np.full(n, P_HOME),
                                     r.lognormal(2.0, 0.5, n), who, category="居民生活用电"))
        else:
            accts.append(_acct_frame(b, np.ones(n, bool), pid, a, lon, lat, np.full(n, P_FARM),
                                     r.lognormal(2.9, 0.6, n), who, category="农业生产用电"))
    return (pd.concat(places, ignore_index=True), pd.concat(regs, ignore_index=True),
            pd.concat(accts, ignore_index=True))


def _acct_frame(b: Builder, mask, pid, a, lon, lat, prof, lvl, acc_name, status_src=None,
                category: str | None = None) -> pd.DataFrame:
    r = b.rng
    idx = np.flatnonzero(mask)
    n = len(idx)
    prof = np.asarray(prof)[idx]
    lvl = np.asarray(lvl, dtype=float)[idx]
    if category is None:
        cat = np.where(prof == P_FACTORY, np.where(lvl > 600, "大工业用电", "一般工商业用电"),
                       "一般工商业用电").astype(O)
        homeshop = (prof == P_SHOP) & (r.random(n) < 0.05)
        cat[homeshop] = "居民生活用电"
    else:
        cat = np.full(n, category, dtype=O)
    std = np.array([10, 16, 20, 30, 50, 80, 100, 160, 200, 250, 315, 400, 500, 630, 800, 1000, 1250, 1600, 2000])
    need = lvl / (24 * 0.3) * r.uniform(1.0, 2.0, n)
    cap = std[np.clip(np.searchsorted(std, need), 0, len(std) - 1)].astype(float)
    cap = np.where(cat == "大工业用电", np.maximum(cap, 315.0), cap)
    cap = np.where(cat == "居民生活用电", _arr((4, 6, 8, 10, 12))[r.integers(0, 5, n)].astype(float), cap)
    volt = np.where(cat == "大工业用电", "交流10kV",
                    np.where(cat == "居民生活用电", "交流220V",
                             np.where(cap >= 160, "交流10kV", "交流380V"))).astype(O)
    sub = {k: (v[idx] if isinstance(v, np.ndarray) else v) for k, v in a.items()}
    addr = variants(b, sub, messy=0.3)
    xy = r.random(n) < 0.5
    glon, glat = wgs84_to_gcj02(lon[idx] + r.normal(0, 15, n) / 101000, lat[idx] + r.normal(0, 15, n) / M_PER_DEG_LAT)
    glon = np.where(xy, np.round(glon, 6), np.nan)
    glat = np.where(xy, np.round(glat, 6), np.nan)
    opened = _dates(b, n, dt.date(1998, 1, 1), dt.date(2020, 12, 1))
    status = np.full(n, "正常", dtype=O)
    close = np.full(n, N_DAYS)
    if status_src is not None:
        st = np.asarray(status_src)[idx]
        dead = np.isin(st, ["注销", "吊销", "停业", "迁出"])
        pause = dead & (r.random(n) < 0.5)
        status[pause] = "暂停"
        gone = dead & ~pause
        status[gone] = "销户"
        close[gone] = r.integers(-200, N_DAYS, gone.sum())
    # random small share of paused accounts anyway
    extra_pause = (status == "正常") & (r.random(n) < 0.01)
    status[extra_pause] = "暂停"
    tr_n = r.integers(1, 12, n).astype(str)
    transformer = np.where(cat == "大工业用电", _cat(_arr(s[:8] for s in acc_name[idx]), "专变"),
                           _cat(sub["c"], tr_n, "号公变")).astype(O)
    dv = np.array([PROFILE_DEFAULTS[p][0] for p in range(13)])
    dp = np.array([PROFILE_DEFAULTS[p][1] for p in range(13)])
    dw = np.array([PROFILE_DEFAULTS[p][2] for p in range(13)])
    v = np.clip(dv[prof] + r.normal(0, 0.03, n), 0.02, 0.6)
    p = np.clip(dp[prof] + r.normal(0, 0.03, n), 0.1, 0.6)
    opened_d = pd.to_datetime(opened).date
    return pd.DataFrame({
        "place_id": pid[idx], "account_no": account_numbers(b, n), "account_name": acc_name[idx],
        "address": addr, "category": cat, "voltage": volt, "capacity_kva": cap, "opened": opened_d,
        "status": status, "transformer": transformer, "lon": glon, "lat": glat,
        "prof": prof, "lvl0": lvl, "lvl1": lvl, "start": 9999, "ramp": 0, "v0": v, "p0": p,
        "v1": v, "p1": p, "wk0": dw[prof], "wk1": dw[prof],
        "cny": np.isin(prof, [P_FACTORY]), "noise": 0.12, "ev": 0,
        "open_idx": (opened - np.datetime64(START)).astype(int).clip(-1, None),
        "close_idx": close, "zero": status == "暂停"})
