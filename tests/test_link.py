"""The link stage on small inline worlds: what must link, what must not, decisions, ids."""

from __future__ import annotations

import duckdb
from rapidfuzz.distance import JaroWinkler

from pipeline.link import build_premises
from tests.stagekit import insert, project_config, stg_db


def _pid(con, source, key):
    return con.execute("SELECT premises_id FROM premises_members WHERE source = ? AND source_key = ?",
                       [source, key]).fetchone()[0]


def _place(con, pid):
    return con.execute("SELECT place_id FROM premises WHERE premises_id = ?", [pid]).fetchone()[0]


def _base():
    con = stg_db()
    insert(con, "stg_registry", [
        dict(uscc="91350582MA2Y00001A", source_key="91350582MA2Y00001A", name="晋江市林口鞋业有限公司",
             address="福建省晋江市灵源街道林口社区林口路123号", legal_rep="陈一"),
        dict(uscc="91350582MA2Y00002B", source_key="91350582MA2Y00002B", name="晋江市林格鞋业有限公司",
             address="晋江市灵源林格社区林格路5号", legal_rep="陈二"),
        # host factory and, at the same building, another firm with another boss (厂中厂)
        dict(uscc="91350582MA2Y00003C", source_key="91350582MA2Y00003C", name="晋江市昌安五金有限公司",
             address="晋江市灵源街道大布林社区张前路147号", legal_rep="郑三"),
        dict(uscc="91350582MA2Y00004D", source_key="91350582MA2Y00004D", name="晋江市锦远贸易商行",
             address="灵源街道办事处大布林村张前路147号", legal_rep="许四"),
        # one boss, two companies, one place
        dict(uscc="91350582MA2Y00005E", source_key="91350582MA2Y00005E", name="晋江市锦盛鞋业有限公司",
             address="晋江市灵源街道张前社区张前路193号", legal_rep="洪五"),
        dict(uscc="91350582MA2Y00006F", source_key="91350582MA2Y00006F", name="晋江市锦盛鞋服贸易有限公司",
             address="晋江市灵源街道张前社区张前路193号", legal_rep="洪五"),
        # a firm with its own meter; a stranger's meter in the same building
        dict(uscc="91350582MA2Y00007G", source_key="91350582MA2Y00007G", name="晋江市宏达塑胶有限公司",
             address="晋江市灵源街道英塘社区英华路8号", legal_rep="林六"),
    ])
    insert(con, "stg_power_accounts", [
        dict(account_no="3500000001", account_name="张三", address="灵源林口村林口路１２３号旁",
             category="一般工商业用电"),                                  # boss's meter, no own meter
        dict(account_no="3500000002", account_name="晋江市林格鞋业有限公司", address="林格社区林格路5号",
             category="一般工商业用电"),
        dict(account_no="3500000003", account_name="郑顺利", address="大布林社区张前路147号",
             category="一般工商业用电"),                                  # two entities here: ambiguous
        dict(account_no="3500000004", account_name="晋江市宏达塑胶有限公司", address="英塘村英华路8号",
             category="一般工商业用电"),
        dict(account_no="3500000005", account_name="王五", address="英塘社区英华路8号",
             category="一般工商业用电"),                                  # firm has a meter: someone else
        dict(account_no="3500000006", account_name="柯六", address="林口社区林口路123号",
             category="居民生活用电"),                                    # a dwelling at the factory address
        dict(account_no="3500000007", account_name="陈一", address="林口社区林口路123号",
             category="居民生活用电"),                                    # the boss's own home meter
    ])
    insert(con, "stg_waybills", [
        dict(waybill_no="W1", consignee="宏达塑胶", unload_address="晋江市灵源英塘村英华路8号", goods="甲苯"),
        dict(waybill_no="W2", consignee="晋江市林口鞋业有限公司", consignee_uscc="91350582MA2Y00001A",
             unload_address="林口路123号", goods="丁酮"),
    ])
    insert(con, "stg_tips", [dict(tip_id="T1", content="林格社区林格路5号晚上有怪味")])
    insert(con, "stg_sites", [dict(site_id="S1", site_type="废弃养殖场", address="晋江市安海镇灵水村后山养殖场")])
    return con


