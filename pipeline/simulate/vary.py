"""A family of varied worlds (`simulate --vary`, issue 11): every behavioural assumption of
the simulator drawn per world (seed) from a wide, documented range.

Without --vary the simulator writes today's world, byte for byte. With it, the world's
parameters are drawn from `np.random.default_rng([seed, 11])` and applied by a second
generator `default_rng([seed, 11, 1])`, after the main generator has built the places and
their records (look-alike counts are the one thing set before building). Everything drawn
is written to `truth/vary.json`. Truth stays exact: a variation changes how a record is
written (name, address, category, coordinates, readings), or drops a record, never which
place a written record belongs to.

Ranges ("today" = what the unvaried simulator assumes). Shares are per record unless said.

| knob | range | today | what it does |
|---|---|---|---|
| person_meter_share | 0 – 0.60 | 0 | share of business meters written in the firm's name that are re-opened in a person's name, at the business's address (on top of the ≈20–50 % the world already names by the boss) |
| person_meter_landlord | 0 – 0.50 | 0 | of those, share in the landlord's name (a person in no other record) instead of the registry's 法定代表人/经营者 |
| person_meter_residential | 0 – 0.40 | 0 | of those with ≤ 100 kVA 一般工商业用电, share written as 居民生活用电 (220 V up to 12 kVA) |
| addr_prefix_drop | 0 – 0.50 | 0 | address loses its 福建省/泉州市/晋江市 prefix, half of those also 灵源街道(办事处) |
| addr_cun_swap | 0 – 0.50 | ≈0.3 | 社区 written as 村 (or 村 as 社区) |
| addr_hao_drop | 0 – 0.30 | ≈0.02 | 号 omitted after the number |
| addr_qualifier | 0 – 0.30 | 0 | building/room qualifier appended (3栋, A幢2楼, 201室, 厂房二楼 …) |
| addr_road_alias | 0 – 0.30 | 0 | road written by an alias (紫华北路 → 紫华路北段, X路 → X街 …) |
| addr_number_missing | 0 – 0.25 | 0 | door number missing (road only) |
| name_typo | 0 – 0.08 | 0 | one-character typo (homophone, dropped character) in an account, consignee, licence or tip-subject name |
| night_gap | 0.04 – 0.55 | ≈0.5 | a planted night-working meter's valley share above its trade's own median (blatant → barely above) |
| surge_ratio | 1.5 – 8 | 2 – 6 | a planted meter's level after / before its start (per place × U(0.75, 1.25), ≥ 1.2); a workshop on its host's meter adds 35 % of it |
| idle_level_scale | 0.2 – 1.0 | 1 | scale of the level a workshop draws on a meter that was idle or new (house, farm, empty factory, a second meter) |
| pre_running_share | 0 – 0.50 | ≈0.1 | share of planted places with a change point in the window whose workshop was already running before it (no change point in the daily readings; high level, visible in the monthly history before the window and as kWh per contract kVA) |
| intermittent_share | 0 – 0.60 | 0 | share of planted places that run intermittently (on/off in a cycle of 5–21 days) |
| duty_on | 0.30 – 0.80 | 1 | share of days an intermittent workshop runs |
| silent_power | 0 – 0.40 | 0 | share of planted places with no power record (their host's meter shows nothing either) |
| silent_transport | 0 – 0.40 | 0 | … with no waybill and no truck stop |
| silent_tips | 0 – 0.40 | 0 | … with no tip-off |
| silent_registry | 0 – 0.40 | 0 | … with no registry record |
| tip_vague | 0 – 0.60 | ≈0.15 | share of tips about planted places that name only a village/community and a time (no address, no subject) |
| tip_repeat_max | 1 – 5 | 1 | a vague tip's place is reported 1 … max times, by different people on different days |
| tip_short_name | 0 – 0.80 | ≈0.3 | share of tips about a registered firm that name it by a short form (凯通新材 for 晋江市凯通新材料有限公司) |
| waybill_person | 0 – 0.50 | 0 | share of a registered firm's consignee places whose waybills are consigned to the boss (法定代表人), no USCC, at the firm's address |
| wgs_in_gcj_source | 0 – 0.30 | 0 | share of power-account coordinates given in WGS-84 although the source is GCJ-02 |
| gcj_in_wgs_source | 0 – 0.50 | 0 | share of idle-site coordinates given in GCJ-02 although the source is WGS-84 |
| gps_jitter_m | 10 – 120 | 15 – 20 | σ (m) of the position error of power-account and site coordinates |
| track_jitter_m | 6 – 30 | 6 | σ (m) of the GPS fix error of truck tracks |
| track_gcj_plates | 0 – 0.25 | 0 | share of tracked trucks whose platform exports GCJ-02 |
| trades.<t>.median | 0.05 – 0.20 | 0.07 | per registered trade (shoe, textile, food, ceramic, plastic, print, metal): valley share of its ordinary factories |
| trades.<t>.night_shift | 0 – 0.35 | 0 | share of the trade's ordinary factories running night shifts |
| trades.<t>.shift_valley | 0.28 – 0.50 | — | valley share of those night shifts (so the trade's 90th percentile reaches 30 %+ when night_shift ≥ 0.1) |
| bakery_valley | 0.35 – 0.65 | 0.55 | valley share of bakeries |
| cold_valley | 0.28 – 0.40 | 0.335 | valley share of cold stores |
| lookalike.<kind> | 0.5 – 2 | 1 | count multiplier of each legal look-alike kind (licensed_firm, night_shift_factory, ramping_factory, shoe_solvent_user, bakery, cold_store, ev_home, gas_station) |

The ranges span from the simulator's own assumptions to much harsher ones; no range was
chosen by what chemsieve detects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.simulate import vocab as V
from pipeline.simulate.geo import M_PER_DEG_LAT, m_per_deg_lon, wgs84_to_gcj02
from pipeline.simulate.world import (N_DAYS, P_BAKERY, P_COLD, P_FACTORY, PROFILE_DEFAULTS, START,
                                     day)


@dataclass(frozen=True)
class Knob:
    name: str
    lo: float
    hi: float
    integer: bool = False


KNOBS = (
    Knob("person_meter_share", 0.0, 0.60), Knob("person_meter_landlord", 0.0, 0.50),
    Knob("person_meter_residential", 0.0, 0.40),
    Knob("addr_prefix_drop", 0.0, 0.50), Knob("addr_cun_swap", 0.0, 0.50), Knob("addr_hao_drop", 0.0, 0.30),
    Knob("addr_qualifier", 0.0, 0.30), Knob("addr_road_alias", 0.0, 0.30), Knob("addr_number_missing", 0.0, 0.25),
    Knob("name_typo", 0.0, 0.08),
    Knob("night_gap", 0.04, 0.55), Knob("surge_ratio", 1.5, 8.0), Knob("idle_level_scale", 0.2, 1.0),
    Knob("pre_running_share", 0.0, 0.50), Knob("intermittent_share", 0.0, 0.60), Knob("duty_on", 0.30, 0.80),
    Knob("silent_power", 0.0, 0.40), Knob("silent_transport", 0.0, 0.40), Knob("silent_tips", 0.0, 0.40),
    Knob("silent_registry", 0.0, 0.40),
    Knob("tip_vague", 0.0, 0.60), Knob("tip_repeat_max", 1, 5, integer=True), Knob("tip_short_name", 0.0, 0.80),
    Knob("waybill_person", 0.0, 0.50),
    Knob("wgs_in_gcj_source", 0.0, 0.30), Knob("gcj_in_wgs_source", 0.0, 0.50), Knob("gps_jitter_m", 10.0, 120.0),
    Knob("track_jitter_m", 6.0, 30.0), Knob("track_gcj_plates", 0.0, 0.25),
    Knob("bakery_valley", 0.35, 0.65), Knob("cold_valley", 0.28, 0.40),
)
TRADE_KNOBS = (Knob("median", 0.05, 0.20), Knob("night_shift", 0.0, 0.35), Knob("shift_valley", 0.28, 0.50))
TRADE_KEYS = tuple(t[0] for t in V.TRADES if t[6] == "factory")
LOOKALIKE_KINDS = ("licensed_firm", "night_shift_factory", "ramping_factory", "shoe_solvent_user", "bakery",
                   "cold_store", "ev_home", "gas_station")
LOOKALIKE_RANGE = (0.5, 2.0)

# the five knobs the per-world table shows, briefly
KEY_KNOBS = ("person_meter_share", "night_gap", "surge_ratio", "pre_running_share", "silent_power", "tip_vague")


def _check(name: str, v, lo: float, hi: float) -> None:
    if not (lo <= float(v) <= hi):
        raise ValueError(f"vary parameter {name}={v} outside its documented range [{lo}, {hi}]")


def draw(seed: int, overrides: dict | None = None) -> dict:
    """The world's parameters. Every value is drawn whatever is overridden (so overriding one
    leaves the others as they were); overrides must lie inside the documented ranges."""
    rng = np.random.default_rng([int(seed), 11])
    p: dict = {}
    for k in KNOBS:
        x = rng.uniform(k.lo, k.hi + (1 if k.integer else 0))
        p[k.name] = int(min(np.floor(x), k.hi)) if k.integer else round(float(x), 4)
    p["trades"] = {t: {k.name: round(float(rng.uniform(k.lo, k.hi)), 4) for k in TRADE_KNOBS} for t in TRADE_KEYS}
    p["lookalike"] = {kind: round(float(np.exp(rng.uniform(*np.log(LOOKALIKE_RANGE)))), 3) for kind in LOOKALIKE_KINDS}
    for key, v in (overrides or {}).items():
        if key == "trades":
            for t, sub in v.items():
                for kk, vv in sub.items():
                    kn = next(x for x in TRADE_KNOBS if x.name == kk)
                    _check(f"trades.{t}.{kk}", vv, kn.lo, kn.hi)
                    p["trades"][t][kk] = vv
        elif key == "lookalike":
            for kind, vv in v.items():
                if kind not in LOOKALIKE_KINDS:
                    raise ValueError(f"unknown look-alike kind {kind}")
                _check(f"lookalike.{kind}", vv, *LOOKALIKE_RANGE)
                p["lookalike"][kind] = vv
        else:
            kn = next((x for x in KNOBS if x.name == key), None)
            if kn is None:
                raise ValueError(f"unknown vary parameter {key}")
            _check(key, v, kn.lo, kn.hi)
            p[key] = v
    p["seed"] = int(seed)
    return p


def in_ranges(p: dict) -> list[str]:
    """Names of drawn values outside their documented ranges (empty when all are inside)."""
    bad = [k.name for k in KNOBS if not (k.lo <= p[k.name] <= k.hi)]
    bad += [f"trades.{t}.{k.name}" for t in TRADE_KEYS for k in TRADE_KNOBS
            if not (k.lo <= p["trades"][t][k.name] <= k.hi)]
    bad += [f"lookalike.{x}" for x in LOOKALIKE_KINDS if not (LOOKALIKE_RANGE[0] <= p["lookalike"][x] <= LOOKALIKE_RANGE[1])]
    return bad


def lookalike_count(b, kind: str, n: int) -> int:
    """How many look-alikes of a kind the builder makes: today's n, or n scaled in a varied world."""
    mult = getattr(b, "lookalike_mult", None)
    if not mult:
        return n
    return max(1, int(round(n * mult[kind])))


