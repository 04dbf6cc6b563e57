"""Name and address normalisation rules, with real-looking Jinjiang examples."""

from __future__ import annotations

import pytest

from pipeline.link.addresses import cn_to_int, community_patterns, numerals_to_digits, parse_address
from pipeline.link.names import parse_name

PATS = community_patterns(["林口", "张前", "林格", "英塘", "小浯塘", "曾林", "灵水", "大山后", "大布林", "小布林"])


@pytest.mark.parametrize("raw, region, core, trade, form", [
    ("晋江市XX新材料科技有限公司", "晋江市", "XX", "新材料科技", "有限公司"),
    ("XX新材料（晋江）有限公司", "晋江", "XX", "新材料", "有限公司"),
    ("XX新材料", "", "XX", "新材料", ""),
    ("晋江市灵源林口鞋业商行", "晋江市灵源", "林口", "鞋业", "商行"),
    ("福建省晋江市宏达化工有限公司晋江分公司", "福建省晋江市晋江", "宏达", "化工", "有限公司分公司"),
    ("晋江市灵源宏達塑膠製品廠", "晋江市灵源", "宏达", "塑胶制品", "厂"),          # traditional → simplified
    ("晋江市　恒盛（鞋材）股份有限公司", "晋江市", "恒盛", "", "股份有限公司"),     # full-width space
    ("泉州市鑫源贸易有限责任公司", "泉州市", "鑫源", "贸易", "有限责任公司"),
])
def test_name_parts(raw, region, core, trade, form):
    p = parse_name(raw)
    assert (p.region, p.core, p.trade, p.form) == (region, core, trade, form)


def test_core_names_that_must_differ_and_must_agree():
    assert parse_name("晋江市林口鞋业有限公司").core != parse_name("晋江市林格鞋业有限公司").core
    assert parse_name("晋江市XX新材料科技有限公司").core == parse_name("XX新材料（晋江）有限公司").core
    assert parse_name("晋江市灵源宏達塑膠製品廠").core == parse_name("晋江市宏达塑胶制品厂").core


def test_personal_names_are_flagged():
    assert parse_name("张三").is_person
    assert parse_name("欧阳小明").is_person
    assert not parse_name("晋江市林口鞋业有限公司").is_person
    assert not parse_name("林口鞋业").is_person
    assert parse_name("晋江市XX新材料科技有限公司").cover_words == ("科技", "新材料")


def test_chinese_numerals():
    assert cn_to_int("一二三") == 123
    assert cn_to_int("三十五") == 35
    assert cn_to_int("十") == 10
    assert cn_to_int("一百零八") == 108
    assert cn_to_int("12") is None
    assert numerals_to_digits("英塘二组三十五号") == "英塘2组35号"
    assert numerals_to_digits("林口路一二三号") == "林口路123号"


@pytest.mark.parametrize("raw, community, road, number", [
    ("福建省晋江市灵源街道林口社区林口路123号", "林口", "林口路", "123"),
    ("灵源林口村林口路１２３号旁", "林口", "林口路", "123"),
    ("晋江市灵源街道灵水社区灵安路9号", "灵水", "灵安路", "9"),
    ("晋江市灵源小浯塘工业区锦山路16-18号", "小浯塘", "锦山路", "16"),
    ("福建省泉州市晋江市灵源街道林口社区紫华北路115号", "林口", "紫华北路", "115"),
    ("灵源街道办事处英塘村", "英塘", None, None),
    ("晋江灵源英塘", "英塘", None, None),
    ("晋江市灵源街道办事处灵水工业区", "灵水", None, None),
    ("晋江市灵源大布林社区布林路七号", "大布林", "布林路", "7"),
    ("灵源林口路5号", "林口", "林口路", "5"),
    ("晋江市灵源大布林村创业路231后座", "大布林", "创业路", "231"),      # 号 dropped before 后座
    ("福建省泉州市晋江市灵源街道小浯塘社区兴业路226", "小浯塘", "兴业路", "226"),
])
def test_address_parts(raw, community, road, number):
    a = parse_address(raw, PATS)
    assert (a.community, a.road, a.number) == (community, road, number)


def test_same_name_in_another_town_is_not_ours():
    a = parse_address("福建省晋江市安海镇灵水村", PATS)
    assert a.community is None and a.other_town == "安海镇"


def test_qualifier_group_and_building():
    a = parse_address("灵源林口村林口路123号旁", PATS)
    assert a.qualifier == "旁"
    b = parse_address("晋江灵源英塘二组三十五号", PATS)
    assert (b.community, b.group, b.number) == ("英塘", "2", "35")
    c = parse_address("晋江市灵源张前社区张前路8号2栋", PATS)
    assert (c.number, c.building) == ("8", "2栋")
    # 林口 and 林格 are different communities; 小布林 is not 大布林
    assert parse_address("林格社区林格路5号", PATS).community == "林格"
    assert parse_address("灵源小布林村", PATS).community == "小布林"