def test_what_must_link_and_what_must_not():
    con = _base()
    build_premises(con, project_config())
    shoe = _pid(con, "registry", "91350582MA2Y00001A")
    assert _pid(con, "power_accounts", "3500000001") == shoe            # 林口村…１２３号旁 = 林口社区…123号
    assert _pid(con, "waybills", "W2") == shoe                          # by USCC
    assert _pid(con, "power_accounts", "3500000007") == shoe            # boss's name = legal rep
    assert _pid(con, "power_accounts", "3500000006") != shoe            # another person's home meter
    assert _pid(con, "registry", "91350582MA2Y00002B") != shoe          # 林口鞋业 ≠ 林格鞋业
    assert _pid(con, "power_accounts", "3500000002") == _pid(con, "registry", "91350582MA2Y00002B")
    assert _pid(con, "tips", "T1") == _pid(con, "registry", "91350582MA2Y00002B")   # address in the text
    assert _pid(con, "registry", "91350582MA2Y00005E") == _pid(con, "registry", "91350582MA2Y00006F")
    hongda = _pid(con, "registry", "91350582MA2Y00007G")
    assert _pid(con, "power_accounts", "3500000004") == hongda
    assert _pid(con, "waybills", "W1") == hongda                         # short name, same address
    assert _pid(con, "power_accounts", "3500000005") != hongda           # the firm has its own meter
    assert _place(con, _pid(con, "power_accounts", "3500000005")) == _place(con, hongda)


def test_shared_building_keeps_entities_apart_in_one_place():
    con = _base()
    build_premises(con, project_config())
    host = _pid(con, "registry", "91350582MA2Y00003C")
    other = _pid(con, "registry", "91350582MA2Y00004D")
    meter = _pid(con, "power_accounts", "3500000003")
    assert len({host, other, meter}) == 3
    assert _place(con, host) == _place(con, other) == _place(con, meter)
    n = con.execute("SELECT n_premises FROM places WHERE place_id = ?", [_place(con, host)]).fetchone()[0]
    assert n == 3


def test_other_town_and_community_assignment():
    con = _base()
    build_premises(con, project_config())
    site = _pid(con, "sites", "S1")
    comm = con.execute("SELECT community, coord_precision FROM premises WHERE premises_id = ?", [site]).fetchone()
    assert comm == ("未归属社区", None)       # 安海镇灵水村 is not Lingyuan's 灵水
    assert con.execute("SELECT community FROM premises WHERE premises_id = ?",
                       [_pid(con, "registry", "91350582MA2Y00002B")]).fetchone()[0] == "林格"


def test_analyst_decisions_override_the_model(tmp_path):
    con = _base()
    (tmp_path / "d.csv").write_text(
        "记录A来源,记录A编号,记录B来源,记录B编号,决定,备注\n"
        "电力用户档案,3500000003,市场主体登记,91350582MA2Y00004D,是,现场核实\n"
        "电力用户档案,3500000001,registry,91350582MA2Y00001A,否,不是该厂的表\n"
        "电力用户档案,3500000002,registry,91350582MA2Y00002B,,\n",
        encoding="utf-8-sig")
    cfg = project_config()
    cfg.linking["decisions_dir"] = str(tmp_path)
    build_premises(con, cfg)
    assert _pid(con, "power_accounts", "3500000003") == _pid(con, "registry", "91350582MA2Y00004D")
    assert _pid(con, "power_accounts", "3500000001") != _pid(con, "registry", "91350582MA2Y00001A")
    # the undecided row changes nothing and is not stored as a decision
    assert con.execute("SELECT count(*) FROM link_decisions").fetchone()[0] == 2
    rules = dict(con.execute("SELECT source_key, match_rule FROM premises_members WHERE source='power_accounts'").fetchall())
    assert rules["3500000003"] == "analyst"


def test_ids_stay_when_a_new_week_arrives():
    con = _base()
    cfg = project_config()
    build_premises(con, cfg)
    before = dict(con.execute("SELECT source || ':' || source_key, premises_id FROM premises_members").fetchall())
    insert(con, "stg_power_accounts", [dict(account_no="3500000099", account_name="晋江市林格鞋业有限公司",
                                            address="林格社区林格路5号", category="一般工商业用电")])
    insert(con, "stg_waybills", [dict(waybill_no="W9", consignee="某某化工", unload_address="灵水社区灵安路9号")])
    build_premises(con, cfg)
    after = dict(con.execute("SELECT source || ':' || source_key, premises_id FROM premises_members").fetchall())
    assert {k: after[k] for k in before} == before
    assert after["power_accounts:3500000099"] == after["registry:91350582MA2Y00002B"]


def test_string_similarity_counts_characters_not_bytes():
    # 林口鞋业 / 林格鞋业: one character of four differs
    assert round(JaroWinkler.normalized_similarity("林口鞋业", "林格鞋业"), 3) == 0.85
    con = duckdb.connect()
    assert con.execute("SELECT levenshtein('林口鞋业', '林格鞋业')").fetchone()[0] == 1
    assert round(con.execute("SELECT jaro_winkler_similarity('林口鞋业', '林格鞋业')").fetchone()[0], 3) == 0.85