# ---------------------------------------------------------------------------- text variations

_TYPO = {"鑫": "新", "恒": "衡", "华": "化", "宏": "弘", "金": "今", "锦": "景", "荣": "容", "嘉": "佳",
         "永": "勇", "兴": "星", "信": "新", "宝": "保", "福": "富", "祥": "详", "明": "名", "瑞": "锐",
         "盛": "胜", "源": "元", "德": "得", "凯": "恺", "泰": "太", "隆": "龙", "丰": "峰", "达": "大",
         "顺": "舜", "辉": "晖", "益": "溢", "创": "闯", "利": "力", "成": "诚", "鹏": "朋", "通": "同",
         "志": "智", "强": "墙", "建": "健", "国": "果", "平": "萍", "清": "青", "泉": "全", "文": "雯",
         "彬": "斌", "水": "永", "丽": "莉", "娟": "涓", "秀": "琇", "美": "梅", "俊": "骏", "杰": "洁",
         "豪": "毫", "燕": "艳", "东": "冬", "添": "天", "财": "才", "婷": "亭", "琴": "芹", "伟": "韦",
         "鞋": "革", "材": "才", "料": "科", "科": "料", "技": "枝", "塑": "朔", "印": "营", "纺": "访"}

_ROAD_ALIAS = {"紫华北路": "紫华路北段", "灵源大道": "灵源大道中段", "世纪大道": "世纪大道（灵源段）",
               "晋新路": "晋新公路", "锦山路": "锦山街", "灵安路": "灵安街", "工业路": "工业大道",
               "创业路": "创业大道", "兴业路": "兴业街"}
