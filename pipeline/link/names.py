"""Chinese business-name normalisation: split a name into region, core (字号), trade, form.

    晋江市XX新材料科技有限公司   → region 晋江市, core XX, trade 新材料科技, form 有限公司
    XX新材料（晋江）有限公司     → region 晋江,   core XX, trade 新材料,     form 有限公司
    晋江市灵源林口鞋业商行       → region 晋江市灵源, core 林口, trade 鞋业, form 商行

The core name identifies; the stripped parts are kept as separate fields because they
still help (same trade, cover words like 科技/新材料 for the signals). Works on one string;
callers apply it to the distinct names of a table, not to every row.

Libraries looked at: companynameparser (2022, unmaintained, ships a jieba model and a
general-purpose place list; it cut 林口/林格 cores as place names) and jionlp (large, its
address/company tools aim at province–county level). A small rule set written for the
forms seen in Jinjiang registrations did better on our cases and has no download.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Traditional → simplified for the characters that occur in company and place names here.
# (Full converters such as OpenCC carry 10k+ entries; names need only these.)
_T2S = str.maketrans(
    "業廠貿紡織實發電機產國華興達東豐與門陽龍鳳廣進寶聯匯榮偉順輝晉號區鎮縣莊樓層間棟場園灣橋鄉時務飾裝製膠鋁鋼鐵銅錦綠藥醫劑氣塗料樹脂環"
    "館號灘鹽漿絲綢縫紉襪帶鏈輪軸鍍噴爐廢舊運輸倉儲貨賣銷質檢測驗設計開蘇劉陳張黃楊趙吳鄭謝蕭許葉蔣韓馮鄧"
    "經營部門蓮",
    "业厂贸纺织实发电机产国华兴达东丰与门阳龙凤广进宝联汇荣伟顺辉晋号区镇县庄楼层间栋场园湾桥乡时务饰装制胶铝钢铁铜锦绿药医剂气涂料树脂环"
    "馆号滩盐浆丝绸缝纫袜带链轮轴镀喷炉废旧运输仓储货卖销质检测验设计开苏刘陈张黄杨赵吴郑谢萧许叶蒋韩冯邓"
    "经营部门莲",
)

REGION_WORDS = ("福建省", "福建", "泉州市", "泉州", "晋江市", "晋江", "灵源街道办事处", "灵源街道", "灵源")

# Organisational forms, matched at the end, longest first.
ORG_FORMS = tuple(sorted((
    "股份有限公司", "有限责任公司", "有限公司", "分公司", "总公司", "公司", "合伙企业", "个人独资企业",
    "经营部", "商行", "门市部", "加工厂", "加工场", "加工点", "厂", "店", "个体工商户", "工作室", "合作社",
    "经销部", "批发部", "贸易行", "作坊", "车间",
), key=len, reverse=True))

# Trade words, stripped repeatedly from the end of what is left (新材料科技 → 新材料 + 科技).
TRADE_WORDS = tuple(sorted((
    "鞋业", "鞋材", "鞋服", "鞋面", "鞋底", "服装", "服饰", "纺织", "织造", "针织", "制衣", "印染", "染整",
    "食品", "饮料", "陶瓷", "建材", "石材", "塑料制品", "塑料", "塑胶", "橡胶", "橡塑", "印刷", "包装",
    "彩印", "纸品", "机械", "五金", "模具", "贸易", "商贸", "工贸", "进出口", "实业", "发展", "投资",
    "科技", "新材料", "材料", "生物", "化工", "化学", "化学品", "制品", "电子", "轻工", "日用品",
    "涂料", "油墨", "胶粘剂", "胶业", "树脂", "溶剂", "环保", "能源", "技术", "服务", "工业", "产业",
    "集团", "控股", "物流", "仓储", "运输", "冷链", "冷冻", "烘焙", "面包", "加油站", "汽车", "电器",
    "家具", "玩具", "箱包", "伞业", "工艺", "工艺品", "鞋", "布业", "线业", "辅料",
    "机电", "电机", "体育用品", "用品", "饼业", "茶业", "印务", "布艺", "织带", "拉链", "经贸", "纸业",
    "新能源", "生物科技", "医疗器械", "器材", "设备", "配件",
), key=len, reverse=True))

# Common surnames (the hundred commonest nationally plus those frequent in southern Fujian),
# and compound ones. A 2–4 character name without form or trade words is a person's only if
# it starts with one: "凯通"/"鑫源" are a firm's 字号 said alone, "陈志强" is a person.
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕"
    "丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严"
    "覃武戴莫孔向汤洪施庄颜柯尤粘傅骆康翁卓欧阮游涂连赖童")
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "司徒")

# Cover words the notice names (二(一)5): kept with the trade, surfaced for the signals.
COVER_WORDS = ("生物", "科技", "新材料", "化工")

_BRACKET = re.compile(r"\(([^()]*)\)")
# the longest trade word at the end (alternation in longest-first order; the lazy prefix
# makes the match start as early as possible, i.e. the longest word wins)
_TRADE_END = re.compile("(" + "|".join(map(re.escape, TRADE_WORDS)) + ")$")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class NameParts:
    normal: str          # NFKC, simplified, no spaces
    region: str          # region words and bracketed region, joined
    core: str            # 字号: what identifies
    trade: str           # trade words, in order
    form: str            # organisational form
    qualifier: str       # other bracketed text (分店, 一厂 …)
    is_person: bool      # looks like a personal name (2–4 Han chars, no form or trade)

    @property
    def cover_words(self) -> tuple[str, ...]:
        return tuple(w for w in COVER_WORDS if w in self.trade or w in self.core)


def looks_like_person(s: str) -> bool:
    """2–3 Han characters after a common surname (4 with a compound one)."""
    if not s or not all("\u4e00" <= ch <= "\u9fff" for ch in s):
        return False
    if s[:2] in COMPOUND_SURNAMES:
        return 3 <= len(s) <= 4
    return s[0] in SURNAMES and 2 <= len(s) <= 3


def normalise_text(s: str | None) -> str:
    """NFKC (full-width → half-width, （）→()), traditional → simplified, no whitespace."""
    if not s:
        return ""
    s = unicodedata.normalize("NFKC", s)
    s = s.replace("【", "(").replace("】", ")").replace("〔", "(").replace("〕", ")")
    return _SPACES.sub("", s.translate(_T2S))


def _strip_prefixes(s: str, words: tuple[str, ...]) -> tuple[str, list[str]]:
    taken: list[str] = []
    changed = True
    while changed and s:
        changed = False
        for w in words:
            if s.startswith(w) and len(s) > len(w):
                taken.append(w)
                s = s[len(w):]
                changed = True
                break
    return s, taken


def parse_name(raw: str | None, place_words: tuple[str, ...] | list[str] = ()) -> NameParts:
    """Split a name. `place_words` (community names) are stripped from the front of the core
    when enough is left to identify (晋江市灵源小浯塘信联机电厂 → core 信联, but 林口鞋业 → 林口)."""
    s = normalise_text(raw)
    regions: list[str] = []
    quals: list[str] = []

    def _bracket(m: re.Match) -> str:
        inner = m.group(1)
        if inner and inner in REGION_WORDS or inner in ("中国", "福建晋江", "泉州晋江"):
            regions.append(inner)
        elif inner:
            quals.append(inner)
        return ""

    body = _BRACKET.sub(_bracket, s)
    body, taken = _strip_prefixes(body, REGION_WORDS)
    regions = taken + regions
    form = ""
    for f in ORG_FORMS:
        if body.endswith(f) and len(body) > len(f):
            form, body = f, body[: -len(f)]
            break
    # a branch: …有限公司晋江分公司 → 分公司 taken first, then the branch's region, then 有限公司
    for w in REGION_WORDS:
        if form and body.endswith(w) and len(body) > len(w):
            regions.append(w)
            body = body[: -len(w)]
            break
    for f in ORG_FORMS:
        if body.endswith(f) and len(body) > len(f):
            form, body = f + form, body[: -len(f)]
            break
    trades: list[str] = []
    while True:
        mt = _TRADE_END.search(body)
        if not mt or mt.start() == 0:
            break
        trades.insert(0, mt.group(1))
        body = body[: mt.start()]
    for w in sorted(place_words, key=len, reverse=True):
        for form_w in (w + "社区", w + "村", w):
            if body.startswith(form_w) and len(body) - len(form_w) >= 2:
                regions.append(form_w)
                body = body[len(form_w):]
                break
        else:
            continue
        break
    core = body
    if not core and trades:
        core = trades.pop(0)
    is_person = (not form and not trades and not regions and looks_like_person(core))
    return NameParts(s, "".join(regions), core, "".join(trades), form, ";".join(quals), is_person)
