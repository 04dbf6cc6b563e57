"""Address parsing: community, road, house number, building and qualifier.

    福建省晋江市灵源街道林口社区林口路123号      → 林口 | 林口路 | 123
    灵源林口村林口路１２３号旁                 → 林口 | 林口路 | 123 | qualifier 旁
    晋江市灵源小浯塘工业区锦山路16-18号         → 小浯塘 | 锦山路 | 16 (range 16-18)
    晋江灵源英塘二组三十五号                    → 英塘 | 二组 | 35
    福建省晋江市安海镇灵水村                    → other town (安海镇): no Lingyuan community

Communities are recognised in all their forms (林口社区/林口村/灵源林口/林口社区居委会);
a town or subdistrict other than Lingyuan before the community name means another place
with the same name. Chinese numerals (一二三号, 三十五号) become digits.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Iterable

from pipeline.link.names import normalise_text

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
           "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_NUM = "零〇一二两三四五六七八九十百千"


def cn_to_int(s: str) -> int | None:
    """一二三 → 123 (digit by digit), 三十五 → 35, 一百零八 → 108; None if not a numeral."""
    if not s or any(ch not in _CN_NUM for ch in s):
        return None
    if not any(ch in _UNITS for ch in s):
        return int("".join(str(_DIGITS[ch]) for ch in s))
    total, cur = 0, 0
    for ch in s:
        if ch in _DIGITS:
            cur = _DIGITS[ch]
        else:
            total += (cur or 1) * _UNITS[ch]
            cur = 0
    return total + cur


_CN_RUN = re.compile(f"[{_CN_NUM}]+(?=[号栋幢座层楼室组弄巷])")


def numerals_to_digits(s: str) -> str:
    """Chinese numerals directly before 号/栋/层/组… become Arabic digits."""
    return _CN_RUN.sub(lambda m: str(cn_to_int(m.group(0))), s)


OTHER_TOWNS = ("安海镇", "安海", "东石镇", "磁灶镇", "陈埭镇", "池店镇", "内坑镇", "永和镇", "英林镇",
               "金井镇", "龙湖镇", "深沪镇", "西滨镇", "紫帽镇", "西园街道", "新塘街道", "罗山街道",
               "梅岭街道", "青阳街道", "凤里街道")
_REGION = re.compile(r"^(中国)?(福建省?)?(泉州市?)?(晋江市?)?")
_LINGYUAN = re.compile(r"^(灵源街道办事处|灵源街道|灵源办事处|灵源)")
_QUALIFIER = re.compile(r"(旁边?|附近|对面|后面|后侧|前面|隔壁|东侧|西侧|南侧|北侧|往[东西南北]\d*米?|内)$")
_ROAD = re.compile(r"([\u4e00-\u9fffA-Za-z0-9]{1,12}?(?:大道|路|街|巷|道|弄|里))(?=\d|$|[^\u4e00-\u9fff])")
# "号" is often dropped: at the end of an address ("兴业路226") or before a part of the
# building ("创业路231后座", "创业路161厂区内")
_NUMBER = re.compile(r"(\d+)(?:[-~至到之](\d+))?(?:号|$|(?=后座|前座|厂区|厂房|仓库|车间|旁|附近|对面|隔壁|[东西南北]侧))")
_GROUP = re.compile(r"(\d+)组")
_BUILDING = re.compile(r"(\d+|[A-Za-z])(栋|幢|座|号楼|号厂房|号仓库)|(\d+)(层|楼)|(\d+)室")
_ZONE = re.compile(r"([\u4e00-\u9fff]{0,6}(?:工业区|工业园区?|开发区|园区))")


@dataclass(frozen=True)
class AddressParts:
    normal: str
    community: str | None
    other_town: str | None
    zone: str | None
    road: str | None
    number: str | None        # first number of a range (16-18号 → 16)
    number_to: str | None
    group: str | None         # 村民小组 (二组)
    building: str | None
    qualifier: str | None     # 旁/附近/对面 … : near, not at
    rest: str | None = None   # what follows region and community words, qualifier removed


def community_patterns(names: Iterable[str], aliases: dict[str, list[str]] | None = None) -> list[tuple[str, str]]:
    """(pattern, community) pairs, longest pattern first."""
    pats = []
    for n in names:
        for p in (f"{n}社区居民委员会", f"{n}社区居委会", f"{n}社区", f"{n}村民委员会", f"{n}村委会",
                  f"{n}村", f"{n}工业区", n, *(aliases or {}).get(n, [])):
            pats.append((p, n))
    return sorted(set(pats), key=lambda x: -len(x[0]))


_ROAD_START = re.compile(r"^(大道|路|街|巷)")
_OTHER = re.compile("^(" + "|".join(sorted(OTHER_TOWNS, key=len, reverse=True)) + ")")


@functools.lru_cache(maxsize=16)
def _pattern_regex(patterns: tuple[tuple[str, str], ...]) -> tuple[re.Pattern, dict[str, str]]:
    """One alternation of every spelling, longest first, so the first match is the longest."""
    ordered = sorted(patterns, key=lambda x: -len(x[0]))
    return re.compile("^(" + "|".join(re.escape(p) for p, _ in ordered) + ")"), dict(ordered)


def parse_address(raw: str | None, patterns: list[tuple[str, str]]) -> AddressParts:
    s = numerals_to_digits(normalise_text(raw))
    rest = _REGION.sub("", s)
    mo = _OTHER.match(rest)
    other = mo.group(1) if mo else None
    if other:
        rest = rest[len(other):]
    ml = _LINGYUAN.match(rest)
    had_lingyuan = bool(ml)
    if ml:
        rest = rest[ml.end():]
    community = None
    if not other:
        rx, name_of = _pattern_regex(tuple(patterns))
        mc = rx.match(rest)
        if mc:
            pat = mc.group(1)
            name = name_of[pat]
            tail = rest[len(pat):]
            # a bare community name only counts when it is not the start of a road name
            # (林口路 is a road in 林口, but the address still needs a community word)
            if pat == name and _ROAD_START.match(tail):
                if had_lingyuan:
                    community = name
            else:
                community = name
                rest = tail
    qual = None
    m = _QUALIFIER.search(rest)
    if m:
        qual, rest = m.group(1), rest[: m.start()]
    rest_text = rest or None
    zone = None
    mz = _ZONE.search(rest)
    if mz and mz.group(1):
        zone = mz.group(1)
        rest = rest.replace(zone, "", 1)
    road = None
    mr = _ROAD.search(rest)
    if mr:
        road = mr.group(1)
    after = rest[mr.end():] if mr else rest
    mn = _NUMBER.search(after)
    mg = _GROUP.search(rest)
    mb = _BUILDING.search(after[mn.end():] if mn else after)
    building = None
    if mb:
        building = mb.group(0)
    return AddressParts(
        normal=s, community=community, other_town=other, zone=zone, road=road,
        number=mn.group(1) if mn else None, number_to=mn.group(2) if mn else None,
        group=mg.group(1) if mg else None, building=building, qualifier=qual, rest=rest_text,
    )


_SUFFIXED = ("社区居民委员会", "社区居委会", "社区", "村民委员会", "村委会", "村", "工业区")


@functools.lru_cache(maxsize=16)
def _text_regex(names: tuple[str, ...]) -> re.Pattern:
    """A community named anywhere in free text: with its 社区/村/工业区 word, or bare right
    after 灵源 or at the very start. A town named just before means another place
    (安海镇灵水村), and a bare name running into a road word is a road (张前路)."""
    alt = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    suf = "|".join(re.escape(s) for s in _SUFFIXED)
    towns = "|".join(re.escape(t) for t in sorted(OTHER_TOWNS, key=len, reverse=True))
    return re.compile(
        rf"(?P<town>{towns})?(?:(?P<a>{alt})(?:{suf})|(?:^|灵源(?:街道办事处|街道|办事处)?)(?P<b>{alt})(?!大道|路|街|巷))")


def community_in_text(text: str | None, names: Iterable[str],
                      aliases: dict[str, list[str]] | None = None) -> str | None:
    """The first Lingyuan community a tip's text names ("英塘村晚上有刺鼻气味" → 英塘);
    None when it names none or only one of another town."""
    home = {n: n for n in names}
    for n, al in (aliases or {}).items():
        home.update({a: n for a in al})
    s = numerals_to_digits(normalise_text(text))
    for m in _text_regex(tuple(sorted(home))).finditer(s):
        if m.group("town"):
            continue
        return home[m.group("a") or m.group("b")]
    return None