_QUALIFIERS = ("3栋", "A幢2楼", "201室", "厂房二楼", "1号楼", "之一", "B区", "后座1楼", "-1")
_NUM = r"[0-9０-９]+(?:[-－][0-9０-９]+)?"


def typo(name: str, rng: np.random.Generator) -> str:
    """One character of a name misspelled (a homophone), or one dropped."""
    if not isinstance(name, str) or len(name) < 3:
        return name
    body = [i for i, ch in enumerate(name) if ch in _TYPO]
    if body and rng.random() < 0.8:
        i = body[int(rng.integers(len(body)))]
        return name[:i] + _TYPO[name[i]] + name[i + 1:]
    for w in ("有限", "市", "公司"):
        if w in name:
            return name.replace(w, "", 1)
    return name


def vary_address(s: str, p: dict, rng: np.random.Generator) -> str:
    if not isinstance(s, str) or not s:
        return s
    u = rng.random(6)
    if u[0] < p["addr_prefix_drop"]:
        s = re.sub(r"^(福建省)?(泉州市)?(晋江市|晋江)?", "", s)
        if rng.random() < 0.5:
            s = re.sub(r"^灵源(街道办事处|街道)?", "", s)
    if u[1] < p["addr_cun_swap"]:
        s = s.replace("社区", "村", 1) if "社区" in s else s.replace("村", "社区", 1)
    if u[2] < p["addr_road_alias"]:
        for a, b in _ROAD_ALIAS.items():
            if a in s:
                s = s.replace(a, b, 1)
                break
        else:
            s = re.sub(r"([\u4e00-\u9fff]{2})路(?=" + _NUM + ")", r"\1街", s, count=1)
    if u[3] < p["addr_number_missing"]:
        s = re.sub(_NUM + "号?", "", s, count=1)
    elif u[4] < p["addr_hao_drop"]:
        s = re.sub("(" + _NUM + ")号", r"\1", s, count=1)
    if u[5] < p["addr_qualifier"] and re.search(_NUM, s):
        s = s + _QUALIFIERS[int(rng.integers(len(_QUALIFIERS)))]
    return s


