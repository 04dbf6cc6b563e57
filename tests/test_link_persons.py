"""The link stage where records carry a person's name or a short name (issue 11): meters
and waybills in the boss's name, tips naming a firm by a short form, tips naming only a
community. Each case is a handful of inline rows through the real link stage."""

from __future__ import annotations

from pipeline.link import build_premises
from pipeline.link.addresses import community_patterns, parse_address
from pipeline.link.names import parse_name
from tests.stagekit import insert, project_config, stg_db

COMMUNITIES = ["林口", "张前", "林格", "英塘", "小浯塘", "曾林", "灵水", "大山后", "大布林", "小布林"]


def _pid(con, source, key):
    return con.execute("SELECT premises_id FROM premises_members WHERE source = ? AND source_key = ?",
                       [source, key]).fetchone()[0]


def _premises(con, source, key):
    return con.execute(
        "SELECT p.community, p.address FROM premises p JOIN premises_members m USING (premises_id) "
        "WHERE m.source = ? AND m.source_key = ?", [source, key]).fetchone()


def _rule(con, source, key):
    return con.execute("SELECT match_rule FROM premises_members WHERE source = ? AND source_key = ?",
                       [source, key]).fetchone()[0]


def _candidate(con, a: tuple[str, str], b: tuple[str, str]) -> bool:
    return con.execute(
        "SELECT count(*) FROM link_candidates WHERE (source_l, key_l, source_r, key_r) IN ((?, ?, ?, ?), (?, ?, ?, ?))",
        [*a, *b, *b, *a]).fetchone()[0] == 1


# Ordinary firms and homes in the case's communities, so that the model (estimated on the
# records themselves) sees what non-matches look like: firms sharing a head character or a
# road, homes on the same roads. Generated from fixed lists; the cases add their rows.
_ZIHAO = ["鑫源", "鑫达", "华盛", "华联", "永丰", "永兴", "协盛", "嘉隆", "宝泰", "宏昌", "锦远", "荣发"]
_TRADES = ["鞋材", "服饰", "纺织", "五金", "包装", "印刷"]
_PLACES = [("英塘", "英华路"), ("英塘", "英林路"), ("大布林", "张前路"), ("大布林", "布林路"),
           ("小浯塘", "锦山路"), ("林口", "紫华北路")]
_PEOPLE = ["蔡美华", "施少华", "洪伟民", "庄海燕", "颜天赐", "柯玉霞", "丁荣华", "苏宝珠", "曾家豪",
           "龚丽娟", "尤清泉", "邱国平", "杨文彬", "周明辉", "刘建华", "肖秀兰", "王永福", "李金水"]
_BACKGROUND, _BACKGROUND_METERS = [], []
for i in range(36):
    comm, road = _PLACES[i % len(_PLACES)]
    num = 40 + 6 * i
    name = f"晋江市{_ZIHAO[i % 12]}{_TRADES[(i // 12 + i) % 6]}有限公司"
    uscc = f"91350582MA2Y1{i:04d}X"
    _BACKGROUND.append(dict(uscc=uscc, source_key=uscc, name=name, address=f"晋江市灵源街道{comm}社区{road}{num}号",
                            legal_rep=_PEOPLE[i % len(_PEOPLE)]))
    if i % 3 == 0:        # a meter in the firm's name
        _BACKGROUND_METERS.append(dict(account_no=f"35000090{i:02d}", account_name=name,
                                       address=f"{comm}村{road}{num}号", category="一般工商业用电"))
    # a home three numbers along, someone else's
    _BACKGROUND_METERS.append(dict(account_no=f"35000080{i:02d}", account_name=_PEOPLE[(i + 7) % len(_PEOPLE)],
                                   address=f"{comm}社区{road}{num + 3}号", category="居民生活用电"))


def _world(registry=(), meters=(), waybills=(), tips=()):
    con = stg_db()
    insert(con, "stg_registry", [*_BACKGROUND, *registry])
    insert(con, "stg_power_accounts", [*_BACKGROUND_METERS, *meters])
    if waybills:
        insert(con, "stg_waybills", list(waybills))
    if tips:
        insert(con, "stg_tips", list(tips))
    build_premises(con, project_config())
    return con


# ------------------------------------------------------------------ parsing the forms that matter here

def test_person_names_and_bare_trade_names_are_told_apart():
    assert parse_name("陈志强").is_person
    assert parse_name("欧阳明辉").is_person
    assert parse_name("陈志强（租用鑫源厂房）").is_person
    # a 字号 alone, or 字号 + a shortened trade word, is a firm's short name, not a person
    for short in ("凯通", "凯通新材", "鑫源"):
        assert not parse_name(short).is_person, short
    assert parse_name("晋江市凯通新材料有限公司").core == "凯通"


