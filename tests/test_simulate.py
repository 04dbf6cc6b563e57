"""Tests of the simulator (pipeline/simulate): determinism, truth consistency, the mess."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from pipeline.simulate import simulate
from pipeline.simulate.geo import uscc_valid, wgs84_to_gcj02

KEY_HEADERS = {
    "registry": ("统一社会信用代码",),
    "licenses": ("许可证编号",),
    "power_accounts": ("用户编号", "户号"),
    "waybills": ("运单编号", "电子运单号"),
    "tips": ("举报编号",),
    "sites": ("编号",),
}


def _hash_tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def read_rows(path: Path, encoding: str) -> list[list[str]]:
    """All rows of a written file as the user sees them (row i of the list = Excel row i+1)."""
    if path.suffix == ".xlsx":
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False)
        return [["" if c is None else str(c) for c in r] for r in rows]
    text = path.read_bytes().decode(encoding)
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("demo")
    summary = simulate(out, seed=7, scale="demo")
    return out, summary


@pytest.fixture(scope="module")
def truth(demo):
    out, _ = demo
    t = out / "truth"
    return {
        "places": pd.read_csv(t / "places.csv", dtype=str, keep_default_na=False),
        "members": pd.read_csv(t / "members.csv", dtype=str, keep_default_na=False),
        "mess": pd.read_csv(t / "mess.csv", dtype=str, keep_default_na=False),
        "files": pd.read_csv(t / "files.csv", dtype=str, keep_default_na=False),
        "stops": pd.read_csv(t / "stops.csv", dtype=str, keep_default_na=False),
        "corr": pd.read_csv(t / "readings_corrections.csv", dtype=str, keep_default_na=False),
    }


@pytest.fixture(scope="module")
def parsed(demo, truth):
    """Rows of every written file except the big readings/tracks, keyed by (source, file)."""
    out, _ = demo
    res = {}
    for f in truth["files"].itertuples():
        if f.source in ("power_readings", "tracks"):
            continue
        res[(f.source, f.file)] = read_rows(out / "inbox" / f.source / f.file, f.encoding or "utf-8")
    return res


def test_same_seed_is_byte_identical_and_other_seed_differs(tmp_path):
    a = _hash_tree_after(tmp_path / "a", 3)
    b = _hash_tree_after(tmp_path / "b", 3)
    c = _hash_tree_after(tmp_path / "c", 4)
    assert a == b
    assert set(a) == set(c)
    assert sum(a[k] != c[k] for k in a) >= len(a) - 2      # (README.md is the same text)


def _hash_tree_after(out: Path, seed: int) -> dict[str, str]:
    simulate(out, seed=seed, scale="tiny")
    h = _hash_tree(out)
    assert any(k.startswith("inbox/power_readings/") for k in h)
    return h


def test_refuses_to_write_into_a_real_inbox(tmp_path):
    (tmp_path / "inbox" / "registry").mkdir(parents=True)
    (tmp_path / "inbox" / "registry" / "real.csv").write_text("x", encoding="utf-8")
    with pytest.raises(Exception):
        simulate(tmp_path, seed=1, scale="tiny")
    assert (tmp_path / "inbox" / "registry" / "real.csv").exists()


def test_demo_counts_are_in_the_briefed_ranges(demo):
    _, s = demo
    c = s["counts"]
    assert 2500 <= c["registry"] <= 3500
    assert 4000 <= c["power_accounts"] <= 6000
    assert 30 <= c["licenses"] <= 50
    assert 1500 <= c["waybills"] <= 2500
    assert 40 <= c["tips"] <= 90
    assert 60 <= c["sites"] <= 100
    assert 700_000 <= c["power_readings"] <= 1_000_000
    assert c["tracks"] > 20_000
    assert 35 <= s["planted"] <= 50


def test_all_five_categories_and_lookalikes(truth):
    pl = truth["places"]
    planted = pl[pl["role"] == "planted"]
    assert sorted(planted["category"].unique()) == ["1", "2", "3", "4", "5"]
    assert (planted["category"].value_counts() >= 5).all()
    assert (planted["signals"] != "").all()
    assert (planted["start_day"] != "").all()
    assert (pl.loc[pl["role"] != "planted", "category"] == "").all()
    kinds = set(pl.loc[pl["role"] == "lookalike", "kind"])
    for k in ("night_shift_factory", "bakery", "cold_store", "ev_home", "ramping_factory", "gas_station",
              "licensed_firm"):
        assert k in kinds, k
    # some planted sites show a single signal only
    n_sig = planted["signals"].str.split(";").map(len)
    assert (n_sig <= 2).any()


def test_planted_categories_match_their_records(truth):
    pl, m = truth["places"], truth["members"]
    planted = pl[pl["role"] == "planted"].set_index("place_id")
    src = m.groupby("place_id")["source"].agg(set)
    for pid, row in planted.iterrows():
        s = src.get(pid, set())
        if row["category"] == "1":
            assert {"registry", "licenses"} <= s
        if row["category"] == "3":
            assert "registry" not in s and "licenses" not in s
        if row["category"] == "5":
            assert any(w in row["name"] for w in ("生物", "科技", "新材料"))
        if "tip" in row["signals"].split(";"):
            assert "tips" in s
        if "idle_site" in row["signals"].split(";"):
            assert "sites" in s
        if "waybill" in row["signals"].split(";"):
            assert "waybills" in s
    # 厂中厂: the workshop shares its host's address
    cat4 = planted[planted["category"] == "4"]
    hosts = pl[pl["role"] == "normal"]
    for addr in cat4["address"]:
        assert any(addr.startswith(h) for h in hosts["address"] if len(h) > 15 and h[-1] == "号")


def test_every_member_key_is_in_its_file(truth, parsed):
    m = truth["members"]
    for source, heads in KEY_HEADERS.items():
        keys, pairs = set(), set()
        for (src, _f), rows in parsed.items():
            if src != source:
                continue
            hi = next(i for i, r in enumerate(rows) if any(h in r for h in heads))
            header = rows[hi]
            kc = next(header.index(h) for h in heads if h in header)
            for r in rows[hi + 1:]:
                if len(r) > kc:
                    keys.add(r[kc])
                if source == "registry" and len(r) > 5:
                    pairs.add(f"{r[1]}|{r[5]}")
        want = m.loc[m["source"] == source, "source_key"]
        missing = [k for k in want if k not in keys and k not in pairs]
        assert not missing, (source, missing[:5])
    # and every member belongs to a known place
    assert set(m["place_id"]) <= set(truth["places"]["place_id"])
    assert not m.duplicated(["source", "source_key"]).any()


def test_member_counts_match_file_rows(truth):
    m, f, mess = truth["members"], truth["files"], truth["mess"]
    junk = mess[mess["kind"] == "empty_key"].groupby("source").size()
    rows = f.assign(n=f["data_rows"].astype(int)).groupby("source")["n"].sum()
    for source in KEY_HEADERS:
        assert (m["source"] == source).sum() == rows[source] - junk.get(source, 0), source


def test_formats_and_mess_present(truth):
    f, mess = truth["files"], truth["mess"]
    assert "gbk" in set(f["encoding"])
    assert "utf-8-sig" in set(f["encoding"])
    xlsx = set(f.loc[f["format"] == "xlsx", "source"])
    assert {"registry", "power_accounts"} <= xlsx
    assert (f["title_rows"].astype(int) > 0).any()
    totals = set(f.loc[f["total_row"] != "", "source"])
    assert {"power_readings", "waybills"} <= totals
    assert (f.loc[f["source"] == "power_readings"].shape[0]) >= 3
    for kind in ("bad_date", "negative_number", "non_numeric", "coord_out_of_range", "unknown_enum", "empty_key",
                 "uscc_check_fail"):
        assert kind in set(mess["kind"]), kind
    for source in ("registry", "licenses", "power_accounts", "power_readings", "waybills", "tracks", "tips", "sites"):
        assert source in set(mess["source"]), source
    # broken share per big source stays small (≈0.1–0.5 %)
    n = f.assign(n=f["data_rows"].astype(int)).groupby("source")["n"].sum()
    share = mess[mess["severity"] == "reject"].groupby("source").size() / n
    assert share["power_readings"] < 0.006 and share["registry"] < 0.01


def test_mess_rows_point_at_the_broken_cell(demo, truth, parsed):
    out, _ = demo
    mess = truth["mess"]
    files = truth["files"].set_index("file")
    cache = dict(((f, rows) for (_s, f), rows in parsed.items()))
    sample = pd.concat([g.head(6) for _, g in mess.groupby(["file", "kind"])])
    for r in sample.itertuples():
        if r.file not in cache:
            info = files.loc[r.file]
            cache[r.file] = read_rows(out / "inbox" / r.source / r.file, info["encoding"] or "utf-8")
        rows = cache[r.file]
        hrow = rows[int(files.loc[r.file, "header_row"]) - 1]
        row = rows[int(r.row) - 1]
        assert row[hrow.index(r.column)] == r.value, (r.file, r.row, r.column, r.value, row)


def test_title_header_and_total_rows_where_files_say(demo, truth, parsed):
    out, _ = demo
    for f in truth["files"].itertuples():
        if f.source == "tracks":
            continue
        if f.source == "power_readings":
            rows = read_rows(out / "inbox" / f.source / f.file, f.encoding)
        else:
            rows = parsed[(f.source, f.file)]
        hr = int(f.header_row)
        assert rows[hr - 1][0] in ("统一社会信用代码", "序号", "用户编号", "户号", "运单编号", "电子运单号", "举报编号"), f.file
        body = [r for r in rows[hr:] if any(c != "" for c in r)]
        if f.total_row:
            assert rows[int(f.total_row) - 1][0] == "合计"
            assert len(rows) == int(f.total_row)
            body = body[:-1]
        assert len(body) == int(f.data_rows), f.file


def test_usccs_valid_except_the_listed_ones(truth):
    m, mess = truth["members"], truth["mess"]
    codes = m.loc[(m["source"] == "registry") & ~m["source_key"].str.contains("|", regex=False), "source_key"]
    bad = {c for c in codes if not uscc_valid(c)}
    assert bad == set(mess.loc[mess["kind"] == "uscc_check_fail", "value"])
    assert 2 <= len(bad) <= 3
    no_code = m.loc[(m["source"] == "registry") & m["source_key"].str.contains("|", regex=False)]
    assert len(no_code) > 10


def test_power_coordinates_are_gcj02(truth, parsed):
    pl = truth["places"].set_index("place_id")
    m = truth["members"]
    acc_place = m[m["source"] == "power_accounts"].set_index("source_key")["place_id"]
    rows = parsed[("power_accounts", "安海供电所_用户档案.csv")]
    d = pd.DataFrame([r for r in rows[2:] if len(r) == len(rows[1])], columns=rows[1]).replace("", np.nan).dropna(subset=["户号", "经度", "纬度"])
    d = d[d["户号"].isin(acc_place.index)]
    d = d[pd.to_numeric(d["纬度"], errors="coerce").between(20, 30)]
    assert len(d) > 100
    pid = acc_place[d["户号"]].to_numpy()
    wlon, wlat = pl.loc[pid, "lon"].astype(float).to_numpy(), pl.loc[pid, "lat"].astype(float).to_numpy()
    glon, glat = wgs84_to_gcj02(wlon, wlat)
    err = np.hypot((d["经度"].astype(float) - glon) * 101_000, (d["纬度"].astype(float) - glat) * 111_000)
    raw = np.hypot((d["经度"].astype(float) - wlon) * 101_000, (d["纬度"].astype(float) - wlat) * 111_000)
    assert np.median(err) < 40
    assert np.median(raw) > 300


def test_readings_reexport_and_stops(demo, truth):
    out, _ = demo
    corr = truth["corr"]
    assert len(corr) >= 5
    assert (corr["kwh_old"].astype(float) != corr["kwh_new"].astype(float)).all()
    st, pl = truth["stops"], truth["places"].set_index("place_id")
    night = st[st["kind"] == "night"]
    assert len(night) > 0
    assert (pl.loc[night["place_id"], "role"] == "planted").all()
    truck_sites = pl[(pl["role"] == "planted") & pl["signals"].str.contains("truck_stop")].index
    assert set(truck_sites) <= set(st["place_id"])
    tracks = pd.read_csv(next((out / "inbox" / "tracks").glob("*.csv")), dtype={"车牌号": str}, nrows=50_000)
    assert list(tracks.columns) == ["车牌号", "定位时间", "经度", "纬度", "速度", "方向"]
    ok = tracks["纬度"].between(24, 26)
    assert (tracks.loc[ok, "速度"] == 0).any() and (tracks.loc[ok, "速度"] > 20).any()