def short_name(name: str) -> str:
    """The short form people use: 晋江市凯通新材料有限公司 → 凯通新材."""
    core = re.sub(r"^(福建省?|泉州市|晋江市灵源|晋江市|晋江)+", "", name)
    core = re.sub(r"(股份有限公司|有限责任公司|有限公司|分公司)$", "", core)
    if len(core) <= 4:
        return core
    # 字号 + the trade word cut to two characters, but a place kind (加油站, 面包店, 商行) whole
    return core if len(core) <= 5 and core[-1] in "站店行厂" else core[:4]


def _person(rng) -> str:
    sp = np.array(V.SURNAME_P, dtype=float)
    return V.SURNAMES[int(rng.choice(len(V.SURNAMES), p=sp / sp.sum()))] + V.GIVEN[int(rng.integers(len(V.GIVEN)))]


# ---------------------------------------------------------------------------- applying a world

POWER_SIGNALS = {"power_surge", "power_night", "power_flat", "industrial_on_residential", "new_account",
                 "host_meter", "power_level"}
SILENT_DROPS = {"power": POWER_SIGNALS, "transport": {"waybill", "truck_stop"}, "tips": {"tip"},
                "registry": {"registry_words", "cover_name", "status_mismatch", "multi_entity"}}
_STD_KVA = (10, 16, 20, 30, 50, 80, 100, 160, 200, 250, 315, 400, 500, 630, 800, 1000, 1250, 1600, 2000)

VAGUE_TIPS = ("{c}{v}晚上经常有刺鼻的味道，不知道哪一家", "{c}{v}那边半夜有机器声，还有怪味",
              "{c}{v}晚上有人偷偷生产，气味很大", "听说{c}{v}有黑作坊，晚上开工",
              "{c}{v}夜里总有货车进出，闻到化学品味道")


def _signals_edit(places: pd.DataFrame, pid: str, drop=(), add=()) -> None:
    i = places.index[places["place_id"] == pid][0]
    cur = [s for s in str(places.at[i, "signals"] or "").split(";") if s]
    new = sorted((set(cur) - set(drop)) | set(add))
    places.at[i, "signals"] = ";".join(new)