def test_number_qualifiers_keep_the_house_number():
    pats = community_patterns(COMMUNITIES)
    for raw in ("灵源英塘村英华路8号之一", "英塘社区英华路8之2号", "英塘社区英华路8-2号", "英华路8号3栋",
                "晋江灵源英塘英华路8号厂房内"):
        a = parse_address(raw, pats)
        assert (a.road, a.number) == ("英华路", "8"), raw
    # a village address with a 村民小组 and a number, no road
    a = parse_address("晋江市灵源街道英塘村二组35号", pats)
    assert (a.community, a.group, a.number) == ("英塘", "2", "35")


# ------------------------------------------------------------------ business meters in a person's name

_KAITONG = dict(uscc="91350582MA2Y20001K", source_key="91350582MA2Y20001K", name="晋江市凯通新材料有限公司",
                address="晋江市灵源街道英塘社区英华路8号", legal_rep="陈志强")


def test_boss_named_meter_at_a_near_same_address_is_the_firms():
    con = _world(registry=[_KAITONG], meters=[
        # the firm's own meter, and two more in the boss's name: another address form, and
        # one with the community left out and a building qualifier
        dict(account_no="3500000101", account_name="晋江市凯通新材料有限公司", address="英塘社区英华路8号",
             category="一般工商业用电"),
        dict(account_no="3500000102", account_name="陈志强", address="灵源英塘村英华路8号之一",
             category="一般工商业用电"),
        dict(account_no="3500000103", account_name="陈志强", address="英华路8号3栋", category="大工业用电"),
    ])
    firm = _pid(con, "registry", "91350582MA2Y20001K")
    assert _pid(con, "power_accounts", "3500000101") == firm
    assert _pid(con, "power_accounts", "3500000102") == firm
    assert _pid(con, "power_accounts", "3500000103") == firm
    assert _rule(con, "power_accounts", "3500000103") == "legal_rep"


def test_at_a_shared_building_the_legal_rep_decides_whose_meter_it_is():
    con = _world(registry=[
        dict(uscc="91350582MA2Y20003C", source_key="91350582MA2Y20003C", name="晋江市昌安五金有限公司",
             address="晋江市灵源街道大布林社区张前路147号", legal_rep="郑永福"),
        dict(uscc="91350582MA2Y20004D", source_key="91350582MA2Y20004D", name="晋江市锦远贸易商行",
             address="灵源街道办事处大布林村张前路147号", legal_rep="许清泉"),
    ], meters=[
        dict(account_no="3500000201", account_name="许清泉", address="灵源大布林村张前路147-2号",
             category="一般工商业用电"),
        # another person's meter in the same building: neither firm's
        dict(account_no="3500000202", account_name="郑顺利", address="大布林社区张前路147号",
             category="一般工商业用电"),
    ])
    host = _pid(con, "registry", "91350582MA2Y20003C")
    tenant = _pid(con, "registry", "91350582MA2Y20004D")
    assert host != tenant
    assert _pid(con, "power_accounts", "3500000201") == tenant
    stranger = _pid(con, "power_accounts", "3500000202")
    assert stranger not in (host, tenant)


_ALONG_THE_ROAD = [
    dict(account_no="3500000301", account_name="陈志强", address="英塘社区英华路10号",
         category="一般工商业用电"),            # a workshop next door, on the boss's name?
    dict(account_no="3500000302", account_name="陈志强", address="英塘社区英华路12号",
         category="居民生活用电"),              # the boss's home down the road: another door
    dict(account_no="3500000303", account_name="陈志强", address="英塘社区英华路30号",
         category="一般工商业用电"),            # far along the road
]


def test_boss_named_meter_at_another_number_stays_apart_by_default_and_is_offered():
    con = _world(registry=[_KAITONG], meters=_ALONG_THE_ROAD)
    firm = _pid(con, "registry", "91350582MA2Y20001K")
    assert firm not in {_pid(con, "power_accounts", k) for k in ("3500000301", "3500000302", "3500000303")}


def test_with_a_number_gap_the_neighbouring_workshop_joins_but_not_the_dwelling():
    con = stg_db()
    insert(con, "stg_registry", [*_BACKGROUND, _KAITONG])
    insert(con, "stg_power_accounts", [*_BACKGROUND_METERS, *_ALONG_THE_ROAD])
    cfg = project_config()
    cfg.linking["person_link"]["number_gap"] = 4
    build_premises(con, cfg)
    firm = _pid(con, "registry", "91350582MA2Y20001K")
    assert _pid(con, "power_accounts", "3500000301") == firm
    assert _rule(con, "power_accounts", "3500000301") == "legal_rep_near"
    assert _pid(con, "power_accounts", "3500000302") != firm
    assert _pid(con, "power_accounts", "3500000303") != firm


