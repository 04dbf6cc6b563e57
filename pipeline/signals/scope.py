"""Reading a business scope (经营范围) as sentences, not as a bag of words.

Most scopes that mention chemicals do so to exclude them: "化工产品（不含危险化学品）销售",
"鞋服材料（化学危险品除外）", "橡胶制品（不含危险化学品及易制毒化学品）生产". Making
(生产/制造/调配/充装) is not selling (销售/批发). And a string test trips on compound words:
化工 inside 园林绿化工程, 化学 in 化学药制剂, 柴油 in 柴油机, 树脂 in 树脂工艺品.

The words come from `configs/chemical_words.yaml` (products, processes and word traps, with
whether a sale of each counts) and the named chemicals of data/reference/chemicals.csv.

A scope is split into clauses (；;。 and "1、…2、…" numbering), a clause into items (、，,),
brackets kept with their item. Each item takes the verbs written in it ("涂料生产",
"销售化工产品"); an item without its own verb takes the verb of the run it belongs to:
"生产、销售：A、B" (header), "生产A、B、C" (a leading verb carries forward), "A、B、C生产、
销售" (a trailing verb carries back). An item whose bracket excludes hazardous chemicals
("（不含危险化学品）", "（化学危险品除外）") claims nothing, except that making a product
(a water-based paint, a glue) is still making it; a bracket after the clause's verbs, or a
closing "以上…不含危险化学品", excludes the whole clause or scope.
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "data" / "reference" / "chemicals.csv"
LEXICON = ROOT / "configs" / "chemical_words.yaml"

# 合成 is left out: in a scope it is an adjective (合成革, 合成树脂, 合成复合肥料), not a verb
MAKE = ("生产", "制造", "加工", "提炼", "复配", "调配", "配制", "分装", "灌装", "充装", "炼制", "再生",
        "回收利用", "制备", "提纯", "精制", "研制", "混配")
SELL = ("销售", "批发", "零售", "经营", "贸易", "进出口", "代理", "批零", "代销", "代购", "购销", "经销",
        "供应", "配送", "兼营", "出口", "进口")
# phrases holding a verb that claim nothing ("农业生产资料" is a trade good, "本企业生产所需的
# 原辅材料" the boilerplate of an import licence)
NOT_VERBS = ("生产资料", "生产所需", "生产设备", "生产线", "生产技术", "安全生产", "生产许可", "生产经营",
             "自产", "生产企业", "加工贸易", "来料加工", "进料加工", "不再分装", "生产服务", "农业生产")
SERVICE = ("技术开发", "技术服务", "技术咨询", "技术推广", "技术转让", "研发", "研究", "咨询", "软件", "信息技术")
EXCLUDE = ("不含", "除外", "不得", "不包含", "不包括", "禁止", "除")
# an exclusion is about chemicals only when it names them; "（国家限定公司经营的商品除外）" is not
HAZARD = ("危险", "危化", "化危", "化学", "易燃", "易爆", "易制", "剧毒", "监控", "成品油", "爆炸", "毒害", "溶剂")

_CLAUSE = re.compile(r"[;；。]|(?:一般项目|许可项目|一般经营项目|许可经营项目)[:：]"
                     r"|(?<![0-9０-９])[0-9０-９]{1,2}[、.．](?![0-9０-９])"
                     r"|[（(][一二三四五六七八九十]{1,2}[)）]")
_SPLIT = re.compile(r"[,，、/]")
_FILLER = re.compile(r"^(?:从事|专业|承接|以上|各类|各种|一般|许可|兼营)+|(?:业务|活动|的|及|和|与|等|类|产品|兼营)+$")


@dataclass(frozen=True)
class Lexicon:
    words: tuple[str, ...]            # every chemical word, longest first
    group: dict                       # word -> group name
    sale_groups: frozenset            # groups whose sale is a claim
    keep_groups: frozenset            # groups whose making survives an exclusion bracket
    traps: tuple[str, ...]            # compound words that are not chemicals, longest first
    material_words: frozenset
    material_heads: tuple[str, ...]


def lexicon_errors(data, path) -> list[str]:
    """What is wrong with a chemical_words.yaml (Chinese, for the analyst); [] when it is usable."""
    errs: list[str] = []
    groups = data.get("groups") if isinstance(data, dict) else None
    if not isinstance(groups, dict) or not groups:
        return [f"{path}：缺少 groups（化学品词组）"]
    seen: dict[str, str] = {}
    for name, g in groups.items():
        if not isinstance(g, dict):
            errs.append(f"{path}：词组 {name} 应包含 words 和 sale")
            continue
        unknown = sorted(set(g) - {"words", "sale", "keeps_make_when_excluded"})
        if unknown:
            errs.append(f"{path}：词组 {name} 有不认识的设置 {'、'.join(unknown)}（可用：words、sale、keeps_make_when_excluded）")
        words = g.get("words")
        if not isinstance(words, list) or not words or not all(isinstance(w, str) and len(w) >= 2 for w in words):
            errs.append(f"{path}：词组 {name} 的 words 应是至少两个字的词组成的列表，现为 {words!r}")
            words = []
        for key in ("sale", "keeps_make_when_excluded"):
            if key in g and not isinstance(g[key], bool):
                errs.append(f"{path}：词组 {name} 的 {key} 应为 true 或 false，现为 {g[key]!r}")
        if "sale" not in g:
            errs.append(f"{path}：词组 {name} 缺少 sale（销售是否算涉化工）")
        for w in words:
            if w in seen and seen[w] != name:
                errs.append(f"{path}：词“{w}”同时出现在词组 {seen[w]} 和 {name} 中")
            seen[w] = name
    for key in ("traps", "material_words", "material_heads"):
        v = data.get(key, [])
        if not isinstance(v, list) or not all(isinstance(w, str) and len(w) >= 2 for w in v):
            errs.append(f"{path}：{key} 应是至少两个字的词组成的列表，现为 {v!r}")
    traps = set(data.get("traps") or []) if isinstance(data.get("traps"), list) else set()
    for w in sorted(traps & set(seen)):
        errs.append(f"{path}：词“{w}”既是化学品词又是排除词（traps）")
    return errs


@functools.lru_cache(maxsize=8)
def load_lexicon(path: str | Path = LEXICON) -> Lexicon:
    """The product lexicon and traps of `path`, plus the named chemicals of the reference list."""
    from pipeline.errors import ConfigError

    path = Path(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    errs = lexicon_errors(data, path)
    if errs:
        raise ConfigError("配置有误：\n  - " + "\n  - ".join(errs))
    group: dict[str, str] = {}
    sale, keep = {"named"}, set()
    with open(REFERENCE, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for w in [row["name"], *(a for a in (row["aliases"] or "").split(";") if len(a) >= 2)]:
                group[w] = "named"
    for name, g in data["groups"].items():
        for w in g["words"]:
            group[w] = name          # the lexicon's grouping wins over the reference list's
        if g.get("sale"):
            sale.add(name)
        if g.get("keeps_make_when_excluded"):
            keep.add(name)
    by_len = lambda ws: tuple(sorted(set(ws), key=lambda w: (-len(w), w)))  # noqa: E731
    return Lexicon(by_len(group), group, frozenset(sale), frozenset(keep), by_len(data.get("traps") or []),
                   frozenset(data.get("material_words") or []), tuple(data.get("material_heads") or []))


def chemical_words() -> tuple[str, ...]:
    """Every chemical word of the default lexicon, longest first."""
    return load_lexicon().words


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


def untrap(text: str, lex: Lexicon) -> str:
    """`text` with every trap compound (绿化工程, 柴油机, 树脂工艺品 …) blanked out."""
    for t in lex.traps:
        if t in text:
            text = text.replace(t, "□")
    return text


def named_words(name: str | None, words, lex: Lexicon | None = None) -> list[str]:
    """Which of `words` a firm's name holds, traps aside (化工机械厂 is not a 化工 firm)."""
    if not name:
        return []
    text = untrap(unicodedata.normalize("NFKC", name), lex or load_lexicon())
    return [w for w in words if w in text]


