"""Build the simulated world: places (truth) and the source records that describe them.

Bulk places (businesses, homes, farms) are drawn with vectorised numpy; the few special
places (planted workshops, look-alikes, idle sites) are built one by one — a bounded
block (≈100 at demo scale, ≈10,000 at city scale).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from pipeline.simulate import vocab as V
from pipeline.simulate.geo import (M_PER_DEG_LAT, fullwidth_digits, m_per_deg_lon,
                                   make_usccs, wgs84_to_gcj02)

START = dt.date(2021, 1, 1)
N_DAYS = 181                      # 2021-01-01 … 2021-06-30
AS_OF = dt.date(2021, 6, 30)
TRACK_DAYS = 14                   # GPS: two weeks ending AS_OF
CNY = (34, 55)                    # factories closed around the Spring Festival (Feb 4–24)

CAMPAIGN_YAML = Path(__file__).resolve().parents[2] / "configs" / "campaign.yaml"

# power profile codes (see power.py)
P_HOME, P_SHOP, P_OFFICE, P_FACTORY, P_NIGHT, P_BAKERY, P_COLD, P_EV, P_RAMP, P_FARM, \
    P_GAS, P_IDLE, P_CHEM = range(13)


def day(i: int) -> dt.date:
    return START + dt.timedelta(days=int(i))


@dataclass
class World:
    scale: str
    places: list = field(default_factory=list)          # dicts
    registry: list = field(default_factory=list)
    licenses: list = field(default_factory=list)
    accounts: list = field(default_factory=list)
    waybills: list = field(default_factory=list)
    tips: list = field(default_factory=list)
    sites: list = field(default_factory=list)
    consign: list = field(default_factory=list)          # waybill specs per consignee place
    night_stops: list = field(default_factory=list)      # (place_id, n) planted truck stops
    communities: list = field(default_factory=list)


def load_communities(path: Path = CAMPAIGN_YAML) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        cfg = yaml.safe_load(fh)
    return [dict(c) for c in cfg["communities"]]


class Builder:
    """Draws the world. `k` multiplies every count (1 = demo, 100 = city)."""

    def __init__(self, seed: int, k: int, scale: str, communities: list[dict] | None = None):
        self.rng = np.random.default_rng(seed)
        self.k = k
        self.w = World(scale=scale)
        self.comms = communities or load_communities()
        self.w.communities = self.comms
        self.n_place = 0
        self.n_acct = 0
        self.used_names: set[str] = set()
        self.used_accounts: set[str] = set()
        rng = self.rng
        # each community: its own '<name>路' plus three shared roads
        self.roads = []
        for i, c in enumerate(self.comms):
            pick = rng.choice(len(V.ROADS), size=3, replace=False)
            self.roads.append([c["name"] + "路"] + [V.ROADS[j] for j in sorted(pick)])
        self.surname_p = np.array(V.SURNAME_P, dtype=float) / sum(V.SURNAME_P)
        self.license_seq = 100

    # ---------------------------------------------------------------- primitives
    def pid(self) -> str:
        self.n_place += 1
        return f"P{self.n_place:06d}"

    def person(self) -> str:
        s = V.SURNAMES[self.rng.choice(len(V.SURNAMES), p=self.surname_p)]
        return s + V.GIVEN[self.rng.integers(len(V.GIVEN))]

    def phone(self) -> str:
        r = self.rng
        if r.random() < 0.2:
            return f"0595-8{r.integers(0, 10**7):07d}"
        return f"1{r.choice([3, 5, 8, 9])}{r.integers(0, 10**9):09d}"

    def zihao(self) -> str:
        r = self.rng
        return V.ZIHAO_A[r.integers(len(V.ZIHAO_A))] + V.ZIHAO_B[r.integers(len(V.ZIHAO_B))]

    def unique_name(self, make) -> str:
        for _ in range(50):
            n = make()
            if n not in self.used_names:
                self.used_names.add(n)
                return n
        n = make() + f"（{len(self.used_names)}）"      # city scale: rare fallback
        self.used_names.add(n)
        return n

    def point(self, ci: int, radius_m: float = 600.0, near: tuple | None = None,
              jitter_m: float = 0.0) -> tuple[float, float]:
        c = self.comms[ci]
        if near is not None:
            lon0, lat0 = near
            r = jitter_m
        else:
            lon0, lat0 = c["lon"], c["lat"]
            r = radius_m
        ang = self.rng.random() * 2 * np.pi
        dist = r * np.sqrt(self.rng.random())
        lon = lon0 + dist * np.cos(ang) / m_per_deg_lon(lat0)
        lat = lat0 + dist * np.sin(ang) / M_PER_DEG_LAT
        return round(float(lon), 6), round(float(lat), 6)

    def address_parts(self, ci: int, zone: bool = False) -> dict:
        r = self.rng
        road = self.roads[ci][r.integers(len(self.roads[ci]))]
        n = int(r.integers(1, 400))
        num = f"{n}-{n + 2}" if r.random() < 0.06 else str(n)
        return {"c": self.comms[ci]["name"], "road": road, "num": num, "zone": zone, "extra": ""}

    @staticmethod
    def canonical(a: dict) -> str:
        if a.get("free"):
            return f"福建省晋江市灵源街道{a['c']}社区{a['free']}"
        zone = f"{a['c']}工业区" if a["zone"] else ""
        return f"福建省晋江市灵源街道{a['c']}社区{zone}{a['road']}{a['num']}号{a['extra']}"

    def variant(self, a: dict, style: int | None = None, messy: float = 0.0) -> str:
        """The address as another office writes it."""
        r = self.rng
        c, road, num, extra = a["c"], a["road"], a["num"], a["extra"]
        if a.get("free"):
            tail = a["free"]
            forms = [f"晋江市灵源街道{c}社区{tail}", f"晋江市灵源{c}村{tail}",
                     f"灵源街道办事处{c}村{tail}", f"福建省泉州市晋江市灵源街道{c}社区{tail}",
                     f"晋江灵源{c}{tail}", f"晋江市灵源街道办事处{c}{tail}"]
        else:
            zone = f"{c}工业区" if a["zone"] else ""
            forms = [f"晋江市灵源街道{c}社区{zone}{road}{num}号{extra}",
                     f"晋江市灵源{c}村{road}{num}号{extra}",
                     f"灵源街道办事处{c}村{road}{num}号{extra}",
                     f"福建省泉州市晋江市灵源街道{c}社区{road}{num}号{extra}",
                     f"晋江市灵源{zone or c}{road}{num}号{extra}",
                     f"晋江市灵源街道办事处{c}{road}{num}号{extra}"]
        s = forms[style if style is not None else int(r.integers(len(forms)))]
        if messy and r.random() < messy:
            t = r.random()
            if t < 0.4:
                s = fullwidth_digits(s)
            elif t < 0.7:
                s = s + ("旁" if r.random() < 0.5 else "附近")
            elif t < 0.85:
                s = s.replace("号", "") if "号" in s else s
            else:
                s = s.replace("晋江市", "晋江")
        return s

    def vague(self, a: dict) -> str:
        r = self.rng
        c = a["c"]
        forms = [f"{c}村后面", f"{c}社区{a.get('road') or ''}附近", f"灵源{c}那边",
                 f"{c}工业区里面", f"{c}{a.get('road') or ''}一带", f"{c}村山边"]
        return forms[int(r.integers(len(forms)))]

    # ---------------------------------------------------------------- records
    def add_place(self, role, kind, ci, name, addr, lonlat, signals=(), category="", start=None):
        p = {"place_id": self.pid(), "role": role, "category": category, "kind": kind,
             "community": self.comms[ci]["name"], "name": name, "address": self.canonical(addr),
             "lon": lonlat[0], "lat": lonlat[1], "signals": list(signals),
             "start_day": "" if start is None else day(start).isoformat(),
             "_addr": addr, "_ci": ci}
        self.w.places.append(p)
        return p

    def add_registry(self, p, name, entity_type, rep, industry, scope, status="存续",
                     founded=None, uscc=True, addr_style=0, file="ent"):
        r = self.rng
        if founded is None:
            founded = dt.date(1995, 1, 1) + dt.timedelta(days=int(r.integers(0, 9600)))
        code = make_usccs(r, 1, np.array([entity_type == "个体工商户"]))[0] if uscc else ""
        rec = {"place_id": p["place_id"], "uscc": code, "name": name, "entity_type": entity_type,
               "legal_rep": rep, "phone": self.phone(), "address": self.variant(p["_addr"], addr_style),
               "status": status, "founded": founded, "industry_code": industry[0],
               "industry": industry[1], "scope": scope, "file": file}
        self.w.registry.append(rec)
        return rec

    def add_account(self, p, name, category, profile, lvl0, lvl1=None, start=9999, ramp=0,
                    v0=None, p0=None, v1=None, p1=None, wk0=None, wk1=None, status="正常",
                    opened=None, capacity=None, cny=None, noise=0.12, ev=0, close=None,
                    gcj=None, messy=0.25, pre=None):
        r = self.rng
        self.n_acct += 1
        while True:
            acc = f"05{int(r.integers(10**7, 10**8)):08d}"
            if acc not in self.used_accounts:
                self.used_accounts.add(acc)
                break
        d_v, d_p, d_wk = PROFILE_DEFAULTS[profile]
        v0 = d_v if v0 is None else v0
        p0 = d_p if p0 is None else p0
        wk0 = d_wk if wk0 is None else wk0
        if opened is None:
            opened = dt.date(1998, 1, 1) + dt.timedelta(days=int(r.integers(0, 8000)))
        if capacity is None and category in ("大工业用电", "一般工商业用电"):
            std = (10, 16, 20, 30, 50, 80, 100, 160, 200, 250, 315, 400, 500, 630, 800, 1000, 1250, 1600, 2000)
            need = max(float(lvl0), 0.0) / (24 * 0.3) * float(r.uniform(1.0, 2.0))
            capacity = float(next((c for c in std if c >= need), 2000))
            if category == "大工业用电":
                capacity = max(capacity, 315.0)
        if capacity is None:
            capacity = {"大工业用电": float(r.choice([315, 400, 500, 630, 800, 1000, 1250])),
                        "一般工商业用电": float(r.choice([10, 16, 20, 30, 50, 80, 100, 160, 200])),
                        "居民生活用电": float(r.choice([4, 6, 8, 10, 12])),
                        "农业生产用电": float(r.choice([10, 20, 30, 50]))}[category]
        voltage = {"大工业用电": "交流10kV", "一般工商业用电": "交流380V",
                   "居民生活用电": "交流220V", "农业生产用电": "交流380V"}[category]
        if category == "一般工商业用电" and capacity >= 160:
            voltage = "交流10kV"
        lon, lat = p["lon"], p["lat"]
        has_xy = r.random() < 0.5 if gcj is None else gcj
        if has_xy:
            glon, glat = wgs84_to_gcj02(lon + r.normal(0, 15) / 101000, lat + r.normal(0, 15) / M_PER_DEG_LAT)
            glon, glat = round(float(glon), 6), round(float(glat), 6)
        else:
            glon = glat = None
        ci = p["_ci"]
        rec = {"place_id": p["place_id"], "account_no": acc, "account_name": name,
               "address": self.variant(p["_addr"], messy=messy), "category": category,
               "voltage": voltage, "capacity_kva": capacity, "opened": opened, "status": status,
               "transformer": f"{self.comms[ci]['name']}{int(r.integers(1, 12))}号公变"
               if category != "大工业用电" else f"{name[:8]}专变",
               "lon": glon, "lat": glat,
               # profile parameters (never written)
               "prof": profile, "lvl0": float(lvl0), "lvl1": float(lvl0 if lvl1 is None else lvl1),
               "start": int(start), "ramp": int(ramp), "v0": v0, "p0": p0,
               "v1": v0 if v1 is None else v1, "p1": p0 if p1 is None else p1,
               "wk0": wk0, "wk1": wk0 if wk1 is None else wk1,
               "cny": (profile in (P_FACTORY, P_NIGHT, P_RAMP, P_CHEM)) if cny is None else cny,
               "noise": noise, "ev": ev,
               # level before a planted place's true start when that lies before the daily
               # window (monthly bills only; never drawn from the rng)
               "lvl_pre": float(lvl0 if pre is None else pre),
               "open_idx": max(-1, (opened - START).days),
               "close_idx": N_DAYS if close is None else close,
               "zero": status == "暂停"}
        self.w.accounts.append(rec)
        return rec

    def add_license(self, p, reg, ltype, scope, valid_from, valid_to):
        r = self.rng
        self.license_seq += int(r.integers(1, 9))
        yr = valid_from.year
        if ltype == "安全生产许可":
            no = f"(闽)WH安许证字〔{yr}〕{self.license_seq:04d}号"
        elif ltype == "经营许可":
            no = f"闽泉危化经字〔{yr}〕{self.license_seq:04d}号"
        else:
            no = f"闽泉危化使字〔{yr}〕{self.license_seq:04d}号"
        rec = {"place_id": p["place_id"], "license_no": no, "name": reg["name"],
               "uscc": reg["uscc"] if isinstance(reg["uscc"], str) else "",
               "license_type": ltype, "scope": scope, "valid_from": valid_from,
               "valid_to": valid_to, "address": self.variant(p["_addr"], 0), "_reg": reg}
        self.w.licenses.append(rec)
        return rec

    def add_site(self, p, stype, owner):
        r = self.rng
        lon = round(p["lon"] + r.normal(0, 20) / 101000, 6)
        lat = round(p["lat"] + r.normal(0, 20) / M_PER_DEG_LAT, 6)
        rec = {"place_id": p["place_id"], "site_id": "", "site_type": stype,
               "address": self.variant(p["_addr"], messy=0.2), "owner": owner, "lon": lon,
               "lat": lat, "_ci": p["_ci"]}
        self.w.sites.append(rec)
        return rec

    def add_consignee(self, p, name, uscc, goods, n, night=0.0, start=0, plate_pref=None,
                      unit="吨"):
        self.w.consign.append({"place_id": p["place_id"], "consignee": name, "uscc": uscc or "",
                               "goods": goods, "n": int(n), "night": night, "start": max(0, start),
                               "unit": unit, "_addr": p["_addr"]})

    def add_tip(self, p, kind, subject=""):
        self.w.tips.append({"place_id": p["place_id"], "kind": kind, "subject": subject,
                            "_addr": p["_addr"], "start": p.get("_start", 0)})


# valley share, peak share, weekly pattern per profile
PROFILE_DEFAULTS = {
    P_HOME: (0.22, 0.42, 3), P_SHOP: (0.06, 0.45, 0), P_OFFICE: (0.05, 0.48, 2),
    P_FACTORY: (0.07, 0.46, 1), P_NIGHT: (0.42, 0.27, 0), P_BAKERY: (0.55, 0.18, 0),
    P_COLD: (0.335, 0.29, 0), P_EV: (0.22, 0.42, 3), P_RAMP: (0.08, 0.46, 1),
    P_FARM: (0.25, 0.35, 0), P_GAS: (0.30, 0.32, 0), P_IDLE: (0.33, 0.29, 0),
    P_CHEM: (0.30, 0.30, 0),
}