def apply(frames: dict, p: dict, b) -> dict:
    """Vary a built world in place (frames as sources.build returns them, before members are
    taken); returns a summary of what was changed, for truth/vary.json."""
    rng = np.random.default_rng([int(p["seed"]), 11, 1])
    places = frames["places"]
    role = places.set_index("place_id")["role"]
    comm = places.set_index("place_id")["community"]
    xy = places.set_index("place_id")[["lon", "lat"]]
    reg0 = frames["registry"].drop_duplicates("place_id").set_index("place_id")
    planted = sorted(places.loc[places["role"] == "planted", "place_id"])
    hosts = {}          # planted 厂中厂 → its host (same address, hosts_workshop)
    for pid in planted:
        a = places.loc[places["place_id"] == pid, "address"].iloc[0]
        m = re.match(r"^(.*?\d+号)", a)
        if m and places.loc[places["place_id"] == pid, "kind"].iloc[0] == "厂中厂":
            h = places[(places["address"] == m.group(1)) & places["signals"].str.contains("hosts_workshop")]
            if len(h):
                hosts[pid] = h["place_id"].iloc[0]
    done: dict = {"silent": {}, "pre_running": [], "intermittent": [], "person_meters": 0,
                  "person_meters_residential": 0, "vague_tips": 0, "repeat_tips": 0, "short_name_tips": 0,
                  "waybills_to_person": 0, "typos": 0}

    # ---- silence: drop a planted place's records of a source
    acc = frames["accounts"]
    for src in ("power", "transport", "tips", "registry"):
        gone = [pid for pid in planted if rng.random() < p[f"silent_{src}"]]
        done["silent"][src] = gone
        if not gone:
            continue
        for pid in gone:
            _signals_edit(places, pid, drop=SILENT_DROPS[src])
        if src == "power":
            acc = acc[~acc["place_id"].isin(gone)]
            for pid in gone:
                if pid in hosts:          # the host's meter no longer shows the workshop
                    m = acc["place_id"] == hosts[pid]
                    for a, b_ in (("lvl1", "lvl0"), ("v1", "v0"), ("p1", "p0"), ("wk1", "wk0")):
                        acc.loc[m, a] = acc.loc[m, b_]
                    acc.loc[m, "start"] = 9999
                    _signals_edit(places, hosts[pid], drop={"power_surge", "hosts_workshop"})
        elif src == "transport":
            frames["waybills"] = frames["waybills"][~frames["waybills"]["place_id"].isin(gone)].reset_index(drop=True)
            b.w.night_stops = [(x, n) for x, n in b.w.night_stops if x not in set(gone)]
        elif src == "tips":
            frames["tips"] = frames["tips"][~frames["tips"]["place_id"].isin(gone)].reset_index(drop=True)
        else:
            frames["registry"] = frames["registry"][~frames["registry"]["place_id"].isin(gone)].reset_index(drop=True)
    acc = acc.reset_index(drop=True).copy()

    # ---- trades' own rhythms (ordinary factories), bakeries, cold stores
    trade_of = {c: t[0] for t in V.TRADES for c, _ in t[2]}
    ind = acc["place_id"].map(reg0["industry_code"]).map(trade_of)
    steady = (acc["place_id"].map(role) == "normal").to_numpy() & (acc["start"].to_numpy() == 9999) \
        & (acc["prof"].to_numpy() == P_FACTORY)
    n = len(acc)
    u, z = rng.random(n), rng.normal(0, 1, n)
    v_new = np.full(n, np.nan)
    for t in TRADE_KEYS:
        tp = p["trades"][t]
        m = steady & (ind == t).to_numpy()
        shift = m & (u < tp["night_shift"])
        v_new[m] = np.clip(tp["median"] + 0.025 * z[m], 0.02, 0.6)
        v_new[shift] = np.clip(tp["shift_valley"] + 0.04 * z[shift], 0.2, 0.7)
    for prof, key in ((P_BAKERY, "bakery_valley"), (P_COLD, "cold_valley")):
        m = (acc["prof"].to_numpy() == prof) & (acc["start"].to_numpy() == 9999)
        v_new[m] = np.clip(p[key] + 0.03 * z[m], 0.1, 0.8)
    ok = ~np.isnan(v_new)
    for c in ("v0", "v1"):
        acc.loc[ok, c] = v_new[ok]
    for c in ("p0", "p1"):
        acc.loc[ok, c] = np.round((1 - v_new[ok]) * 0.48, 4)
    shift_rows = ok & (v_new >= 0.2) & (acc["prof"].to_numpy() == P_FACTORY)
    acc.loc[shift_rows, ["wk0", "wk1"]] = 0

    # ---- planted patterns: night strength, surge ratio, level, pre-running, intermittent
    def ref_valley(pid: str, prof: int) -> float:
        t = trade_of.get(reg0["industry_code"].get(pid, ""), None)
        return p["trades"][t]["median"] if t in TRADE_KEYS else PROFILE_DEFAULTS[int(prof)][0]

    host_of = {h: w for w, h in hosts.items()}
    active_places = set(planted) | set(host_of)
    for c in ("duty_period", "duty_on", "duty_phase"):
        acc[c] = 0
    pre_places = {pid for pid in planted if rng.random() < p["pre_running_share"]}
    converted: set = set()
    inter_places = {pid for pid in planted if rng.random() < p["intermittent_share"]}
    for i in np.flatnonzero(acc["place_id"].isin(active_places).to_numpy()):
        pid = acc.at[i, "place_id"]
        owner = host_of.get(pid, pid)              # the planted place this meter shows
        is_host = pid in host_of
        surge = int(acc.at[i, "start"]) < 9999
        if not surge and not is_host and acc.at[i, "v1"] < 0.5 and acc.at[i, "lvl1"] == acc.at[i, "lvl0"] \
                and acc.at[i, "lvl_pre"] == acc.at[i, "lvl0"]:
            continue                               # an ordinary meter of the place (nothing planted on it)
        if acc.at[i, "v1"] >= 0.5:                 # planted night work
            v = float(np.clip(ref_valley(pid, acc.at[i, "prof"]) + p["night_gap"] * rng.uniform(0.75, 1.25), 0.05, 0.85))
            acc.at[i, "v1"], acc.at[i, "p1"] = v, round((1 - v) * 0.4, 4)
            if not surge:
                acc.at[i, "v0"], acc.at[i, "p0"] = v, round((1 - v) * 0.4, 4)
        if surge:
            l0 = float(acc.at[i, "lvl0"])
            ratio = max(1.2, p["surge_ratio"] * rng.uniform(0.75, 1.25))
            if is_host:
                acc.at[i, "lvl1"] = l0 * (1 + 0.35 * (ratio - 1))
            elif l0 >= 20:
                acc.at[i, "lvl1"] = l0 * ratio
            else:
                acc.at[i, "lvl1"] = float(acc.at[i, "lvl1"]) * p["idle_level_scale"]
        if surge and owner in pre_places:
            acc.at[i, "lvl_pre"] = acc.at[i, "lvl0"]
            for a, b_ in (("lvl0", "lvl1"), ("v0", "v1"), ("p0", "p1"), ("wk0", "wk1")):
                acc.at[i, a] = acc.at[i, b_]
            acc.at[i, "start"], acc.at[i, "ramp"] = 9999, 0
            converted.add(owner)
        if surge:
            need = float(acc.at[i, "lvl1"]) / 24 / 0.85
            if need > float(acc.at[i, "capacity_kva"]):      # a meter cannot draw above its capacity
                acc.at[i, "capacity_kva"] = float(next((c for c in _STD_KVA if c >= need), 2000))
        if owner in inter_places and (surge or acc.at[i, "v1"] >= 0.3):
            if int(acc.at[i, "start"]) == 9999 and acc.at[i, "lvl_pre"] != acc.at[i, "lvl0"]:
                # running since before the window: on from day 0, at its earlier level on off days
                d_v, d_p, _wk = PROFILE_DEFAULTS[int(acc.at[i, "prof"])]
                acc.at[i, "lvl1"], acc.at[i, "lvl0"] = acc.at[i, "lvl0"], acc.at[i, "lvl_pre"]
                acc.at[i, "v0"], acc.at[i, "p0"], acc.at[i, "start"] = d_v, d_p, 0
            per = int(rng.integers(5, 22))
            acc.at[i, "duty_period"] = per
            acc.at[i, "duty_on"] = max(1, int(round(p["duty_on"] * per)))
            acc.at[i, "duty_phase"] = int(rng.integers(per))
    pre_places &= converted          # only a place with a change point in the window can have moved it back
    for pid in sorted(pre_places):
        rows = acc["place_id"] == pid
        if pid in hosts:
            rows = rows | (acc["place_id"] == hosts[pid])
        s = -int(rng.integers(30, 400))
        i = places.index[places["place_id"] == pid][0]
        places.at[i, "start_day"] = day(s).isoformat()
        opened_late = rows & (pd.to_datetime(acc["opened"]) > pd.Timestamp(day(s)))
        acc.loc[opened_late, "opened"] = day(s - int(rng.integers(0, 20)))
        acc.loc[rows, "open_idx"] = [max(-1, (o - START).days) for o in acc.loc[rows, "opened"]]
        _signals_edit(places, pid, drop={"power_surge", "new_account"}, add={"power_level"})
        if pid in hosts:
            _signals_edit(places, hosts[pid], drop={"power_surge"}, add={"power_level"})
    done["pre_running"] = sorted(pre_places)
    done["intermittent"] = sorted(set(acc.loc[acc["duty_period"] > 0, "place_id"].map(lambda x: host_of.get(x, x))))

    # ---- business meters in a person's name
    firm = acc["place_id"].map(reg0["name"])
    rep = acc["place_id"].map(reg0["legal_rep"])
    cand = np.flatnonzero((acc["account_name"] == firm).to_numpy())
    for i in cand:
        if rng.random() >= p["person_meter_share"]:
            continue
        acc.at[i, "account_name"] = _person(rng) if rng.random() < p["person_meter_landlord"] else rep.iloc[i]
        done["person_meters"] += 1
        if acc.at[i, "category"] == "一般工商业用电" and acc.at[i, "capacity_kva"] <= 100 \
                and rng.random() < p["person_meter_residential"]:
            acc.at[i, "category"] = "居民生活用电"
            acc.at[i, "voltage"] = "交流220V" if acc.at[i, "capacity_kva"] <= 12 else "交流380V"
            done["person_meters_residential"] += 1

    # ---- coordinates: datum mix-ups and position error
    has = np.flatnonzero(acc["lon"].notna().to_numpy())
    if len(has):
        px = acc["place_id"].iloc[has].map(xy["lon"]).to_numpy(float)
        py = acc["place_id"].iloc[has].map(xy["lat"]).to_numpy(float)
        s = p["gps_jitter_m"]
        jx = px + rng.normal(0, s, len(has)) / m_per_deg_lon(24.84)
        jy = py + rng.normal(0, s, len(has)) / M_PER_DEG_LAT
        gx, gy = wgs84_to_gcj02(jx, jy)
        wgs = rng.random(len(has)) < p["wgs_in_gcj_source"]
        acc.loc[acc.index[has], "lon"] = np.round(np.where(wgs, jx, gx), 6)
        acc.loc[acc.index[has], "lat"] = np.round(np.where(wgs, jy, gy), 6)
    st = frames["sites"]
    if len(st):
        px = st["place_id"].map(xy["lon"]).to_numpy(float)
        py = st["place_id"].map(xy["lat"]).to_numpy(float)
        jx = px + rng.normal(0, p["gps_jitter_m"], len(st)) / m_per_deg_lon(24.84)
        jy = py + rng.normal(0, p["gps_jitter_m"], len(st)) / M_PER_DEG_LAT
        gx, gy = wgs84_to_gcj02(jx, jy)
        g = rng.random(len(st)) < p["gcj_in_wgs_source"]
        st["lon"] = np.round(np.where(g, gx, jx), 6)
        st["lat"] = np.round(np.where(g, gy, jy), 6)

    # ---- waybills consigned to the boss, at the firm's address
    wb = frames["waybills"].copy()
    for pid in sorted(set(wb["place_id"]) & set(reg0.index)):
        if role.get(pid) == "lookalike" and "加油站" in str(reg0.at[pid, "name"]):
            continue                      # a gas station's fuel is always consigned to the station
        if rng.random() < p["waybill_person"]:
            m = (wb["place_id"] == pid).to_numpy() & (rng.random(len(wb)) < 0.8)
            wb.loc[m, "consignee"] = reg0.at[pid, "legal_rep"]
            wb.loc[m, "consignee_uscc"] = ""
            done["waybills_to_person"] += int(m.sum())
    frames["waybills"] = wb

    # ---- tips: vague, repeated, short names
    frames["tips"] = _vary_tips(frames["tips"], p, rng, role, comm, reg0, done)

    # ---- names with typos; addresses in other forms
    for fr, cols in (("accounts", ("account_name",)), ("waybills", ("consignee",)), ("tips", ("subject",)),
                     ("licenses", ("name",))):
        df = acc if fr == "accounts" else frames[fr]
        for c in cols:
            m = np.flatnonzero(rng.random(len(df)) < p["name_typo"])
            for i in m:
                old = df.iat[i, df.columns.get_loc(c)]
                new = typo(old, rng)
                if new != old:
                    df.iat[i, df.columns.get_loc(c)] = new
                    done["typos"] += 1
    for fr, col in (("registry", "address"), ("licenses", "address"), ("accounts", "address"),
                    ("waybills", "unload_address"), ("tips", "address"), ("sites", "address")):
        df = acc if fr == "accounts" else frames[fr]
        df[col] = [vary_address(s, p, rng) for s in df[col]]
    frames["accounts"] = acc
    return done


