"""Scoring rules on a few inline rows through a real DuckDB: the suggested 整治类别 for each of
1–5, the licensed/legit-receiver discount, corroboration, and the licence and trade-use rules
the signals read (a licence end date that contradicts the licence, a use licence, a
registered tenant in another firm's factory, a business resumed on a new meter)."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.link import build_premises
from pipeline.score import score_premises
from pipeline.signals import compute_evidence, prepare, signal_evidence
from tests.stagekit import daily_readings, insert, project_config, stg_db

AS_OF = dt.date(2021, 6, 30)
START = "2021-01-01"


def _run(con):
    cfg = project_config()
    build_premises(con, cfg)
    compute_evidence(con, cfg, 1, AS_OF)
    score_premises(con, cfg, 1, AS_OF)
    return cfg


def _by(con, source, key, what="s.category"):
    return con.execute(
        f"SELECT {what} FROM scores s JOIN premises_members m USING (premises_id) "
        "WHERE m.source = ? AND m.source_key = ?", [source, key]).fetchone()[0]


def _signals(con, source, key):
    return set(r[0] for r in con.execute(
        "SELECT e.signal FROM evidence e JOIN premises_members m USING (premises_id) "
        "WHERE m.source = ? AND m.source_key = ?", [source, key]).fetchall())


def _waybills(prefix, consignee, address, goods, n, kg=20000.0, hour=22, uscc=None):
    return [dict(waybill_no=f"{prefix}{i}", consignee=consignee, consignee_uscc=uscc, unload_address=address,
                 goods=goods, quantity=kg, unit="kg", quantity_kg=kg,
                 depart_at=dt.datetime(2021, 6, 1 + 2 * i, hour, 0)) for i in range(n)]


def test_category_follows_the_shape_for_each_of_1_to_5():
    con = stg_db()
    insert(con, "stg_registry", [
        # 1: a licensed chemical firm taking goods its licence does not name
        dict(uscc="91350582MA2Y000101", source_key="91350582MA2Y000101", name="晋江市灵源永盛化工贸易有限公司",
             address="晋江市灵源街道灵水社区灵安路9号", legal_rep="陈一", status="存续", industry_code="5162",
             scope="危险化学品经营(凭许可证经营)"),
        # 2: a registered garment maker taking night solvent deliveries
        dict(uscc="91350582MA2Y000102", source_key="91350582MA2Y000102", name="晋江市灵源金源服装有限公司",
             address="晋江市灵源街道林格社区林格路5号", legal_rep="林二", status="存续", industry_code="1810",
             scope="服装生产、销售"),
        # 5: a cover name whose registration claims technology services only
        dict(uscc="91350582MA2Y000103", source_key="91350582MA2Y000103", name="晋江市灵源宏达新材料科技有限公司",
             address="晋江市灵源街道英塘社区英华路8号", legal_rep="林三", status="存续", industry_code="7520",
             scope="新材料技术开发、技术服务"),
        # 4: a shoe factory hosting, at its street number, a trading shop registered in its 3号厂房
        dict(uscc="91350582MA2Y000104", source_key="91350582MA2Y000104", name="晋江市灵源丰美鞋业有限公司",
             address="晋江市灵源街道林口社区林口工业区创业路110号", legal_rep="黄四", status="存续",
             industry_code="1952", scope="鞋生产、销售"),
        dict(uscc="92350582MA2Y000105", source_key="92350582MA2Y000105", name="晋江市灵源华龙鞋材商行",
             address="晋江市灵源街道林口社区林口工业区创业路110号3号厂房", legal_rep="杨五", status="存续",
             industry_code="5133", scope="鞋材,化工产品(不含危险化学品)零售"),
    ])
    insert(con, "stg_licenses", [dict(license_no="闽泉危化经字〔2020〕0123号", name="晋江市灵源永盛化工贸易有限公司",
                                      uscc="91350582MA2Y000101", license_type="经营许可", scope="甲苯,丙酮",
                                      valid_from=dt.date(2020, 1, 1), valid_to=dt.date(2022, 12, 31),
                                      address="灵水社区灵安路9号")])
    insert(con, "stg_power_accounts", [
        dict(account_no="3500000103", account_name="晋江市灵源宏达新材料科技有限公司", address="英塘社区英华路8号",
             category="一般工商业用电", status="正常"),
        # 3: an unregistered workshop on a business tariff, alone at its address
        dict(account_no="3500000106", account_name="王六", address="晋江市灵源大布林社区布林路77号",
             category="一般工商业用电", status="正常"),
    ])
    daily_readings(con, "3500000103", START, 181, 20, 0.3, step_day=150, step_kwh=400)
    daily_readings(con, "3500000106", START, 181, 400, 0.2)
    insert(con, "stg_waybills",
           _waybills("A", "永盛化工贸易", "灵水社区灵安路9号", "丁酮", 3, uscc="91350582MA2Y000101")
           + _waybills("B", "金源服装", "晋江市灵源街道林格社区林格路5号", "甲酸甲酯", 3, uscc="91350582MA2Y000102")
           + _waybills("C", "华龙鞋材商行", "晋江市灵源街道林口社区林口工业区创业路110号3号厂房", "二氯甲烷", 3,
                       uscc="92350582MA2Y000105"))
    _run(con)
    assert _by(con, "registry", "91350582MA2Y000101") == 1
    assert _by(con, "registry", "91350582MA2Y000102") == 2
    assert _by(con, "power_accounts", "3500000106") == 3
    assert _by(con, "registry", "92350582MA2Y000105") == 4
    assert "multi_entity" in _signals(con, "registry", "92350582MA2Y000105")
    assert _by(con, "registry", "91350582MA2Y000103") == 5
    # each suggestion says why, in the inspector's words
    notes = {k: _by(con, src, k, "s.category_note") for src, k in (
        ("registry", "91350582MA2Y000101"), ("registry", "91350582MA2Y000102"), ("power_accounts", "3500000106"),
        ("registry", "92350582MA2Y000105"), ("registry", "91350582MA2Y000103"))}
    assert [n[:8] for n in notes.values()] == [f"建议整治类别 {c}" for c in (1, 2, 3, 4, 5)]
    assert "厂中厂" in notes["92350582MA2Y000105"] and "无营业执照" in notes["3500000106"]
    # the host itself received nothing and is not suspect
    assert _by(con, "registry", "91350582MA2Y000104", "s.score") == 0


def test_a_registered_tenant_with_power_only_is_not_a_factory_in_a_factory():
    con = stg_db()
    insert(con, "stg_registry", [
        dict(uscc="91350582MA2Y000201", source_key="91350582MA2Y000201", name="晋江市灵源丰美鞋业有限公司",
             address="晋江市灵源街道林口社区林口工业区创业路110号", legal_rep="黄四", status="存续",
             industry_code="1952", scope="鞋生产、销售"),
        dict(uscc="92350582MA2Y000202", source_key="92350582MA2Y000202", name="晋江市灵源华龙鞋材商行",
             address="晋江市灵源街道林口社区林口工业区创业路110号3号厂房", legal_rep="杨五", status="存续",
             industry_code="5133", scope="鞋材零售"),
    ])
    insert(con, "stg_power_accounts", [dict(account_no="3500000202", account_name="晋江市灵源华龙鞋材商行",
                                            address="晋江市灵源街道林口社区林口工业区创业路110号3号厂房",
                                            category="一般工商业用电", status="正常")])
    daily_readings(con, "3500000202", START, 181, 300, 0.2)
    _run(con)
    assert "multi_entity" not in _signals(con, "registry", "92350582MA2Y000202")


def test_a_business_resumed_on_a_new_meter_keeps_its_own_category():
    con = stg_db()
    insert(con, "stg_registry", [
        dict(uscc="91350582MA2Y000301", source_key="91350582MA2Y000301", name="晋江市灵源凯威服装有限公司",
             address="晋江市灵源街道小布林社区英塘路217号", legal_rep="蔡七", status="吊销",
             industry_code="1810", scope="服装生产、销售"),
    ])
    insert(con, "stg_power_accounts", [
        dict(account_no="3500000301", account_name="晋江市灵源凯威服装有限公司", address="小布林社区英塘路217号",
             category="一般工商业用电", status="暂停"),
        dict(account_no="3500000302", account_name="许八", address="灵源街道办事处小布林村英塘路217号",
             category="一般工商业用电", status="正常", opened=dt.date(2021, 5, 1)),
    ])
    daily_readings(con, "3500000302", "2021-05-02", 60, 900, 0.5)
    _run(con)
    assert "power_status_mismatch" in _signals(con, "power_accounts", "3500000302")
    # the revoked garment maker resumed, not a tenant (4) and not a stranger without a licence (3)
    assert _by(con, "power_accounts", "3500000302") == 2


def test_a_tip_naming_a_firm_by_its_legal_form_is_a_registered_business():
    con = stg_db()
    insert(con, "stg_tips", [
        dict(tip_id="T1", subject="晋江市佳达塑业有限公司", content="晚上偷偷生产胶水，气味刺鼻",
             received_at=dt.datetime(2021, 6, 20, 9, 0)),
        dict(tip_id="T2", content="曾林村山边有人在闲置厂房里偷偷生产，味道很大",
             address="曾林村山边", received_at=dt.datetime(2021, 6, 21, 9, 0)),
    ])
    _run(con)
    assert _by(con, "tips", "T1") == 2
    assert _by(con, "tips", "T2") == 3


def test_a_licence_end_date_that_contradicts_the_licence_is_not_an_expiry():
    con = stg_db()
    rows, lic = [], []
    for i, (no, frm, to) in enumerate([
            ("(闽)WH安许证字〔2021〕0119号", dt.date(2021, 2, 24), dt.date(2021, 2, 28)),   # issued 2021, "ended" 2021
            ("闽泉危化使字〔2021〕0180号", dt.date(2021, 3, 28), dt.date(2021, 2, 28)),     # ends before it starts
            ("(闽)WH安许证字〔2018〕0234号", dt.date(2018, 3, 18), dt.date(2021, 3, 18))]):  # a real 3-year expiry
        key = f"91350582MA2Y00040{i}"
        rows.append(dict(uscc=key, source_key=key, name=f"晋江市灵源永华{i}化学有限公司", status="存续",
                         address=f"晋江市灵源街道林口社区林口路{80 + i}号", legal_rep=f"邱{i}",
                         industry_code="2614", scope="有机化学原料生产,销售"))
        lic.append(dict(license_no=no, name=f"晋江市灵源永华{i}化学有限公司", uscc=key, license_type="安全生产许可",
                        scope="乙酸乙酯,乙酸丁酯", valid_from=frm, valid_to=to, address=f"林口社区林口路{80 + i}号"))
    insert(con, "stg_registry", rows)
    insert(con, "stg_licenses", lic)
    wbs = []
    for i in range(3):
        wbs += _waybills(f"Y{i}-", f"永华{i}化学", f"晋江市灵源街道林口社区林口路{80 + i}号", "乙酸乙酯", 3, hour=10,
                         uscc=f"91350582MA2Y00040{i}")
    insert(con, "stg_waybills", wbs)
    _run(con)
    for i in range(3):      # each firm's waybills are its own (the rule below is not vacuous)
        assert _by(con, "registry", f"91350582MA2Y00040{i}", "premises_id") == _by(con, "waybills", f"Y{i}-0", "premises_id")
    fired = {i: _signals(con, "registry", f"91350582MA2Y00040{i}") for i in range(3)}
    assert fired[0] == set() and fired[1] == set()
    assert {"license_scope", "waybill_unlicensed"} <= fired[2]
    assert _by(con, "registry", "91350582MA2Y000400", "s.discount_note") is None   # no evidence, nothing to discount


def _own_premises(con, groups):
    """Premises holding the given (source, source_key) records, {premises_id: [records]} — the
    licence rules are tested apart from how the link stage would group the records."""
    con.execute("CREATE OR REPLACE TABLE premises (premises_id VARCHAR, name VARCHAR, address VARCHAR, uscc VARCHAR, "
                "community VARCHAR, community_source VARCHAR, lon DOUBLE, lat DOUBLE, coord_precision VARCHAR, "
                "place_id VARCHAR, n_records BIGINT)")
    con.execute("CREATE OR REPLACE TABLE places (place_id VARCHAR, n_premises BIGINT, premises_ids VARCHAR[])")
    con.execute("CREATE OR REPLACE TABLE premises_members (premises_id VARCHAR, source VARCHAR, source_key VARCHAR, "
                "match_score DOUBLE, match_rule VARCHAR)")
    for pid, members in groups.items():
        con.execute("INSERT INTO premises (premises_id, community, place_id, n_records) VALUES (?, '林格', ?, ?)",
                    [pid, "S" + pid, len(members)])
        con.execute("INSERT INTO places VALUES (?, 1, [?])", ["S" + pid, pid])
        for src, key in members:
            con.execute("INSERT INTO premises_members VALUES (?, ?, ?, 1.0, 'own')", [pid, src, key])


def _licence_scope_of_shoe_factory(waybills):
    con = stg_db()
    insert(con, "stg_registry", [
        dict(uscc="91350582MA2Y000501", source_key="91350582MA2Y000501", name="晋江市灵源富邦鞋业有限公司",
             address="晋江市灵源街道张前社区工业路177号", legal_rep="洪九", status="存续", industry_code="1952",
             scope="鞋服生产与销售"),
    ])
    insert(con, "stg_licenses", [dict(license_no="闽泉危化使字〔2019〕0282号", name="晋江市灵源富邦鞋业有限公司",
                                      uscc="91350582MA2Y000501", license_type="使用许可", scope="乙醇,丙酮(使用)",
                                      valid_from=dt.date(2019, 5, 1), valid_to=dt.date(2022, 4, 30),
                                      address="张前社区工业路177号")])
    insert(con, "stg_waybills", waybills)
    _own_premises(con, {"P1": [("registry", "91350582MA2Y000501"), ("licenses", "闽泉危化使字〔2019〕0282号")]
                        + [("waybills", w["waybill_no"]) for w in waybills]})
    cfg = project_config()
    prepare(con, cfg, AS_OF)
    return signal_evidence(con, cfg, "license_scope", AS_OF, night_hours=[[22, 24], [0, 6]])


def test_licence_scope_does_not_hold_a_trades_ordinary_use_against_a_use_licence():
    # daytime drums of shoe-glue solvent: what a shoe factory uses
    drums = _waybills("U", "富邦鞋业", "晋江市灵源街道张前社区工业路177号", "丁酮", 3, kg=1000, hour=10,
                      uscc="91350582MA2Y000501")
    assert len(_licence_scope_of_shoe_factory(drums)) == 0
    # the same drums at night are not ordinary use
    night = _waybills("N", "富邦鞋业", "晋江市灵源街道张前社区工业路177号", "丁酮", 3, kg=1000, hour=23,
                      uscc="91350582MA2Y000501")
    assert _licence_scope_of_shoe_factory(night)["value"].tolist() == ["丁酮"]
    # a night tanker of methyl formate is beyond the licence; the drums still are not
    tanker = _waybills("V", "富邦鞋业", "晋江市灵源街道张前社区工业路177号", "甲酸甲酯", 2, kg=20000, hour=23,
                       uscc="91350582MA2Y000501")
    ev = _licence_scope_of_shoe_factory(drums + tanker)
    assert len(ev) == 1 and ev["value"].iloc[0] == "甲酸甲酯"


def test_a_chemical_maker_holding_a_use_licence_is_not_an_unlicensed_chemical_registration():
    con = stg_db()
    insert(con, "stg_registry", [
        dict(uscc=f"91350582MA2Y00060{i}", source_key=f"91350582MA2Y00060{i}", name=f"晋江市灵源昌华{i}油墨有限公司",
             address=f"晋江市灵源街道林格社区安东路{75 + i}号", legal_rep=f"林{i}", status="存续",
             industry_code="2642", scope="油墨,稀释剂生产,销售") for i in range(3)])
    insert(con, "stg_licenses", [
        dict(license_no="闽泉危化使字〔2020〕0133号", name="晋江市灵源昌华0油墨有限公司", uscc="91350582MA2Y000600",
             license_type="使用许可", scope="甲苯,乙酸乙酯(使用)", valid_from=dt.date(2020, 8, 24),
             valid_to=dt.date(2023, 8, 23), address="林格社区安东路75号"),
        dict(license_no="闽泉危化经字〔2020〕0134号", name="晋江市灵源昌华1油墨有限公司", uscc="91350582MA2Y000601",
             license_type="经营许可", scope="甲苯", valid_from=dt.date(2020, 8, 24),
             valid_to=dt.date(2023, 8, 23), address="林格社区安东路76号"),
    ])
    _own_premises(con, {"P0": [("registry", "91350582MA2Y000600"), ("licenses", "闽泉危化使字〔2020〕0133号")],
                        "P1": [("registry", "91350582MA2Y000601"), ("licenses", "闽泉危化经字〔2020〕0134号")],
                        "P2": [("registry", "91350582MA2Y000602")]})
    cfg = project_config()
    prepare(con, cfg, AS_OF)
    fired = set(signal_evidence(con, cfg, "registry_chemical", AS_OF)["premises_id"])
    # a use licence covers making; a trade licence does not, nor does none
    assert fired == {"P1", "P2"}


def test_tips_about_a_fuel_station_are_discounted_and_corroboration_still_counts():
    con = stg_db()
    insert(con, "stg_tips", [
        dict(tip_id="T1", subject="晋江林格加油站", content="林格社区晋新路205号加油站半夜有油罐车卸油，担心安全",
             address="林格社区晋新路205号", received_at=dt.datetime(2021, 6, 20, 9, 0)),
        dict(tip_id="T2", content="林格社区林格路9号半夜有油罐车卸货，担心安全",
             address="林格社区林格路9号", received_at=dt.datetime(2021, 6, 20, 9, 0)),
    ])
    # a tip at a place that also draws industrial power: two offices agree
    insert(con, "stg_tips", [dict(tip_id="T3", content="林格社区林格路31号半夜有油罐车卸货，担心安全",
                                  address="晋江市灵源林格社区林格路31号", received_at=dt.datetime(2021, 6, 20, 9, 0))])
    insert(con, "stg_power_accounts", [dict(account_no="3500000731", account_name="王十",
                                            address="晋江市灵源林格社区林格路31号", category="居民生活用电",
                                            status="正常")])
    daily_readings(con, "3500000731", START, 181, 8, 0.2, step_day=140, step_kwh=300)
    _run(con)
    station, plain = _by(con, "tips", "T1", "s.score"), _by(con, "tips", "T2", "s.score")
    assert plain > 0 and station == round(plain * 0.5, 1)
    both = con.execute(
        "SELECT s.score, s.families FROM scores s JOIN premises_members m USING (premises_id) "
        "WHERE m.source = 'tips' AND m.source_key = 'T3'").fetchone()
    power_points = con.execute(
        "SELECT sum(e.strength * 25) FROM evidence e JOIN premises_members m USING (premises_id) "
        "WHERE m.source = 'tips' AND m.source_key = 'T3' AND e.signal = 'power_industrial_on_residential'").fetchone()[0]
    assert both[1] >= 2 and both[0] > plain + (power_points or 0)


def test_a_tip_naming_only_a_shared_building_is_split_among_its_tenants():
    con = stg_db()
    firms = [("91350582MA2Y000901", "晋江市灵源丰美鞋业有限公司", ""), ("92350582MA2Y000902", "晋江市灵源华龙鞋材商行", "2号厂房"),
             ("92350582MA2Y000903", "晋江市灵源佳鑫五金商行", "3号厂房"), ("92350582MA2Y000904", "晋江市灵源宏泰包装商行", "4号厂房")]
    insert(con, "stg_registry", [dict(uscc=k, source_key=k, name=n, status="存续", legal_rep=f"王{i}",
                                      address=f"晋江市灵源街道林口社区林口工业区创业路110号{unit}",
                                      industry_code="1952", scope="鞋生产、销售")
                                 for i, (k, n, unit) in enumerate(firms)])
    insert(con, "stg_tips", [dict(tip_id="T1", content="创业路110号晚上有刺鼻气味",
                                  address="林口社区创业路110号", received_at=dt.datetime(2021, 6, 29, 9, 0))])
    cfg = _run(con)
    tip = cfg.scoring["signals"]["tip"]
    own = _by(con, "tips", "T1", "(SELECT strength FROM evidence e WHERE e.premises_id = s.premises_id)")
    assert own == pytest.approx(1.0 / tip["full_weight"], rel=0.02)          # the address itself: whole
    for key, _, _ in firms:                                                  # four tenants share 0.5
        got = _by(con, "registry", key, "(SELECT strength FROM evidence e WHERE e.premises_id = s.premises_id)")
        assert got == pytest.approx(tip["shared_share"] / 4 / tip["full_weight"], rel=0.02)
