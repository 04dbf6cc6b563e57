"""Reading a business scope (经营范围) as sentences, not as a bag of words.

Most Jinjiang scopes that mention chemicals do so to exclude them: "化工产品（不含危险化学品）
销售", "鞋服材料（化学危险品除外）", "橡胶制品（不含危险化学品及易制毒化学品）生产". And making
(生产/制造/加工) is not selling (销售/批发). This module splits a scope into clauses (；;。),
finds in each clause the verbs and the chemical items, drops items that a bracket or a
clause-level "不含…" excludes, and says what the entity claims to make, to sell, and
whether it claims only technology services.
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference" / "chemicals.csv"

MAKE = ("生产", "制造", "加工", "提炼", "合成", "复配", "调配", "分装", "灌装", "炼制", "再生", "回收利用")
SELL = ("销售", "批发", "零售", "经营", "贸易", "进出口", "代理")
SERVICE = ("技术开发", "技术服务", "技术咨询", "技术推广", "技术转让", "研发", "研究", "咨询", "软件", "信息技术")
EXCLUDE = ("不含", "除外", "不得", "除危险", "未经许可不得")
# Generic chemical words (beyond the named chemicals of the lexicon).
GENERIC = ("危险化学品", "化学危险品", "化工原料", "化工产品", "化学品", "化学原料", "化学试剂", "化工",
           "溶剂", "树脂", "涂料", "油墨", "胶粘剂", "粘合剂", "稀释剂", "助剂", "处理剂", "易制毒")

_CLAUSE = re.compile(r"[;；。]|(?:一般项目|许可项目)[:：]")
_BRACKET = re.compile(r"[(（]([^()（）]*)[)）]")


@functools.lru_cache(maxsize=1)
def chemical_words() -> tuple[str, ...]:
    """Named chemicals and their aliases from the shipped lexicon, plus generic words,
    longest first (so 乙酸乙酯 is found before 乙酸)."""
    words = set(GENERIC)
    with open(REFERENCE, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            words.add(row["name"])
            words.update(a for a in (row["aliases"] or "").split(";") if len(a) >= 2)
    return tuple(sorted(words, key=len, reverse=True))


@dataclass
class ScopeReading:
    makes: list[str] = field(default_factory=list)      # chemical items it claims to make
    sells: list[str] = field(default_factory=list)      # chemical items it claims to sell
    excluded: list[str] = field(default_factory=list)   # chemical items it explicitly excludes
    services_only: bool = False                         # every clause is a (technology) service
    makes_anything: bool = False                        # some clause claims production of anything


def _find(text: str, words: tuple[str, ...]) -> list[str]:
    found, rest = [], text
    for w in words:
        if w in rest:
            found.append(w)
            rest = rest.replace(w, "□")
    return found


def read_scope(scope: str | None) -> ScopeReading:
    out = ScopeReading()
    if not scope:
        return out
    text = unicodedata.normalize("NFKC", scope)
    chem = chemical_words()
    clauses = [c for c in _CLAUSE.split(text) if c and c.strip(" ,，、:")]
    service_clauses = 0
    for clause in clauses:
        # an item followed by an excluding bracket is excluded, item and bracket together
        items = re.split(r"[,，、]", clause)
        kept = []
        clause_excludes = any(x in clause for x in EXCLUDE) and not _BRACKET.search(clause)
        for item in items:
            if _BRACKET.search(item) and any(x in b for b in _BRACKET.findall(item) for x in EXCLUDE):
                out.excluded += _find(_BRACKET.sub("", item), chem)
                kept.append("□")
                # "鞋,鞋材,…制造,销售(化学危险品除外)": the bracket on the last item closes the
                # clause, so the chemicals of the whole clause are excluded
                continue
            kept.append(item)
        last_bracket = _BRACKET.findall(clause)
        whole_excluded = clause_excludes or (last_bracket and any(x in last_bracket[-1] for x in EXCLUDE)
                                             and clause.rstrip().endswith((")", "）")))
        body = ",".join(kept)
        words = [] if whole_excluded else _find(_BRACKET.sub("", body), chem)
        if whole_excluded:
            out.excluded += _find(_BRACKET.sub("", clause), chem)
        has_make = any(v in clause for v in MAKE)
        out.makes_anything = out.makes_anything or has_make
        has_sell = any(v in clause for v in SELL)
        if words:
            if has_make:
                out.makes += words
            elif has_sell or not has_make:
                out.sells += words
        if any(v in clause for v in SERVICE) and not has_make and not words:
            service_clauses += 1
    out.services_only = bool(clauses) and service_clauses == len(clauses)
    out.makes = sorted(set(out.makes), key=out.makes.index)
    out.sells = sorted(set(out.sells) - set(out.makes), key=out.sells.index)
    out.excluded = sorted(set(out.excluded), key=out.excluded.index)
    return out