def test_boss_named_meter_on_the_road_without_a_number():
    # the power office wrote the road only ("英林路"); one firm on that road has this boss
    con = _world(registry=[_KAITONG, dict(uscc="91350582MA2Y20002L", source_key="91350582MA2Y20002L",
                                          name="晋江市恒昌鞋材有限公司", address="晋江市灵源街道英塘社区英林路77号",
                                          legal_rep="蔡志明")],
                 meters=[dict(account_no="3500000311", account_name="蔡志明", address="灵源英塘村英林街",
                              category="大工业用电"),
                         # a home without a number in the boss's name: which door is unknown
                         dict(account_no="3500000312", account_name="陈志强", address="英塘社区英华路",
                              category="居民生活用电")])
    assert _pid(con, "power_accounts", "3500000311") == _pid(con, "registry", "91350582MA2Y20002L")
    assert _rule(con, "power_accounts", "3500000311") == "legal_rep_road"
    assert _pid(con, "power_accounts", "3500000312") != _pid(con, "registry", "91350582MA2Y20001K")


def test_a_name_on_a_road_with_two_such_firms_links_to_neither():
    twin = dict(uscc="91350582MA2Y20005Q", source_key="91350582MA2Y20005Q", name="晋江市嘉华服饰有限公司",
                address="晋江市灵源街道英塘社区英华路90号", legal_rep="陈志强")   # another 陈志强
    con = _world(registry=[_KAITONG, twin],
                 meters=[dict(account_no="3500000321", account_name="陈志强", address="英塘村英华路",
                              category="一般工商业用电")])
    m = _pid(con, "power_accounts", "3500000321")
    assert m not in (_pid(con, "registry", "91350582MA2Y20001K"), _pid(con, "registry", "91350582MA2Y20005Q"))


def test_boss_named_home_meter_at_the_firms_own_number_is_the_same_door():
    # a dwelling behind the shop, on the boss's name, at the registered number: the inspector
    # walks through one door; industrial draw on it is the firm's evidence
    con = _world(registry=[_KAITONG], meters=[
        dict(account_no="3500000401", account_name="陈志强", address="英塘村英华路8号", category="居民生活用电"),
    ])
    assert _pid(con, "power_accounts", "3500000401") == _pid(con, "registry", "91350582MA2Y20001K")


def test_two_households_at_one_number_stay_apart():
    con = _world(meters=[
        dict(account_no="3500000501", account_name="王美华", address="小浯塘社区锦山路16号", category="居民生活用电"),
        dict(account_no="3500000502", account_name="柯俊杰", address="小浯塘村锦山路16号", category="居民生活用电"),
    ])
    assert _pid(con, "power_accounts", "3500000501") != _pid(con, "power_accounts", "3500000502")


def test_same_name_in_another_community_is_another_person():
    con = _world(registry=[_KAITONG], meters=[
        dict(account_no="3500000601", account_name="陈志强", address="林口社区英华路8号", category="一般工商业用电"),
    ])
    assert _pid(con, "power_accounts", "3500000601") != _pid(con, "registry", "91350582MA2Y20001K")


# ------------------------------------------------------------------ the same door twice on one list

def test_waybill_consigned_to_the_boss_joins_the_firm():
    con = _world(registry=[_KAITONG], waybills=[
        dict(waybill_no="W101", consignee="陈志强", unload_address="晋江市灵源英塘英华路8号", goods="甲苯"),
        dict(waybill_no="W102", consignee="林秀兰", unload_address="晋江市灵源英塘英华路8号", goods="甲苯"),
    ])
    firm = _pid(con, "registry", "91350582MA2Y20001K")
    assert _pid(con, "waybills", "W101") == firm
    assert _rule(con, "waybills", "W101") == "legal_rep"


def test_waybill_to_another_person_at_a_shared_building_stays_apart():
    con = _world(registry=[
        dict(uscc="91350582MA2Y20003C", source_key="91350582MA2Y20003C", name="晋江市昌安五金有限公司",
             address="晋江市灵源街道大布林社区张前路147号", legal_rep="郑永福"),
        dict(uscc="91350582MA2Y20004D", source_key="91350582MA2Y20004D", name="晋江市锦远贸易商行",
             address="灵源街道办事处大布林村张前路147号", legal_rep="许清泉"),
    ], waybills=[dict(waybill_no="W201", consignee="林秀兰", unload_address="大布林社区张前路147号", goods="丙酮")])
    w = _pid(con, "waybills", "W201")
    assert w not in (_pid(con, "registry", "91350582MA2Y20003C"), _pid(con, "registry", "91350582MA2Y20004D"))


def test_tip_naming_the_firm_by_a_short_form_joins_it():
    con = _world(registry=[_KAITONG], tips=[
        dict(tip_id="T101", subject="凯通新材", content="凯通新材晚上排气，味道很重"),
        dict(tip_id="T102", subject="凯通新材", content="英塘那边凯通新材半夜开工", address="英塘村英华路"),
    ])
    firm = _pid(con, "registry", "91350582MA2Y20001K")
    assert _pid(con, "tips", "T101") == firm
    assert _pid(con, "tips", "T102") == firm


