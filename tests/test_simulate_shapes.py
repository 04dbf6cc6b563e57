"""simulate(shape=raw|lists|mixed): what the offices hand over, on one world (issue 15).

One tiny world (seed 5) written in every shape. The list exports are re-derived here from
the files themselves with each office's stated rule, independently of the simulator's code.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from pathlib import Path

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from pipeline.errors import UserError
from pipeline.simulate import simulate

SEED = 5
BILLS = "营销系统_月度电量_201907-202106.csv"
WORDS = ("化工", "化学品", "化学", "涂料", "油漆", "树脂", "溶剂", "油墨", "稀释剂")


def _hash_tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _rows(path: Path, encoding: str = "utf-8") -> list[list]:
    """Every row of a file as the user sees it (row i of the list = Excel row i + 1)."""
    if path.suffix == ".xlsx":
        return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    return list(csv.reader(io.StringIO(path.read_bytes().decode(encoding))))


def _table(path: Path, encoding: str, title_rows: int) -> list[dict]:
    rows = _rows(path, encoding)
    hdr = [str(h) for h in rows[title_rows]]
    out = []
    for r in rows[title_rows + 1:]:
        if not any(c not in ("", None) for c in r) or str(r[0]) == "合计":
            continue
        out.append(dict(zip(hdr, r)))
    return out


@pytest.fixture(scope="module")
def worlds(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("shapes")
    simulate(root / "default", seed=SEED, scale="tiny")
    for shape in ("raw", "lists", "mixed"):
        simulate(root / shape, seed=SEED, scale="tiny", shape=shape)
    return {k: root / k for k in ("default", "raw", "lists", "mixed")}


def _truth(world: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(world / "truth" / name, dtype=str, keep_default_na=False)


def _bills(world: Path) -> dict[tuple[str, int], float]:
    """(account_no, yyyymm) → kWh as the bills file says; 户号 with its lost 0 restored."""
    out = {}
    for r in _table(world / "inbox" / "power_readings" / BILLS, "gbk", 2):
        out[(r["户号"].zfill(10), int(r["电费年月"]))] = float(r["总电量(kWh)"])
    return out


def _shift(ym: int, k: int) -> int:
    i = (ym // 100) * 12 + ym % 100 - 1 + k
    return (i // 12) * 100 + i % 12 + 1


def _growth(s) -> float | None:
    s = str(s).strip()
    if not s:
        return None
    if s.endswith("倍"):
        return float(s[:-1]) - 1
    return float(s.rstrip("%")) / 100


def _minutes(s) -> int:
    s = str(s)
    if m := re.fullmatch(r"(\d+):(\d\d):(\d\d)", s):
        return int(m[1]) * 60 + int(m[2])
    if m := re.fullmatch(r"(?:(\d+)小时)?(\d+)分(?:钟)?", s):
        return int(m[1] or 0) * 60 + int(m[2])
    return int(s)


def _when(v) -> dt.datetime:
    if isinstance(v, dt.datetime):
        return v
    s = str(v)
    for f in ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y年%m月%d日 %H:%M"):
        try:
            return dt.datetime.strptime(s, f)
        except ValueError:
            pass
    raise AssertionError(f"unparsed time {s!r}")


# ---------------------------------------------------------------------------- shapes


def test_raw_is_the_default_and_writes_no_list_exports(worlds):
    assert _hash_tree(worlds["default"]) == _hash_tree(worlds["raw"])
    inbox = sorted(p.name for p in (worlds["raw"] / "inbox").iterdir())
    assert inbox == ["licenses", "power_accounts", "power_readings", "registry", "sites", "tips", "tracks", "waybills"]
    assert not (worlds["raw"] / "truth" / "alarms.csv").exists()
    assert BILLS not in {p.name for p in (worlds["raw"] / "inbox" / "power_readings").iterdir()}


def test_lists_shape_holds_only_the_lists(worlds):
    w = worlds["lists"]
    inbox = {p.name: sorted(f.name for f in p.iterdir()) for p in (w / "inbox").iterdir()}
    assert sorted(inbox) == ["licenses", "power_readings", "power_surge_list", "registry", "registry_list", "sites",
                             "tips", "track_alarms", "waybills"]
    assert inbox["power_readings"] == [BILLS]
    assert inbox["power_surge_list"] == ["安海供电所_电量激增用户清单_202106.csv", "罗山供电所_电量激增用户清单_202106.xlsx"]
    assert inbox["track_alarms"] == ["联网联控平台_夜间行驶报警_20210617-20210630.csv",
                                     "联网联控平台_报警明细_20210617-20210630.xlsx"]
    assert inbox["registry_list"] == ["市场监管所_涉化工企业排查名单_20210630.xlsx"]
    # truth describes exactly the files written
    files = _truth(w, "files.csv")
    assert sorted(zip(files["source"], files["file"])) == sorted((s, f) for s, fs in inbox.items() for f in fs)
    mem = _truth(w, "members.csv")
    assert "power_accounts" not in set(mem["source"])
    assert len(_truth(w, "readings_corrections.csv")) == 0


def test_the_world_is_the_same_in_every_shape(worlds):
    raw, lists, mixed = (worlds[k] for k in ("raw", "lists", "mixed"))
    for name in ("places.csv", "stops.csv"):
        assert (raw / "truth" / name).read_bytes() == (lists / "truth" / name).read_bytes() \
            == (mixed / "truth" / name).read_bytes()
    # mixed = every raw file, byte for byte, plus the lists; lists' common files are raw's too
    r, m, li = _hash_tree(raw / "inbox"), _hash_tree(mixed / "inbox"), _hash_tree(lists / "inbox")
    assert {k: m[k] for k in r} == r
    new_files = set(m) - set(r)
    assert len(new_files) == 6 and new_files <= set(li)
    assert {k: m[k] for k in li} == li
    dropped = {k for k in r if k.startswith(("power_accounts/", "tracks/", "power_readings/"))}
    assert set(li) == (set(r) - dropped) | new_files
    # members: the raw rows unchanged; the lists' rows added (same in lists and mixed)
    mr, mm, ml = (_truth(w, "members.csv") for w in (raw, mixed, lists))
    assert mm.iloc[:len(mr)].equals(mr)
    new = mm.iloc[len(mr):].reset_index(drop=True)
    assert sorted(set(new["source"])) == ["power_readings", "power_surge_list", "registry_list"]
    assert new.equals(ml[ml["source"].isin(new["source"].unique())].reset_index(drop=True))


def test_city_scale_refuses_the_list_shapes(tmp_path):
    with pytest.raises(UserError, match="只支持 demo 与 tiny"):
        simulate(tmp_path / "c", seed=1, scale="city", shape="lists")
    with pytest.raises(UserError, match="未知数据形态"):
        simulate(tmp_path / "c", seed=1, scale="tiny", shape="raw+lists")


# ---------------------------------------------------------------------------- monthly bills


def test_bills_cover_24_months_and_the_window_months_are_the_daily_sums(worlds):
    raw, mixed = worlds["raw"], worlds["mixed"]
    bills = _bills(mixed)
    assert sorted({ym for _, ym in bills})[0] == 201907 and sorted({ym for _, ym in bills})[-1] == 202106
    assert len({ym for _, ym in bills}) == 24
    mem = _truth(mixed, "members.csv")
    assert {a for a, _ in bills} == set(mem.loc[mem["source"] == "power_readings", "source_key"]) \
        == set(mem.loc[mem["source"] == "power_accounts", "source_key"])
    # the daily files of raw, later export winning; accounts next to a broken row are left out
    files = _truth(raw, "files.csv")
    mess = _truth(raw, "mess.csv")
    daily: dict[tuple[str, int, str], float] = {}
    unsure: set[str] = set()
    order = ["用电量_2021年1-3月.csv", "用电量_202104.csv", "用电量_202105.csv", "用电量_202106_重新导出.csv"]
    for name in order:
        f = files[files["file"] == name].iloc[0]
        rows = _rows(raw / "inbox" / "power_readings" / name, f["encoding"])
        bad = {int(x) for x in mess.loc[mess["file"] == name, "row"]}
        for r in bad:
            unsure.update(rows[i][0] for i in (r - 2, r - 1, r) if i < len(rows) and rows[i] and rows[i][0])
        for i, row in enumerate(rows[int(f["title_rows"]) + 1:], start=int(f["title_rows"]) + 2):
            if i in bad or not row or row[0] in ("", "合计"):
                continue
            d = row[1]
            if "年" in d:
                mon, day_ = re.fullmatch(r"2021年(\d+)月(\d+)日", d).groups()
            elif "/" in d:
                mon, day_ = d.split("/")[1:]
            elif "-" in d:
                mon, day_ = d.split("-")[1:]
            else:
                mon, day_ = d[4:6], d[6:]
            daily[(row[0], int(mon), day_.zfill(2))] = float(row[2].replace(",", ""))
    sums: dict[tuple[str, int], float] = {}
    for (a, mon, _), v in daily.items():
        sums[(a, 202100 + mon)] = sums.get((a, 202100 + mon), 0.0) + v
    window = {k: v for k, v in bills.items() if k[1] >= 202101 and k[0] not in unsure}
    checked = {k: v for k, v in sums.items() if k[0] not in unsure}
    assert len(window) > 2000 and window.keys() == checked.keys()
    off = [(k, window[k], round(checked[k], 2)) for k in window if abs(window[k] - checked[k]) > 0.011]
    assert off == []


def test_a_planted_place_running_since_2020_is_high_from_its_start(worlds):
    """The months before the window honour a true start before 2021 (a cover-name firm that
    started in 2020 shows the jump in its 2020 bills, not at the window's edge)."""
    w = worlds["lists"]
    pl = _truth(w, "places.csv")
    mem = _truth(w, "members.csv")
    bills = _bills(w)
    # categories 3 and 5: the place drew little before (an idle house, an office), far more after
    early = pl[(pl["role"] == "planted") & pl["category"].isin(["3", "5"]) & (pl["start_day"] != "")
               & (pl["start_day"] < "2020-12-01")
               & pl["signals"].str.contains("power_night|power_flat") & ~pl["signals"].str.contains("power_surge")]
    seen = 0
    for p in early.itertuples():
        start = int(p.start_day[:4] + p.start_day[5:7])
        for a in mem.loc[(mem["source"] == "power_readings") & (mem["place_id"] == p.place_id), "source_key"]:
            before = [v for (x, ym), v in bills.items() if x == a and ym < start]
            after = [v for (x, ym), v in bills.items() if x == a and _shift(start, 1) <= ym <= 202012]
            if before and after:
                seen += 1
                assert min(after) > 1.5 * max(before), (p.place_id, a, before, after)
    assert seen >= 1


# ---------------------------------------------------------------------------- surge list


def test_surge_list_is_exactly_what_the_stated_rule_selects_on_the_bills(worlds):
    w = worlds["lists"]
    bills = _bills(w)
    want = {}
    for (a, ym), kwh in bills.items():
        if ym not in (202104, 202105, 202106) or kwh < 3000:
            continue
        prev, ly = bills.get((a, _shift(ym, -1))), bills.get((a, ym - 100))
        mom = kwh / prev - 1 if prev else None
        yoy = kwh / ly - 1 if ly else None
        if (yoy is not None and yoy >= 1.0) or (mom is not None and mom >= 0.8):
            want[(a, ym)] = (mom, yoy)
    assert len(want) >= 5
    got = {}
    folder = w / "inbox" / "power_surge_list"
    for name, enc, office in (("罗山供电所_电量激增用户清单_202106.xlsx", "", "罗山供电所"),
                              ("安海供电所_电量激增用户清单_202106.csv", "gbk", "安海供电所")):
        for r in _table(folder / name, enc, 3):
            m = re.fullmatch(r"(\d{4})(?:年(\d{1,2})月|-(\d\d)|(\d\d))", str(r["统计期"]))
            ym = int(m[1]) * 100 + int(m[2] or m[3] or m[4])
            assert r["供电所"] == office
            got[(str(r["户号"]), ym)] = (_growth(r["环比增幅"]), _growth(r["同比增幅"]), r)
    assert got.keys() == want.keys()
    for k, (mom, yoy) in want.items():
        gm, gy, r = got[k]
        for stated, true in ((gm, mom), (gy, yoy)):
            assert (stated is None) == (true is None), (k, r)
            if stated is not None:
                assert abs(stated - true) <= 0.051, (k, stated, true)
        assert float(str(r["本期电量(kWh)"]).replace(",", "")) == bills[k]
    mem = _truth(w, "members.csv")
    assert set(mem.loc[mem["source"] == "power_surge_list", "source_key"]) == {a for a, _ in want}


# ---------------------------------------------------------------------------- track alarms


def test_alarms_follow_the_platform_rules_and_truth_names_the_stop_places(worlds):
    w = worlds["lists"]
    folder = w / "inbox" / "track_alarms"
    rows = _table(folder / "联网联控平台_报警明细_20210617-20210630.xlsx", "", 2)
    night = _table(folder / "联网联控平台_夜间行驶报警_20210617-20210630.csv", "gbk", 2)
    truth = _truth(w, "alarms.csv")
    assert len(rows) + len(night) == len(truth) and len(rows) > 20 and len(night) > 3
    stops = [r for r in rows if r["报警类型"] == "异常停车"]
    assert stops and {r["报警类型"] for r in rows} <= {"异常停车", "疲劳驾驶"}
    for r in stops:
        a, b = _when(r["报警开始时间"]), _when(r["报警结束时间"])
        assert _minutes(r["持续时长"]) >= 20 and (b - a).total_seconds() == 60 * _minutes(r["持续时长"]), r
    for r in night:
        a = _when(r["报警开始时间"])
        assert r["报警类型"] == "夜间行驶" and 2 <= a.hour < 5, r
    with_xy = [r for r in rows + night if r["经度"] not in ("", None)]
    assert 0 < len(rows + night) - len(with_xy) < 0.15 * len(rows + night)
    # every stop laid into the tracks raised an 异常停车 of its truck covering its arrival
    st = _truth(w, "stops.csv")
    ta = truth[truth["alarm_type"] == "异常停车"]
    for s in st.itertuples():
        arrive = dt.datetime.fromisoformat(s.arrive).replace(second=0)
        hit = ta[(ta["plate"] == s.plate) & (ta["place_id"] == s.place_id)
                 & (pd.to_datetime(ta["started_at"]) <= arrive) & (pd.to_datetime(ta["ended_at"]) >= arrive)]
        assert len(hit) == 1, s
    # 位置描述: the stop place's own address at number level
    pl = _truth(w, "places.csv").set_index("place_id")
    desc = {(r["车牌号"], _when(r["报警开始时间"])): r["位置描述"] for r in stops}
    checked = 0
    for t in ta[ta["place_id"] != ""].itertuples():
        addr = pl.at[t.place_id, "address"]
        m = re.match(r"福建省晋江市灵源街道(.+?社区)(?:.+?工业区)?(.+?\d+(?:-\d+)?号)", addr)
        if m and pl.at[t.place_id, "kind"] != "厂中厂":
            assert desc[(t.plate, dt.datetime.fromisoformat(t.started_at))] == \
                f"福建省泉州市晋江市灵源街道{m[1]}{m[2]}附近"
            checked += 1
    assert checked > 10


# ---------------------------------------------------------------------------- market office's list


def test_registry_list_is_the_keyword_rule_on_the_registry(worlds):
    w = worlds["lists"]
    files = _truth(w, "files.csv")
    reg = []
    for f in files[files["source"] == "registry"].itertuples():
        for r in _table(w / "inbox" / "registry" / f.file, f.encoding or "utf-8", int(f.title_rows)):
            name = r.get("企业名称") or r.get("名称")
            if not name:
                continue          # the junk row with its name blanked
            reg.append({"uscc": str(r["统一社会信用代码"] or ""), "name": name,
                        "address": r.get("住所") or r.get("经营场所"), "scope": r["经营范围"],
                        "status": r.get("登记状态") or r.get("经营状态")})
    want = {}
    for r in reg:
        if r["status"] in ("注销", "迁出"):
            continue
        # the clerk reads past exclusion clauses: "（不含危险化学品）", "化学危险品除外"
        scope = re.sub(r"[（(][^（()）]*(?:不含|除外)[^（()）]*[)）]|[^；;，,（()）]*除外", "", r["scope"] or "")
        hit = [w_ for w_ in WORDS if w_ in r["name"]][:1] + [w_ for w_ in WORDS if w_ in scope][:1]
        if hit:
            want[r["uscc"] or f"{r['name']}|{r['address']}"] = r
    listed = _table(w / "inbox" / "registry_list" / "市场监管所_涉化工企业排查名单_20210630.xlsx", "", 2)
    got = {(r["统一社会信用代码"] or f"{r['企业名称']}|{r['住所']}"): r for r in listed}
    assert len(listed) == len(got) and got.keys() == want.keys() and len(got) > 20
    for k, r in got.items():
        m = re.findall(r"(名称|经营范围)含“(.+?)”", r["排查原因"])
        assert m and all(word in (r["企业名称"] if part == "名称" else r["经营范围"]) for part, word in m), r
        assert r["排查单位"] in ("灵源市场监管所", "灵源市场监督管理所")
        assert r["排查日期"] in (dt.date(2021, 6, 30), "2021年6月30日")
    mem = _truth(w, "members.csv")
    rl = mem[mem["source"] == "registry_list"].set_index("source_key")["place_id"]
    rg = mem[mem["source"] == "registry"].set_index("source_key")["place_id"]
    assert set(rl.index) == set(got) and (rl == rg.loc[rl.index]).all()


def test_platform_rules_on_a_hand_built_track():
    """One truck, one day: 4 h 30 min of driving with a 10-minute halt (not a rest: still one
    疲劳驾驶), a 25-minute stop at a place, a 15-minute stop (no alarm), a drive at 02:30."""
    from pipeline.simulate.lists import track_alarms
    from pipeline.simulate.tracks import EPOCH

    day0 = (dt.datetime(2021, 6, 20) - EPOCH).total_seconds()
    t, speed = [], []

    def run(start_s, minutes, v):
        for k in range(int(minutes * 2)):
            t.append(int(day0 + start_s + 30 * k))
            speed.append(v)

    run(2.5 * 3600, 20, 40.0)                 # 02:30–02:50 moving: 夜间行驶
    run(8 * 3600, 120, 50.0)                  # 08:00–10:00 driving
    run(10 * 3600, 10, 0.0)                   # 10-minute halt
    run(10 * 3600 + 600, 150, 50.0)           # 10:10–12:40 driving (4 h 40 min since 08:00)
    run(12 * 3600 + 40 * 60, 25, 0.0)         # 25-minute stop at the place: 异常停车
    run(13 * 3600 + 5 * 60, 5, 30.0)
    run(13 * 3600 + 10 * 60, 15, 0.0)         # 15 minutes: below the rule
    place = {"place_id": ["P1"], "address": ["福建省晋江市灵源街道林口社区林口路12号"], "lon": [118.575], "lat": [24.838]}
    tr = pd.DataFrame({"plate": pd.Categorical(["闽C00001"] * len(t)), "t": t, "lon": 118.575, "lat": 24.838,
                       "speed": speed, "heading": 0})
    stops = pd.DataFrame({"plate": ["闽C00001"], "place_id": ["P1"], "kind": ["night"],
                          "arrive": [EPOCH + dt.timedelta(seconds=day0 + 12 * 3600 + 40 * 60)],
                          "depart": [EPOCH + dt.timedelta(seconds=day0 + 13 * 3600 + 5 * 60)]})
    al = track_alarms(tr, stops.astype({"arrive": "datetime64[ns]", "depart": "datetime64[ns]"}), pd.DataFrame(place))
    got = [(a, str(EPOCH + dt.timedelta(seconds=int(s)))[11:16], int((e - s) // 60), p, loc)
           for a, s, e, p, loc in zip(al["alarm_type"], al["t0"], al["t1"], al["place_id"], al["location"])]
    assert got == [
        ("夜间行驶", "02:30", 20, "", "福建省泉州市晋江市灵源街道林口社区林口路12号附近"),
        ("疲劳驾驶", "08:00", 280, "", "福建省泉州市晋江市灵源街道林口社区林口路12号附近"),
        ("异常停车", "12:40", 25, "P1", "福建省泉州市晋江市灵源街道林口社区林口路12号附近"),
    ]
