"""Special places, built one by one: planted illegal workshops (the five 整治类别 of the
seed, section 二(一) 1–5), legal look-alikes, licensed chemical firms, idle sites."""

from __future__ import annotations

import datetime as dt


from pipeline.simulate import vocab as V
from pipeline.simulate.vary import lookalike_count
from pipeline.simulate.world import (P_BAKERY, P_CHEM, P_COLD, P_EV, P_FACTORY, P_FARM,
                                     P_GAS, P_HOME, P_IDLE, P_NIGHT, P_OFFICE, P_RAMP, Builder, day)

CHEM_SCOPES = {
    "经营许可": ("乙酸乙酯、丙酮、甲苯、丁酮（票据经营，不带储存设施）", "汽油、柴油[闭杯闪点≤60℃]",
              "盐酸、硫酸、氢氧化钠溶液（不带储存设施）", "乙醇、乙酸丁酯、环己酮、溶剂油[闭杯闪点≤60℃]"),
    "安全生产许可": ("涂料（闪点≤60℃）、稀释剂", "油墨、油墨稀释剂", "胶粘剂（含甲苯、丁酮）", "染料助剂（含乙酸）"),
    "使用许可": ("甲苯、乙酸乙酯（使用）", "乙醇、丙酮（使用）"),
}


def _scope_goods(scope: str) -> list[str]:
    return [g for g in V.CHEMICALS if g in scope]


def _surge_params(b: Builder, sig: set, start: int, lvl_before: float, industrial: float):
    """Account parameters for a planted site's meter given its signals."""
    r = b.rng
    kw = {}
    night = "power_night" in sig
    flat = "power_flat" in sig
    surge = "power_surge" in sig or "industrial_on_residential" in sig
    lvl_after = industrial if surge else max(lvl_before, industrial * 0.35)
    if not surge:
        # production was already going before the data window: no change point. `pre` is
        # the level before the true start, used only by the 24 monthly bills (lists.py).
        kw.update(lvl0=lvl_after, lvl1=lvl_after, start=9999, pre=lvl_before)
    else:
        kw.update(lvl0=lvl_before, lvl1=lvl_after, start=start, ramp=int(r.integers(0, 10)))
    if night:
        kw.update(v1=float(r.uniform(0.55, 0.75)), p1=0.08, wk1=0)
    elif flat:
        kw.update(v1=0.334, p1=0.29, wk1=0, noise=0.04)
    else:
        kw.update(v1=0.10, p1=0.45, wk1=0)
    if not surge:
        kw.update(v0=kw["v1"], p0=kw["p1"], wk0=kw["wk1"])
    kw["cny"] = False
    return kw


def _pick_signals(b: Builder, options: dict[str, float], always=(), j: int = 0) -> set:
    """Signals of one planted site: each option with its probability, plus a primary one
    cycling through the options (so every family shows up in every category); one site in
    five shows its primary signal only."""
    r = b.rng
    keys = list(options)
    primary = keys[j % len(keys)]
    sig = {s for s, p in options.items() if r.random() < p}
    if r.random() < 0.2:                                  # only one (often weak) signal
        sig = set()
    return sig | {primary} | set(always)


SURGE = {"power_surge", "industrial_on_residential", "new_account"}


def _start(b: Builder, sig: set = frozenset()) -> int:
    """Day index the illegal activity started; a change point must lie inside the data."""
    r = b.rng
    if sig & SURGE or r.random() < 0.75:
        return int(r.integers(40, 165))
    return int(r.integers(-200, -30))


def _person_or(b, p=0.6, other=""):
    return b.person() if b.rng.random() < p else other