def _vary_tips(tp: pd.DataFrame, p: dict, rng, role, comm, reg0, done: dict) -> pd.DataFrame:
    rows = []
    for r in tp.to_dict("records"):
        pid = r["place_id"]
        if role.get(pid) == "planted" and rng.random() < p["tip_vague"]:
            c = comm[pid]
            n_rep = int(rng.integers(1, int(p["tip_repeat_max"]) + 1))
            for j in range(n_rep):
                t = VAGUE_TIPS[int(rng.integers(len(VAGUE_TIPS)))]
                ts = r["received_at"] + pd.Timedelta(days=int(rng.integers(0, 45)) if j else 0,
                                                     minutes=int(rng.integers(0, 600)) if j else 0)
                ts = min(ts, pd.Timestamp(day(N_DAYS - 1)) + pd.Timedelta(hours=21))
                rows.append({**r, "received_at": ts, "content": t.format(c=c, v="村" if rng.random() < 0.6 else "社区"),
                             "address": "", "subject": "",
                             "reporter": r["reporter"] if j == 0 else (_person(rng) if rng.random() < 0.7 else "匿名"),
                             "reporter_phone": r["reporter_phone"] if j == 0 else
                             f"1{int(rng.choice([3, 5, 8]))}{int(rng.integers(0, 10**9)):09d}"})
            done["vague_tips"] += 1
            done["repeat_tips"] += n_rep - 1
            continue
        if pid in reg0.index and role.get(pid) in ("planted", "lookalike") and rng.random() < p["tip_short_name"]:
            full = reg0.at[pid, "name"]
            sn = short_name(full)
            old = r["subject"] or ""
            r["subject"] = sn
            if old and old in r["content"]:
                r["content"] = r["content"].replace(old, sn)
            elif sn not in r["content"]:
                r["content"] = f"{sn}：{r['content']}"
            done["short_name_tips"] += 1
        rows.append(r)
    df = pd.DataFrame(rows).drop(columns=["tip_id"]).sort_values(["received_at", "place_id"], kind="stable")
    df = df.reset_index(drop=True)
    src = rng.random(len(df)) < 0.3
    ids = [f"12345-{t:%Y%m%d}-{i + 1:04d}" if s else f"LYJB{t:%Y}{i + 1:05d}"
           for i, (t, s) in enumerate(zip(df["received_at"], src))]
    df.insert(0, "tip_id", ids)
    return df