def _excludes(text: str) -> bool:
    return any(x in text for x in EXCLUDE) and any(h in text for h in HAZARD)


def _protect(clause: str) -> tuple[str, list[str]]:
    """Brackets (nested, or left open at the end) replaced by ⟦i⟧, so that the 、 inside
    "（不含危险化学品、易制毒化学品）" does not split an item."""
    out, brackets, depth, cur = [], [], 0, []
    for ch in clause:
        if ch in "(（[【":
            if depth == 0:
                cur = []
            else:
                cur.append(ch)
            depth += 1
        elif ch in ")）]】" and depth:
            depth -= 1
            if depth == 0:
                out.append(f"⟦{len(brackets)}⟧")
                brackets.append("".join(cur))
            else:
                cur.append(ch)
        elif depth:
            cur.append(ch)
        else:
            out.append(ch)
    if depth:
        out.append(f"⟦{len(brackets)}⟧")
        brackets.append("".join(cur))
    return "".join(out), brackets


def _verbs(text: str) -> tuple[set, set, str, str]:
    """Make and sell verbs of an item, its kind (prefix/suffix/verbonly/none) and its object."""
    t = text
    for p in NOT_VERBS:
        t = t.replace(p, "□")
    spans = []
    for v in sorted(MAKE + SELL, key=len, reverse=True):
        start = 0
        while (i := t.find(v, start)) >= 0:
            if not any(a < i + len(v) and i < b for a, b, _ in spans):
                spans.append((i, i + len(v), v))
            start = i + 1
    spans.sort()
    make = {v for _, _, v in spans if v in MAKE}
    sell = {v for _, _, v in spans if v in SELL}
    obj = t
    for _, _, v in spans:
        obj = obj.replace(v, " ")
    core = _FILLER.sub("", obj.replace(" ", "").replace("□", "").strip(" :：;；-—"))
    if not spans:
        return make, sell, "none", core
    if not core:
        return make, sell, "verbonly", core
    lead = _FILLER.sub("", t[: spans[0][0]]).strip(" □:：")
    return make, sell, ("prefix" if not lead else "suffix"), core