def build_specials(b: Builder) -> None:
    r = b.rng
    k = b.k
    nc = len(b.comms)

    def ci():
        return int(r.integers(nc))

    # ---------------------------------------------------------------- licensed chemical firms
    def chem_firm(role, kind, c, planted_sig=None, start=None, category=""):
        trade = V.CHEM_TRADES[int(r.integers(len(V.CHEM_TRADES)))]
        (icode, iname), word, scope = trade
        name = b.unique_name(lambda: f"晋江市{b.zihao()}{word}有限公司")
        addr = b.address_parts(c, zone=True)
        sig = ["registry_words", "waybill"] if planted_sig is None else sorted(planted_sig | {"registry_words"})
        p = b.add_place(role, kind, c, name, addr, b.point(c, 700), sig, category, start)
        p["_start"] = start if start is not None and start > 0 else 0
        rep = b.person()
        reg = b.add_registry(p, name, "有限责任公司（自然人投资或控股）", rep, (icode, iname), scope,
                             founded=dt.date(2003, 1, 1) + dt.timedelta(days=int(r.integers(0, 5000))))
        ltype = "经营许可" if icode == "5169" else ("安全生产许可" if r.random() < 0.8 else "使用许可")
        lscope = CHEM_SCOPES[ltype][int(r.integers(len(CHEM_SCOPES[ltype])))]
        if ltype == "安全生产许可":
            lscope = {"涂料": "涂料（闪点≤60℃）、稀释剂（含甲苯、乙酸丁酯）", "油墨": "油墨、油墨稀释剂（含乙酸乙酯、乙醇）",
                      "化工": "胶粘剂（含甲苯、丁酮）、处理剂", "染料": "染料助剂（含乙醇、环己酮）",
                      "化学": "乙酸乙酯、乙酸丁酯"}.get(word, lscope)
        vf = dt.date(2018, 7, 2) + dt.timedelta(days=int(r.integers(0, 1050)))
        vt = vf + dt.timedelta(days=1095)
        expired = planted_sig is not None and "license_expired" in planted_sig
        if expired:
            vt = dt.date(2021, int(r.integers(1, 6)), int(r.integers(1, 28)))
            vf = dt.date(vt.year - 3, vt.month, vt.day)
        elif role != "planted" and r.random() < 0.1:
            vt = dt.date(2021, int(r.integers(1, 6)), 28)       # legal firm renewing late
            p["signals"].append("license_expired")
        b.add_license(p, reg, ltype, lscope, vf, vt)
        in_scope = _scope_goods(lscope) or list(V.FIRM_GOODS[:3])
        lvl = float(r.uniform(300, 2500))
        if planted_sig is None:
            b.add_account(p, name if r.random() < 0.85 else rep, "大工业用电", P_CHEM if r.random() < 0.5 else P_FACTORY, lvl)
            b.add_consignee(p, name, reg["uscc"], in_scope, r.integers(20, 50), night=0.1)
        else:
            kw = _surge_params(b, planted_sig, start, lvl, lvl * float(r.uniform(2, 4))) \
                if planted_sig & {"power_surge", "power_night", "power_flat"} else {"lvl0": lvl}
            b.add_account(p, name, "大工业用电", P_FACTORY, **kw)
            out = [g for g in V.ILLEGAL_GOODS if g not in in_scope]
            if "waybill" in planted_sig:
                b.add_consignee(p, name, reg["uscc"], out, r.integers(8, 30), night=0.4, start=start)
            else:
                b.add_consignee(p, name, reg["uscc"], in_scope, r.integers(5, 15), night=0.05)
        return p, reg

    n_lic = lookalike_count(b, "licensed_firm", 25 * k)
    for _ in range(n_lic):
        chem_firm("lookalike", "licensed_firm", ci())

    planted_counts = {1: 8 * k, 2: 8 * k, 3: 9 * k, 4: 8 * k, 5: 8 * k}

    # ---------------------------------------------------------------- category 1
    for j in range(planted_counts[1]):
        sig = _pick_signals(b, {"waybill": 0.75, "license_expired": 0.4, "power_surge": 0.35,
                                "power_night": 0.3, "tip": 0.25, "truck_stop": 0.25}, j=j)
        st = _start(b, sig)
        p, reg = chem_firm("planted", "超许可范围", ci(), sig, st, "1")
        _extras(b, p, sig, st, subject=reg["name"])

    # ---------------------------------------------------------------- category 2
    for j in range(planted_counts[2]):
        c = ci()
        sig = _pick_signals(b, {"power_surge": 0.5, "power_night": 0.4, "waybill": 0.5,
                                "truck_stop": 0.25, "tip": 0.3, "status_mismatch": 0.15, "new_account": 0.2}, j=j)
        st = _start(b, sig)
        tk = V.TRADES[[0, 4, 1][int(r.integers(3))]]
        icode, iname = tk[2][int(r.integers(len(tk[2])))]
        word = tk[3][int(r.integers(len(tk[3])))]
        name = b.unique_name(lambda: f"晋江市{b.zihao()}{word}有限公司")
        addr = b.address_parts(c, zone=r.random() < 0.6)
        p = b.add_place("planted", "非化工企业违法生产", c, name, addr, b.point(c, 650), sorted(sig), "2", st)
        p["_start"] = max(st, 0)
        rep = b.person()
        status = "吊销" if "status_mismatch" in sig else "存续"
        reg = b.add_registry(p, name, "有限责任公司（自然人投资或控股）", rep, (icode, iname),
                             tk[4][int(r.integers(len(tk[4])))], status=status)
        base = float(r.uniform(80, 600))
        powsig = sig & {"power_surge", "power_night", "status_mismatch"}
        if "new_account" in sig:
            b.add_account(p, name, "一般工商业用电", P_FACTORY, base, status="暂停" if status == "吊销" else "正常")
            kw = _surge_params(b, sig | {"power_surge"}, max(st, 5), 0.0, base * float(r.uniform(2, 5)))
            b.add_account(p, b.person(), "一般工商业用电", P_FACTORY, opened=day(max(st, 5)), **kw)
        elif powsig:
            kw = _surge_params(b, sig, st, base, base * float(r.uniform(2.5, 6)))
            b.add_account(p, name if r.random() < 0.5 else rep,
                          "大工业用电" if base > 300 else "一般工商业用电", P_FACTORY, **kw)
        else:
            b.add_account(p, name, "一般工商业用电", P_FACTORY, base)
        _extras(b, p, sig, st, subject=reg["name"], consignee=name, uscc=reg["uscc"])

    # ---------------------------------------------------------------- category 3 (no licence, no registration)
    kinds3 = (("闲置厂房", "黑窝点"), ("闲置民房", "夜间小作坊"), ("废弃养殖场", "养殖场作坊"),
              ("矿山宕口", "偏僻地点作坊"), ("闲置仓库", "黑窝点"))
    for j in range(planted_counts[3]):
        c = ci()
        stype, kind = kinds3[j % len(kinds3)]
        opts = {"idle_site": 0.7, "power_surge": 0.45, "power_night": 0.45, "truck_stop": 0.3,
                "tip": 0.35, "waybill": 0.2}
        if stype in ("闲置民房", "废弃养殖场"):
            opts["industrial_on_residential"] = 0.6
        sig = _pick_signals(b, opts, always=("no_license",), j=j)
        st = _start(b, sig)
        if stype in ("废弃养殖场", "矿山宕口"):
            addr = {"c": b.comms[c]["name"], "road": "", "num": "", "zone": False, "extra": "",
                    "free": ["后山", "北坑", "石埕", "东岭"][int(r.integers(4))] + ("废弃养殖场" if stype == "废弃养殖场" else "宕口")}
        else:
            addr = b.address_parts(c, zone=stype != "闲置民房")
        owner = b.person()
        p = b.add_place("planted", kind, c, f"{owner}出租{stype}（无照作坊）", addr,
                        b.point(c, 900 if stype in ("废弃养殖场", "矿山宕口") else 650), sorted(sig), "3", st)
        p["_start"] = max(st, 0)
        if "idle_site" in sig:
            b.add_site(p, stype, owner)
        power = sig & {"power_surge", "power_night", "industrial_on_residential"}
        if power or (stype != "矿山宕口" and r.random() < 0.5):
            cat = {"闲置民房": "居民生活用电", "废弃养殖场": "农业生产用电"}.get(stype, "一般工商业用电")
            lvl_before = {"居民生活用电": 4.0, "农业生产用电": 3.0}.get(cat, 0.5)
            ind = float(r.uniform(120, 600))
            if power:
                kw = _surge_params(b, sig, st, lvl_before, ind)
            else:
                kw = {"lvl0": lvl_before}
            b.add_account(p, owner, cat, P_IDLE if cat == "一般工商业用电" else (P_HOME if cat == "居民生活用电" else P_FARM),
                          **kw)
        _extras(b, p, sig, st, subject="", consignee=b.person(), uscc="")

    # ---------------------------------------------------------------- category 4 (厂中厂)
    for j in range(planted_counts[4]):
        c = ci()
        sig = _pick_signals(b, {"power_night": 0.45, "power_surge": 0.45, "waybill": 0.35, "tip": 0.35,
                                "truck_stop": 0.2, "multi_entity": 0.4}, always=("shared_address",), j=j)
        st = _start(b, sig)
        # the host: an ordinary, legal factory (normal place)
        tk = V.TRADES[[0, 0, 4, 1, 6][int(r.integers(5))]]
        icode, iname = tk[2][int(r.integers(len(tk[2])))]
        word = tk[3][int(r.integers(len(tk[3])))]
        hname = b.unique_name(lambda: f"晋江市{b.zihao()}{word}有限公司")
        haddr = b.address_parts(c, zone=True)
        hp = b.add_place("normal", "factory", c, hname, haddr, b.point(c, 650), ["multi_entity"] if "multi_entity" in sig else [])
        hrep = b.person()
        b.add_registry(hp, hname, "有限责任公司（自然人投资或控股）", hrep, (icode, iname), tk[4][0])
        hbase = float(r.uniform(200, 1500))
        sub_meter = not (sig & {"power_night", "power_surge"}) or r.random() < 0.25
        if sub_meter and st < 0:
            st = int(r.integers(40, 165))
        waddr = dict(haddr)
        waddr["extra"] = ["内", "厂区内", "后座", "3号厂房", "东侧厂房"][int(r.integers(5))]
        boss = b.person()
        wname = f"{boss}（租用{hname[3:7]}厂房）"
        p = b.add_place("planted", "厂中厂", c, wname, waddr, b.point(c, near=(hp["lon"], hp["lat"]), jitter_m=25),
                        sorted(sig | ({"host_meter"} if sub_meter else set())), "4", st)
        p["_start"] = max(st, 0)
        if sub_meter:
            # the workshop draws from the host's meter: the host's account shows the change
            kw = _surge_params(b, sig | {"power_surge"}, st, hbase, hbase * float(r.uniform(1.4, 2.2)))
            b.add_account(hp, hname, "大工业用电", P_FACTORY, **kw)
            hp["signals"] += ["power_surge", "hosts_workshop"]
        else:
            b.add_account(hp, hname, "大工业用电", P_FACTORY, hbase)
            kw = _surge_params(b, sig, max(st, 3), 0.0, float(r.uniform(80, 400)))
            b.add_account(p, boss, "一般工商业用电", P_FACTORY, opened=day(max(st, 3)), **kw)
        if "multi_entity" in sig:
            wreg_name = b.unique_name(lambda: f"晋江市灵源{b.zihao()}{['化工', '胶粘剂', '鞋材', '贸易'][int(r.integers(4))]}商行")
            b.add_registry(p, wreg_name, "个体工商户", boss, ("5169", "其他化工产品批发") if "化工" in wreg_name else ("5133", "鞋帽批发"),
                           "鞋材、化工产品（不含危险化学品）零售", uscc=r.random() < 0.7, file="ind",
                           founded=day(max(st, 0)) if st > 0 else None)
        _extras(b, p, sig, st, subject=hname[3:7] if r.random() < 0.5 else "", consignee=boss, uscc="")

    # ---------------------------------------------------------------- category 5 (cover names)
    for j in range(planted_counts[5]):
        c = ci()
        sig = _pick_signals(b, {"power_flat": 0.4, "power_night": 0.4, "power_surge": 0.4, "waybill": 0.5,
                                "tip": 0.2, "truck_stop": 0.2}, always=("cover_name",), j=j)
        st = _start(b, sig)
        cw = V.COVER_WORDS[int(r.integers(len(V.COVER_WORDS)))]
        name = b.unique_name(lambda: f"晋江市{b.zihao()}{cw}有限公司")
        addr = b.address_parts(c, zone=r.random() < 0.7)
        p = b.add_place("planted", "冠名科技", c, name, addr, b.point(c, 650), sorted(sig), "5", st)
        p["_start"] = max(st, 0)
        rep = b.person()
        reg = b.add_registry(p, name, "有限责任公司（自然人投资或控股）", rep,
                             V.COVER_INDUSTRY[int(r.integers(2))], V.COVER_SCOPES[int(r.integers(len(V.COVER_SCOPES)))],
                             founded=dt.date(2017, 1, 1) + dt.timedelta(days=int(r.integers(0, 1400))))
        base = float(r.uniform(20, 60))
        kw = _surge_params(b, sig, st, base, float(r.uniform(300, 1500))) \
            if sig & {"power_flat", "power_night", "power_surge"} else {"lvl0": base}
        b.add_account(p, name if r.random() < 0.5 else rep, "大工业用电" if sig & {"power_flat", "power_night", "power_surge"} else "一般工商业用电",
                      P_OFFICE, **kw)
        _extras(b, p, sig, st, subject=name[3:7], consignee=name, uscc=reg["uscc"])

    # ---------------------------------------------------------------- legal look-alikes
    def reg_factory(kind, trade_idx, sig, prof, lvl, acct_kw=None, founded=None, role="lookalike"):
        c = ci()
        tk = V.TRADES[trade_idx]
        icode, iname = tk[2][int(r.integers(len(tk[2])))]
        word = tk[3][int(r.integers(len(tk[3])))]
        name = b.unique_name(lambda: f"晋江市{b.zihao()}{word}有限公司")
        addr = b.address_parts(c, zone=True)
        p = b.add_place(role, kind, c, name, addr, b.point(c, 650), sig)
        reg = b.add_registry(p, name, "有限责任公司（自然人投资或控股）", b.person(), (icode, iname),
                             tk[4][int(r.integers(len(tk[4])))], founded=founded)
        b.add_account(p, name, "大工业用电" if lvl > 400 else "一般工商业用电", prof, lvl, **(acct_kw or {}))
        return p, reg

    for _ in range(lookalike_count(b, "night_shift_factory", 8 * k)):
        p, _r = reg_factory("night_shift_factory", [0, 1, 4][int(r.integers(3))], ["power_night"], P_NIGHT,
                            float(r.uniform(400, 2500)))
        if r.random() < 0.3:
            b.add_tip(p, "lookalike_noise", subject=p["name"][3:7])
    for _ in range(lookalike_count(b, "ramping_factory", 6 * k)):
        st = int(r.integers(20, 120))
        founded = day(st - int(r.integers(20, 90)))
        lvl = float(r.uniform(600, 2500))
        p, reg = reg_factory("ramping_factory", [0, 4, 6][int(r.integers(3))], ["power_surge", "new_account"],
                             P_RAMP, 5.0, acct_kw={"lvl1": lvl, "start": st, "ramp": int(r.integers(30, 70)),
                                                   "opened": day(st - 10)}, founded=founded)
        if r.random() < 0.5:
            b.add_consignee(p, reg["name"], reg["uscc"], list(V.SHOE_GOODS), r.integers(4, 12), start=st)
            p["signals"].append("waybill")
    for _ in range(lookalike_count(b, "shoe_solvent_user", 30 * k)):            # shoe factories receiving glue solvents, legally
        p, reg = reg_factory("shoe_solvent_user", 0, ["waybill"], P_FACTORY, float(r.uniform(300, 2500)))
        b.add_consignee(p, reg["name"] if r.random() < 0.6 else reg["name"][3:-4],
                        reg["uscc"] if r.random() < 0.7 else "", list(V.SHOE_GOODS), r.integers(10, 30),
                        unit="千克")
        if r.random() < 0.2:
            lic_scope = CHEM_SCOPES["使用许可"][int(r.integers(2))]
            b.add_license(p, reg, "使用许可", lic_scope, dt.date(2019, 5, 1), dt.date(2022, 4, 30))
    for _ in range(lookalike_count(b, "bakery", 5 * k)):            # bakeries
        c = ci()
        zh = b.zihao()
        name = b.unique_name(lambda: f"晋江市灵源{b.zihao()}面包店" if r.random() < 0.6 else f"晋江市{zh}食品有限公司")
        addr = b.address_parts(c)
        p = b.add_place("lookalike", "bakery", c, name, addr, b.point(c, 600), ["power_night"])
        rep = b.person()
        b.add_registry(p, name, "个体工商户" if "店" in name else "有限责任公司（自然人独资）", rep,
                       ("1411", "糕点、面包制造"), "糕点、面包制造；食品销售", file="ind" if "店" in name else "ent")
        b.add_account(p, rep if r.random() < 0.5 else name, "一般工商业用电", P_BAKERY, float(r.uniform(40, 150)))
        if r.random() < 0.3:
            b.add_tip(p, "lookalike_bakery", subject=name[5:9])
    for _ in range(lookalike_count(b, "cold_store", 5 * k)):            # cold stores
        c = ci()
        name = b.unique_name(lambda: f"晋江市{b.zihao()}冷链物流有限公司" if r.random() < 0.5 else f"晋江市灵源{b.zihao()}冻品商行")
        addr = b.address_parts(c, zone=True)
        p = b.add_place("lookalike", "cold_store", c, name, addr, b.point(c, 650), ["power_flat"])
        rep = b.person()
        b.add_registry(p, name, "个体工商户" if "商行" in name else "有限责任公司（自然人投资或控股）", rep,
                       ("5960", "低温仓储"), "冷库仓储服务；冷冻食品批发", file="ind" if "商行" in name else "ent")
        b.add_account(p, name, "一般工商业用电", P_COLD, float(r.uniform(150, 700)), noise=0.04)
    for _ in range(lookalike_count(b, "ev_home", 6 * k)):            # EV-charging homes
        c = ci()
        who = b.person()
        addr = b.address_parts(c)
        st = int(r.integers(20, 150)) if r.random() < 0.7 else 0
        p = b.add_place("lookalike", "ev_home", c, f"{who}住宅", addr, b.point(c, 650), ["power_night"])
        b.add_account(p, who, "居民生活用电", P_EV, float(r.uniform(5, 12)), start=st, ev=1)
    for j in range(lookalike_count(b, "gas_station", 4 * k)):            # gas stations
        c = ci()
        name = b.unique_name(lambda: f"中国石化销售股份有限公司福建泉州晋江{b.comms[c]['name']}加油站"
                             if j % 2 == 0 else f"晋江市灵源{b.zihao()}加油站有限公司")
        addr = b.address_parts(c)
        addr["road"] = ["灵源大道", "世纪大道", "晋新路"][j % 3]
        p = b.add_place("lookalike", "gas_station", c, name, addr, b.point(c, 650),
                        ["waybill", "truck_stop", "registry_words"])
        rep = b.person()
        reg = b.add_registry(p, name, "有限责任公司分公司" if "分公司" in name or "中国石化" in name else "有限责任公司（自然人投资或控股）",
                             rep, ("5265", "机动车燃油零售"), "成品油零售（限汽油、柴油）；危险化学品经营（凭许可证）")
        b.add_license(p, reg, "经营许可", "汽油、柴油[闭杯闪点≤60℃]", dt.date(2019, 3, 1), dt.date(2022, 2, 28))
        b.add_account(p, name, "一般工商业用电", P_GAS, float(r.uniform(120, 300)))
        b.add_consignee(p, name, reg["uscc"], list(V.FUEL_GOODS), r.integers(55, 80), night=0.45, unit="L")
        if r.random() < 0.5:
            b.add_tip(p, "lookalike_gas", subject=name[-7:])

    # ---------------------------------------------------------------- idle sites (normal)
    stypes = ("闲置厂房", "闲置厂房", "闲置民房", "废弃养殖场", "闲置仓库", "闲置民房", "矿山宕口", "偏僻地点")
    for j in range(70 * k):
        c = ci()
        stype = stypes[int(r.integers(len(stypes)))]
        if stype in ("废弃养殖场", "矿山宕口", "偏僻地点"):
            addr = {"c": b.comms[c]["name"], "road": "", "num": "", "zone": False, "extra": "",
                    "free": ["后山", "北坑", "石埕", "东岭", "西山", "溪边"][int(r.integers(6))]
                    + {"废弃养殖场": "废弃养殖场", "矿山宕口": "宕口", "偏僻地点": "空地"}[stype]}
        else:
            addr = b.address_parts(c, zone=stype != "闲置民房")
        owner = b.person()
        kind = {"闲置厂房": "idle_factory", "闲置民房": "idle_house", "废弃养殖场": "abandoned_farm",
                "闲置仓库": "idle_warehouse", "矿山宕口": "quarry", "偏僻地点": "remote_spot"}[stype]
        p = b.add_place("normal", kind, c, f"{owner}{stype}", addr, b.point(c, 900), ["idle_site"])
        if stype == "闲置厂房" and r.random() < 0.5:
            tk = V.TRADES[[0, 1, 4][int(r.integers(3))]]
            nm = b.unique_name(lambda: f"晋江市{b.zihao()}{tk[3][0]}有限公司")
            owner = nm
            p["name"] = nm + "（闲置厂房）"
            b.add_registry(p, nm, "有限责任公司（自然人投资或控股）", b.person(), tk[2][0], tk[4][0],
                           status=["注销", "吊销", "停业"][int(r.integers(3))])
            b.add_account(p, nm, "一般工商业用电", P_IDLE, 0.0, status="暂停" if r.random() < 0.6 else "正常",
                          wk0=0)
        elif stype in ("闲置民房", "废弃养殖场") and r.random() < 0.6:
            cat = "居民生活用电" if stype == "闲置民房" else "农业生产用电"
            b.add_account(p, owner, cat, P_IDLE, float(r.uniform(0, 1.5)))
        b.add_site(p, stype, owner)
        if r.random() < 0.08:
            b.add_tip(p, "normal_idle")


def _extras(b: Builder, p: dict, sig: set, start: int, subject: str = "", consignee: str = "",
            uscc: str = "") -> None:
    """Waybills, truck night stops and tips a planted site shows."""
    r = b.rng
    s0 = max(start, 0)
    if "waybill" in sig and p["category"] != "1":
        goods = list(V.ILLEGAL_GOODS)
        r.shuffle(goods)
        b.add_consignee(p, consignee or b.person(), uscc if r.random() < 0.5 else "", goods[:3],
                        r.integers(4, 16), night=0.5, start=s0,
                        unit="千克" if r.random() < 0.5 else "吨")
    if "truck_stop" in sig:
        b.w.night_stops.append((p["place_id"], int(r.integers(1, 5))))
    if "tip" in sig:
        b.add_tip(p, "planted", subject=subject if r.random() < 0.5 else "")