def vary_tracks(tr: pd.DataFrame, p: dict) -> tuple[pd.DataFrame, list[str]]:
    """GPS fixes with the world's error, and some platforms exporting GCJ-02."""
    rng = np.random.default_rng([int(p["seed"]), 11, 2])
    n = len(tr)
    extra = np.sqrt(max(p["track_jitter_m"] ** 2 - 6.0 ** 2, 0.0))     # today's 6 m is already in
    lon = tr["lon"].to_numpy(float) + rng.normal(0, extra, n) / m_per_deg_lon(24.84)
    lat = tr["lat"].to_numpy(float) + rng.normal(0, extra, n) / M_PER_DEG_LAT
    plates = list(tr["plate"].cat.categories)
    gplates = {x for x in plates if rng.random() < p["track_gcj_plates"]}
    g = tr["plate"].isin(gplates).to_numpy()
    if g.any():
        gx, gy = wgs84_to_gcj02(lon[g], lat[g])
        lon[g], lat[g] = gx, gy
    out = tr.copy()
    out["lon"], out["lat"] = np.round(lon, 6), np.round(lat, 6)
    return out, sorted(gplates)


__all__ = ["KNOBS", "TRADE_KNOBS", "TRADE_KEYS", "LOOKALIKE_KINDS", "KEY_KNOBS", "draw", "apply", "in_ranges",
           "lookalike_count", "short_name", "typo", "vary_address", "vary_tracks"]