def read_scope(scope: str | None, lexicon: Lexicon | None = None) -> ScopeReading:
    out = ScopeReading()
    if not scope:
        return out
    lex = lexicon or load_lexicon()
    text = untrap(unicodedata.normalize("NFKC", scope), lex)
    clauses = [c for c in _CLAUSE.split(text) if c and c.strip(" ,，、:：*")]
    service_clauses = 0
    scope_excluded = False
    readings = []                                  # (word, make?, excluded?) over the whole scope
    for clause in clauses:
        body, brackets = _protect(clause)
        # a clause that only says "以上…不含危险化学品" excludes everything before it
        if any(b.lstrip().startswith("以上") and _excludes(b) for b in [body, *brackets]):
            scope_excluded = True
        head_make, head_sell = set(), set()
        m = re.match(r"^([^:：⟦]{1,16})[:：]", body)
        if m:
            hm, hs, kind, _ = _verbs(m.group(1))
            if kind == "verbonly":
                head_make, head_sell, body = hm, hs, body[m.end():]
        items = [i for i in _SPLIT.split(body) if i.strip()]
        toks = []
        for item in items:
            marks = [int(x) for x in re.findall(r"⟦(\d+)⟧", item)]
            plain = re.sub(r"⟦\d+⟧", "", item)
            excl = any(_excludes(brackets[k]) for k in marks)
            # "除危险化学品外的化工产品", "化工产品不含危险化学品"
            cut = re.search(r"除[^外]{0,20}外|不含.*$|不包[含括].*$", plain)
            if cut and _excludes(cut.group(0)):
                excl, plain = True, plain[: cut.start()] + plain[cut.end():]
            mk, sl, kind, core = _verbs(plain)
            toks.append({"make": mk, "sell": sl, "kind": kind, "core": core, "excl": excl,
                         "words": _find(plain, lex.words)})
        # a verb-only item joins the verbs of its neighbour: "A生产、销售" / "生产、销售B"
        for i, t in enumerate(toks):
            if t["kind"] != "verbonly":
                continue
            if i > 0 and toks[i - 1]["kind"] in ("suffix", "none"):
                # "A、B生产、销售", "A、B研发、生产": the verbs close the run before them
                toks[i - 1]["make"] |= t["make"]
                toks[i - 1]["sell"] |= t["sell"]
                toks[i - 1]["kind"] = "suffix"
            elif i + 1 < len(toks) and toks[i + 1]["kind"] in ("prefix", "verbonly", "none"):
                toks[i + 1]["make"] |= t["make"]
                toks[i + 1]["sell"] |= t["sell"]
                if toks[i + 1]["kind"] == "none":
                    toks[i + 1]["kind"] = "prefix"
        # a bracket after the clause's verbs closes the whole clause
        clause_excl = bool(toks) and toks[-1]["excl"] and toks[-1]["kind"] in ("suffix", "verbonly")
        carry_make, carry_sell, pending = None, None, []
        for t in toks:
            if t["kind"] == "prefix":
                carry_make, carry_sell = t["make"], t["sell"]
            elif t["kind"] == "suffix":
                for p in pending:
                    p["make"], p["sell"] = set(t["make"]), set(t["sell"])
                pending, carry_make, carry_sell = [], None, None
            elif t["kind"] == "none":
                if carry_make is not None:
                    t["make"], t["sell"] = set(carry_make), set(carry_sell)
                else:
                    pending.append(t)
        for p in pending:
            p["make"], p["sell"] = set(head_make), set(head_sell)
        for t in toks:
            if not t["make"] and head_make and t["kind"] != "verbonly":
                t["make"] = set(head_make)
        has_make_clause = any(t["make"] for t in toks)
        out.makes_anything = out.makes_anything or has_make_clause
        clause_words = False
        for i, t in enumerate(toks):
            for w in t["words"]:
                rest = t["core"].split(w, 1)[-1] + "".join(later["core"] for later in toks[i + 1:])
                if w in lex.material_words and any(h in rest for h in lex.material_heads):
                    continue           # "生产树脂、陶瓷工艺品", "藤及树脂等工艺品": the material of the goods
                clause_words = True
                readings.append((w, bool(t["make"]), t["excl"] or clause_excl))
        if any(v in clause for v in SERVICE) and not has_make_clause and not clause_words:
            service_clauses += 1
    for w, make, excl in readings:
        g = lex.group.get(w)
        if excl or scope_excluded:
            if make and g in lex.keep_groups:
                out.makes.append(w)
            else:
                out.excluded.append(w)
        elif make:
            out.makes.append(w)
        elif g in lex.sale_groups:
            out.sells.append(w)
    out.services_only = bool(clauses) and service_clauses == len(clauses)
    out.makes = list(dict.fromkeys(out.makes))
    out.sells = [w for w in dict.fromkeys(out.sells) if w not in out.makes]
    out.excluded = [w for w in dict.fromkeys(out.excluded) if w not in out.makes and w not in out.sells]
    return out