def test_short_name_shared_by_two_firms_is_offered_not_linked():
    con = _world(registry=[
        _KAITONG,
        dict(uscc="91350582MA2Y20009Z", source_key="91350582MA2Y20009Z", name="晋江市凯通新材料科技有限公司",
             address="晋江市灵源街道灵水社区灵安路9号", legal_rep="蔡金水"),
    ], tips=[dict(tip_id="T103", subject="凯通新材", content="凯通新材晚上排气，味道很重")])
    a, b = _pid(con, "registry", "91350582MA2Y20001K"), _pid(con, "registry", "91350582MA2Y20009Z")
    t = _pid(con, "tips", "T103")
    assert t not in (a, b)
    assert _candidate(con, ("tips", "T103"), ("registry", "91350582MA2Y20001K"))
    assert _candidate(con, ("tips", "T103"), ("registry", "91350582MA2Y20009Z"))


# ------------------------------------------------------------------ a tip naming only a community

def test_tip_naming_only_a_community_is_placed_in_it_without_an_address():
    con = _world(tips=[
        dict(tip_id="T201", content="英塘村晚上有刺鼻气味，好几天了"),
        dict(tip_id="T202", content="听说灵源小浯塘一带有人偷偷做化工"),
        dict(tip_id="T203", content="安海镇灵水村有个作坊很臭"),       # another town's 灵水
        dict(tip_id="T204", content="晚上有刺鼻气味"),                   # no place at all
    ])
    assert _premises(con, "tips", "T201") == ("英塘", None)
    assert _premises(con, "tips", "T202") == ("小浯塘", None)
    assert _premises(con, "tips", "T203") == ("未归属社区", None)
    assert _premises(con, "tips", "T204") == ("未归属社区", None)
    # two vague tips are two premises: the community lead is built from them later
    assert len({_pid(con, "tips", k) for k in ("T201", "T202", "T203", "T204")}) == 4


def test_rule_settings_are_validated():
    import copy
    from pathlib import Path

    from pipeline.config import _check_linking

    lk = project_config().linking
    assert _check_linking(lk, Path("linking.yaml")) == []
    bad = copy.deepcopy(lk)
    bad["person_link"]["sources"] = ["power_accounts", "x'); DROP TABLE premises; --"]
    bad["person_link"]["number_gap"] = 2.5
    bad["short_name"]["score"] = 1.5
    errs = _check_linking(bad, Path("linking.yaml"))
    assert len(errs) == 3
    assert any("person_link.sources" in e for e in errs)
    assert any("person_link.number_gap" in e for e in errs)
    assert any("short_name.score" in e for e in errs)


def test_the_bosss_name_on_a_farm_without_a_road_is_not_the_firms():
    con = _world(registry=[_KAITONG], meters=[
        dict(account_no="3500000701", account_name="陈志强", address="晋江市灵源街道英塘社区西山果园",
             category="农业生产用电")])
    assert _pid(con, "power_accounts", "3500000701") != _pid(con, "registry", "91350582MA2Y20001K")


def test_one_character_off_at_the_same_door_is_a_clerks_typo_not_another_business():
    con = _world(registry=[
        dict(uscc="91350582MA2Y20031A", source_key="91350582MA2Y20031A", name="福建富祥体育用品股份有限公司",
             address="晋江市灵源街道小浯塘社区世纪大道222号", legal_rep="林伟民"),
        dict(uscc="91350582MA2Y20032B", source_key="91350582MA2Y20032B", name="晋江市祥源体育用品有限公司",
             address="晋江市灵源街道大山后社区创业路59号", legal_rep="周永福"),
    ], meters=[
        dict(account_no="3500000311", account_name="林韦民", address="晋江市灵源小浯塘村世纪大道222号",
             category="大工业用电"),                                   # the boss's name mistyped
        dict(account_no="3500000312", account_name="晋江市祥元体育用品有限公司",
             address="大山后社区创业路59号", category="一般工商业用电"),  # the firm's name mistyped
        dict(account_no="3500000313", account_name="林伟明", address="晋江市灵源小浯塘村世纪大道230号",
             category="一般工商业用电"),                                   # a near name at another door
    ])
    assert _pid(con, "power_accounts", "3500000311") == _pid(con, "registry", "91350582MA2Y20031A")
    assert _rule(con, "power_accounts", "3500000311") == "legal_rep_typo"
    assert _pid(con, "power_accounts", "3500000312") == _pid(con, "registry", "91350582MA2Y20032B")
    assert _pid(con, "power_accounts", "3500000313") != _pid(con, "registry", "91350582MA2Y20031A")
