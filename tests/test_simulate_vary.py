"""simulate --vary (issue 11): a family of worlds drawn from documented ranges, and
evaluate-vary's figures on one of them. Tiny scale throughout."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from pipeline.simulate import simulate
from pipeline.simulate import vary as VY

SEED = 9
BILLS = "营销系统_月度电量_201907-202106.csv"
# a harsh world whose builder is the unvaried one's (look-alike counts × 1), so the two can
# be compared record by record
HARSH = {"lookalike": {k: 1.0 for k in VY.LOOKALIKE_KINDS}, "person_meter_share": 0.6,
         "person_meter_landlord": 0.0, "person_meter_residential": 0.4, "name_typo": 0.0,
         "silent_power": 0.4, "silent_tips": 0.0, "silent_transport": 0.0, "silent_registry": 0.0,
         "pre_running_share": 0.5, "intermittent_share": 0.0, "surge_ratio": 4.0,
         "tip_vague": 0.6, "tip_repeat_max": 5}


def _hash_tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _truth(world: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(world / "truth" / name, dtype=str, keep_default_na=False)


def _records(world: Path, source: str) -> pd.DataFrame:
    """Every data row of a source's files, by header as written (truth/files.csv says where
    the header is)."""
    files = _truth(world, "files.csv")
    out = []
    for f in files[files["source"] == source].itertuples():
        path = world / "inbox" / source / f.file
        if f.format == "xlsx":
            rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False)
        else:
            rows = list(csv.reader(io.StringIO(path.read_bytes().decode(f.encoding))))
        hdr = [str(h) for h in rows[int(f.header_row) - 1]]
        for r in rows[int(f.header_row):]:
            if any(c not in ("", None) for c in r) and str(r[0]) not in ("合计", "总计"):
                out.append({h: ("" if v is None else str(v)) for h, v in zip(hdr, r)})
    return pd.DataFrame(out)


def _accounts(world: Path) -> pd.DataFrame:
    df = _records(world, "power_accounts")
    no = df["用户编号"].where(df["用户编号"].fillna("") != "", df["户号"]) if "户号" in df else df["用户编号"]
    name = df["用户名称"].where(df["用户名称"].fillna("") != "", df["户名"]) if "户名" in df else df["用户名称"]
    cat = df["用电类别"].where(df["用电类别"].fillna("") != "", df["用户类别"]) if "用户类别" in df else df["用电类别"]
    return pd.DataFrame({"account_no": no, "name": name, "category": cat}).query("account_no != ''")


@pytest.fixture(scope="module")
def worlds(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("vary")
    simulate(root / "base", seed=SEED, scale="tiny", shape="mixed")
    simulate(root / "harsh", seed=SEED, scale="tiny", shape="mixed", vary=True, vary_overrides=HARSH)
    return {"base": root / "base", "harsh": root / "harsh"}


def test_same_seed_same_bytes_other_seed_other_parameters_all_in_their_ranges(tmp_path):
    simulate(tmp_path / "a", seed=3, scale="tiny", vary=True)
    simulate(tmp_path / "b", seed=3, scale="tiny", vary=True)
    simulate(tmp_path / "c", seed=4, scale="tiny", vary=True)
    assert _hash_tree(tmp_path / "a") == _hash_tree(tmp_path / "b")
    pa = json.loads((tmp_path / "a" / "truth" / "vary.json").read_text(encoding="utf-8"))["params"]
    pc = json.loads((tmp_path / "c" / "truth" / "vary.json").read_text(encoding="utf-8"))["params"]
    assert VY.in_ranges(pa) == [] and VY.in_ranges(pc) == []
    differ = [k.name for k in VY.KNOBS if pa[k.name] != pc[k.name]]
    assert len(differ) >= len(VY.KNOBS) - 2, differ          # an integer knob may coincide
    assert pa["trades"] != pc["trades"] and pa["lookalike"] != pc["lookalike"]
    assert _hash_tree(tmp_path / "a" / "inbox") != _hash_tree(tmp_path / "c" / "inbox")


def test_every_knob_is_documented_with_its_range():
    doc = VY.__doc__
    for k in VY.KNOBS:
        lo = f"{k.lo:g}" if k.integer or k.lo != int(k.lo) else f"{int(k.lo)}"
        row = next((ln for ln in doc.splitlines() if ln.startswith(f"| {k.name} |")), None)
        assert row is not None, k.name
        assert lo in row.split("|")[2], (k.name, row)
    for k in VY.TRADE_KNOBS:
        assert f"| trades.<t>.{k.name} |" in doc
    assert "| lookalike.<kind> | 0.5 – 2 |" in doc


def test_overrides_outside_the_documented_range_are_refused():
    with pytest.raises(ValueError, match="person_meter_share"):
        VY.draw(1, {"person_meter_share": 0.9})
    with pytest.raises(ValueError, match="unknown"):
        VY.draw(1, {"no_such_knob": 0.1})
    # pinning one knob leaves every other drawn value as it was
    a, b = VY.draw(1), VY.draw(1, {"night_gap": 0.1})
    assert b["night_gap"] == 0.1 and {k: v for k, v in a.items() if k != "night_gap"} == \
        {k: v for k, v in b.items() if k != "night_gap"}


def test_unvaried_world_has_no_vary_truth(worlds):
    assert not (worlds["base"] / "truth" / "vary.json").exists()
    assert "varied world" not in (worlds["base"] / "truth" / "README.md").read_text(encoding="utf-8")


def test_person_named_meters_belong_to_the_business_place(worlds):
    base, harsh = _accounts(worlds["base"]), _accounts(worlds["harsh"])
    reg = _records(worlds["base"], "registry")
    rep_col = reg["法定代表人"].where(reg["法定代表人"].fillna("") != "", reg.get("经营者"))
    name_col = reg["企业名称"].where(reg["企业名称"].fillna("") != "", reg.get("名称"))
    mem = _truth(worlds["base"], "members.csv")
    place_of_acc = mem[mem["source"] == "power_accounts"].set_index("source_key")["place_id"]
    hmem = _truth(worlds["harsh"], "members.csv")
    h_place_of_acc = hmem[hmem["source"] == "power_accounts"].set_index("source_key")["place_id"]
    firms = set(name_col)
    # meters the unvaried world writes in the firm's name, still present in the harsh world
    firm_named = base[base["name"].isin(firms)].merge(harsh, on="account_no", suffixes=("", "_h"))
    assert len(firm_named) > 150
    renamed = firm_named[firm_named["name_h"] != firm_named["name"]]
    share = len(renamed) / len(firm_named)
    assert 0.5 <= share <= 0.7, share
    # each renamed meter now carries the name of its firm's 法定代表人/经营者 …
    rep_of_firm = dict(zip(name_col, rep_col))
    assert (renamed["name_h"] == renamed["name"].map(rep_of_firm)).all()
    # … and truth still puts it at the business's place
    assert (renamed["account_no"].map(h_place_of_acc) == renamed["account_no"].map(place_of_acc)).all()
    res = renamed[renamed["category_h"].isin(["居民生活用电", "城乡居民生活用电"])]
    assert 0 < len(res) < len(renamed)


def test_silent_places_have_no_power_record_and_no_power_signal(worlds):
    vj = json.loads((worlds["harsh"] / "truth" / "vary.json").read_text(encoding="utf-8"))
    silent = vj["applied"]["silent"]["power"]
    assert len(silent) >= 8                                   # 0.4 of 41 planted places
    mem = _truth(worlds["harsh"], "members.csv")
    pa = set(mem.loc[mem["source"].isin(["power_accounts", "power_readings", "power_surge_list"]), "place_id"])
    assert not set(silent) & pa
    places = _truth(worlds["harsh"], "places.csv").set_index("place_id")
    for pid in silent:
        assert not set(places.at[pid, "signals"].split(";")) & VY.POWER_SIGNALS, pid
    # and those places had power records in the unvaried world
    bmem = _truth(worlds["base"], "members.csv")
    assert set(silent) & set(bmem.loc[bmem["source"] == "power_accounts", "place_id"])


def _bills(world: Path) -> pd.DataFrame:
    rows = list(csv.reader(io.StringIO((world / "inbox" / "power_readings" / BILLS).read_bytes().decode("gbk"))))
    hdr = rows[2]
    df = pd.DataFrame([r for r in rows[3:] if r and r[0] != "合计"], columns=hdr)
    return pd.DataFrame({"account_no": df["户号"].str.zfill(10), "ym": df["电费年月"].astype(int),
                         "kwh": df["总电量(kWh)"].astype(float)})


def test_pre_running_workshop_has_no_change_point_but_a_step_in_its_monthly_history(worlds):
    vj = json.loads((worlds["harsh"] / "truth" / "vary.json").read_text(encoding="utf-8"))
    pre = vj["applied"]["pre_running"]
    places = _truth(worlds["harsh"], "places.csv").set_index("place_id")
    mem = _truth(worlds["harsh"], "members.csv")
    bills = _bills(worlds["harsh"])
    checked = 0
    for pid in pre:
        start = dt.date.fromisoformat(places.at[pid, "start_day"])
        assert start < dt.date(2021, 1, 1)
        sig = set(places.at[pid, "signals"].split(";"))
        assert "power_level" in sig and "power_surge" not in sig
        accs = set(mem.loc[(mem["place_id"] == pid) & (mem["source"] == "power_accounts"), "source_key"])
        b = bills[bills["account_no"].isin(accs)].groupby("ym")["kwh"].sum()
        before = start.year * 100 + start.month
        earlier = [m for m in b.index if m < before - 1 and m >= 201907]
        if not earlier or b.get(202103, 0) < 3000:
            continue                    # opened only at its start, or too small to read
        window = b[[m for m in (202103, 202104, 202105, 202106) if m in b.index]]
        assert window.max() / window.min() < 1.5, (pid, window.to_dict())        # no change point
        assert b[earlier].mean() < 0.6 * window.mean(), (pid, b.to_dict())       # but a step before
        checked += 1
    assert checked >= 2, (pre, checked)


def test_repeated_vague_tips_name_only_the_community_and_belong_to_the_place(worlds):
    tips = _records(worlds["harsh"], "tips")
    mem = _truth(worlds["harsh"], "members.csv")
    place_of = mem[mem["source"] == "tips"].set_index("source_key")["place_id"]
    places = _truth(worlds["harsh"], "places.csv").set_index("place_id")
    tips["place_id"] = tips["举报编号"].map(place_of)
    assert tips["place_id"].notna().all()
    vague = tips[(tips["被举报地址"] == "") & (tips["被举报单位"] == "")
                 & tips["place_id"].map(places["role"]).eq("planted")]
    assert len(vague) >= 5
    for r in vague.itertuples():
        assert places.at[r.place_id, "community"] in r.举报内容
    per_place = vague.groupby("place_id").size()
    assert per_place.max() >= 2                # several people reporting the same vague place
    vj = json.loads((worlds["harsh"] / "truth" / "vary.json").read_text(encoding="utf-8"))
    assert vj["applied"]["repeat_tips"] >= 1


def test_intermittent_duty_cycle_in_the_daily_readings():
    from pipeline.simulate.power import readings_block
    from pipeline.simulate.world import N_DAYS, P_FACTORY

    acc = pd.DataFrame([{"start": 0, "ramp": 0, "lvl0": 10.0, "lvl1": 1000.0, "wk0": 0, "wk1": 0,
                         "prof": P_FACTORY, "cny": False, "noise": 0.01, "v0": 0.1, "p0": 0.45,
                         "v1": 0.3, "p1": 0.3, "ev": 0, "zero": False, "open_idx": -1, "close_idx": N_DAYS,
                         "duty_period": 10, "duty_on": 4, "duty_phase": 3}])
    ai, di, peak, flat, valley, total = readings_block(acc, np.random.default_rng(0))
    high = di[total > 500]
    low = di[(total > 0) & (total < 50)]
    assert set(high.tolist()) == {d for d in di.tolist() if (d + 3) % 10 < 4}
    assert len(low) > len(high)
    # on days, the workshop's valley share
    on = total > 500
    assert np.allclose(valley[on] / total[on], 0.3, atol=0.01)


def test_short_names_typos_and_address_forms():
    assert VY.short_name("晋江市凯通新材料有限公司") == "凯通新材"
    assert VY.short_name("晋江市灵源鑫华加油站有限公司") == "鑫华加油站"
    rng = np.random.default_rng(0)
    t = VY.typo("晋江市凯通新材料有限公司", rng)
    assert t != "晋江市凯通新材料有限公司" and len(t) >= len("晋江市凯通新材料有限公司") - 2
    p = {k.name: 0.0 for k in VY.KNOBS}
    a = "晋江市灵源街道英塘社区灵安路9号"
    assert VY.vary_address(a, p, rng) == a
    assert VY.vary_address(a, {**p, "addr_number_missing": 1.0}, rng) == "晋江市灵源街道英塘社区灵安路"
    assert VY.vary_address(a, {**p, "addr_hao_drop": 1.0}, rng) == "晋江市灵源街道英塘社区灵安路9"
    assert VY.vary_address(a, {**p, "addr_cun_swap": 1.0}, rng) == "晋江市灵源街道英塘村灵安路9号"
    assert VY.vary_address(a, {**p, "addr_road_alias": 1.0}, rng) == "晋江市灵源街道英塘社区灵安街9号"
    assert VY.vary_address(a, {**p, "addr_prefix_drop": 1.0}, rng) in ("灵源街道英塘社区灵安路9号", "英塘社区灵安路9号")


def test_a_tiny_varied_world_screens_and_its_figures_are_sane(tmp_path):
    from pipeline.evaluate_vary import evaluate_vary, summary_rows, table_lines, write_figures

    rows = evaluate_vary(tmp_path / "work", worlds=1, seed0=21, scale="tiny",
                         overrides={"silent_power": 0.4, "person_meter_share": 0.6})
    assert len(rows) == 1 and rows[0]["error"] == "", rows[0]["error"]
    r = rows[0]
    for k in ("recall@5%", "category_accuracy", "link_f1", "cross_f1", "pa_reg_recall", "pa_reg_f1"):
        assert 0.0 <= r[k] <= 1.0, (k, r[k])
    assert 0 <= r["found@50"] <= r["n_planted"] == 41
    assert 0 <= r["no_evidence"] <= r["n_planted"]
    s = summary_rows(rows)
    assert s["worst"]["recall@5%"] == r["recall@5%"] and s["mean"]["found@50"] == r["found@50"]
    lines = table_lines(rows, s)
    assert len(lines) == 1 + 1 + 2 and lines[-2].startswith("最差情况")
    csv_path, json_path = write_figures(tmp_path / "work", rows, s)
    df = pd.read_csv(csv_path, encoding="utf-8-sig", dtype={"seed": str})
    assert df["seed"].tolist() == ["21", "worst", "mean"]
    assert json.loads(json_path.read_text(encoding="utf-8"))["worlds"][0]["seed"] == 21
