"""Masking of reporters' identity inside free text (群众举报: 举报内容, 地址, 被举报单位).

A caller writes "我是甄隐名，电话139 8765 4322，…" into the tip itself; the 举报人 and
联系电话 columns already go to `tip_reporters` only, but the text goes to stg_tips and from
there into evidence sentences, the lists, the xlsx and the report. `mask_text` replaces
every phone-like number and the reporter's name (and its fragments) with `MASK`, before any
clipping, so a number cut in half at a clip cannot survive either.

What is masked
  * mobile numbers however grouped: 13987654322, 139 8765 4322, 139-8765-4323,
    139.8765.4322, full-width digits and separators, +86 / 0086 / 86 prefixes;
  * landlines with area code: 0595-88881234, 0595 8888 1234, (0595)88881234;
    local numbers written with a hyphen (8888-1234);
  * any run of 7 or more digits (IDs, QQ numbers, numbers written without separators),
    except a quantity followed by its unit (12000000度);
  * a number of 5+ digits (4+ after 尾号) right after a contact word (电话, 手机, 联系, QQ,
    微信 …), and a 微信号 / QQ id made of letters and digits;
  * the start of a number cut off at the end of the text (…很大139876);
  * the reporter's name where it is known (举报人 column): the full name, its given name of
    two or more characters, and its surname with a title (甄先生, 甄女士, 我姓甄);
  * a name introduced as the caller's own (我是X, 我叫X, 本人X, 举报人X, 联系人X, 我姓X)
    even when the 举报人 column is empty: a common surname and up to two more characters.

What survives (inspectors need it to find the place): house and building numbers (工业路
88号3栋501室, 454-458), dates and times (2024-05-12, 2024.5.12 22:30), plates (闽C23456),
quantities (13.5吨, 1500-1800度 ranges are shorter than a phone), short numbers.

Pure functions, no I/O; ingest calls `mask_text` through a DuckDB UDF (`register`), the
tip signal calls it again on what it prints (defence in depth).
"""

from __future__ import annotations

import re

MASK = "***"

# One character → one character, so that positions found in the folded text are positions
# in the original: full-width digits/letters/punctuation → ASCII, dashes → '-', odd spaces.
_FOLD_FROM = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000\u00a0\u2002\u2003\u2009\u202f" \
    + "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\u30fc\u00b7\u2027\u30fb"
_FOLD_TO = "".join(chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)) + "      " + "---------..."
_FOLD = str.maketrans(_FOLD_FROM, _FOLD_TO)
assert len(_FOLD_FROM) == len(_FOLD_TO)


def fold(text: str) -> str:
    """Same length as `text`; digits, separators and brackets in their ASCII form."""
    return text.translate(_FOLD)


_SEP = r"[ \-.]{1,3}"
# a number: optional country prefix, optional bracketed area code, digit groups joined by
# short runs of separators
_NUMBER = re.compile(
    r"(?<![0-9])"
    r"(?P<cc>(?:\+|00)\s?86[ \-.]{0,3}|86[ \-.]{1,3}(?=1[3-9]))?"
    r"(?P<area>\(\s?0[0-9]{2,3}\s?\)[ \-]{0,3})?"
    r"(?P<body>[0-9]+(?:" + _SEP + r"[0-9]+)*)"
    r"(?![0-9])"
)
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_LANDLINE = re.compile(r"0[1-9][0-9]{1,2}[2-9][0-9]{6,7}")     # area code + 7–8 digits
_CONTACT = re.compile(r"(?i)(电话|手机|手机号|号码|联系方式|联系|致电|来电|座机|固话|tel|phone|qq|微信|vx|wx|尾号)"
                      r"[^0-9\u4e00-\u9fff]{0,3}$")
# quantities: a long digit run followed by its unit is an amount, not a phone
_UNIT_AFTER = re.compile(r"\s?(?:度|千瓦|kw|KW|kWh|吨|公斤|千克|kg|KG|元|块|万|平方|平米|㎡|米|立方|升|桶|个|只|件|台|辆|次|天|人)")
# a number right after a road/building word or a Latin letter, or before 号/室/栋…, is a house
# number or a code (the bare 7+ digit rule and the mobile/landline shapes still apply)
_ADDR_BEFORE = re.compile(r"(?:[路街巷弄道号栋幢楼层室座村区园厦苑]|单元|[A-Za-z/]|第)$")
_ADDR_AFTER = re.compile(r"\s?(?:号|室|栋|幢|座|层|楼|单元|户|弄|巷)")
_ENDING = re.compile(r"[\s…\.。,，、;；:：!！?？)）\]】\"”'’]*$")
_ID = re.compile(r"(?i)(?:微信号?|weixin|wechat|vx|wx|qq号?)\s*(?:号码?|是|为)?\s*[:：]?\s*"
                 r"(?P<id>[A-Za-z][A-Za-z0-9_\-]{4,19}|[0-9]{5,12})(?![A-Za-z0-9_])")


def _number_is_phone(m: re.Match, text: str) -> bool:
    body = m.group("body")
    digits = re.sub(r"[^0-9]", "", body)
    groups = re.split(_SEP, body)
    area = re.sub(r"[^0-9]", "", m.group("area") or "")
    if m.group("cc") or area:
        return len(digits) >= 5 or bool(area and len(digits) >= 4)
    if _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits):
        return True
    if len(groups) == 1 and len(digits) >= 7:
        # a bare run: a phone, an ID or QQ number, unless an amount with its unit
        return bool(_MOBILE.match(digits)) or not _UNIT_AFTER.match(text, m.end())
    before = text[max(0, m.start() - 8):m.start()]
    if _CONTACT.search(before):
        return len(digits) >= (4 if before.rstrip(" :：").endswith("尾号") else 5)
    # below: shapes that are phones only outside addresses and codes — 大厦1705-1706,
    # 东湖新村15-101, GB/T534-2002, 2701-2705室 are house numbers, ranges and standards
    if (_ADDR_BEFORE.search(text, 0, m.start()) or _ADDR_AFTER.match(text, m.end())
            or _UNIT_AFTER.match(text, m.end())):
        return False
    if len(groups) == 2 and len(groups[1]) == 4 and len(groups[0]) in (3, 4) and groups[0][0] in "23456789" \
            and "-" in body and not _is_range(groups):
        return True                                  # local landline 8888-1234
    if re.match(r"1[3-9]", digits) and len(groups) > 1 and len(groups[0]) == 3 \
            and all(len(g) >= 4 for g in groups[1:]) and len(digits) >= 7:
        return True                                  # a mobile written in groups, incomplete or overlong
    if _ENDING.fullmatch(text, m.end()) and len(groups) == 1 and len(digits) >= 5 and (
            re.match(r"1[3-9]", digits) or re.match(r"0[1-9]", digits)):
        return True                                  # the start of a number cut off at the end
    return False


def _is_range(groups: list[str]) -> bool:
    a, b = int(groups[0]), int(groups[1])
    return len(groups[0]) == len(groups[1]) and a < b < a + 1000


def _phone_spans(t: str, known_phones: list[str]) -> list[tuple[int, int]]:
    spans = []
    for m in _NUMBER.finditer(t):
        if _number_is_phone(m, t):
            spans.append((m.start(), m.end()))
    for m in _ID.finditer(t):
        spans.append(m.span("id"))
    for ph in known_phones:
        d = re.sub(r"[^0-9]", "", fold(ph))
        if len(d) >= 7:
            pat = r"(?<![0-9])" + r"[ \-.()]{0,3}".join(d) + r"(?![0-9])"
            spans += [m.span() for m in re.finditer(pat, t)]
    return spans


# ---------------------------------------------------------------- names
# Common Chinese surnames (the national top ~260 and Minnan ones); a name introduced with
# 我是/我叫 must start with one of them, which keeps 我是附近居民 / 我是这里的工人 readable.
SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季"
    "裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦"
    "戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻"
    "苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练"
    "廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿"
    "鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由洪蔡粘"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙",
                     "宇文", "司徒", "夏侯", "轩辕", "西门", "南宫", "端木", "独孤", "澹台", "申屠", "百里")
_TITLES = "先生|女士|小姐|师傅|师父|阿姨|大姐|大哥|大叔|大爷|大妈|老师|某某|某"
# characters that end a name candidate after 我是 / 举报人: particles, verbs, place words
_STOP = set("的地得了着过在是住于和与及跟同等说讲称反表要想希望报介告提叫问打找来去到从向对把被让给也都还又就才已曾"
            "很太不没未这那哪此该本每各某其个位些边近围旁附里外内上下前后间头"
            "家户人民工员者村厂店司公企业区镇街路巷楼栋室号组队站所局委会场房屋地方面处年月日时点分今昨早晚"
            "现刚常经再最更非特别真实")
_INTRO = r"(?:我是|我叫|我名叫|我的名字叫|我的名字是|本人是|本人叫|本人|举报人是|举报人为|举报人|来电人是|来电人|" \
         r"反映人是|反映人|联系人是|联系人)"
_PLACEHOLDER_NAMES = {"匿名", "匿名者", "匿名群众", "群众", "热心群众", "市民", "热心市民", "居民", "村民", "未知",
                      "不详", "保密", "无", "暂无", "某某", "先生", "女士", "网友", "来电人", "举报人"}
_HAN = r"\u4e00-\u9fff"


def _surname_of(name: str) -> str | None:
    if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
        return name[:2]
    if name and re.fullmatch(f"[{_HAN}]", name[0]):
        return name[0]
    return None


def _intro_spans(t: str) -> list[tuple[int, int]]:
    """Names the caller gives as their own: 我是甄隐名 / 举报人：张三 / 我姓甄 / 我是甄先生."""
    spans = []
    for m in re.finditer(_INTRO + r"\s*[:：]?\s*", t):
        i = m.end()
        if t.startswith(COMPOUND_SURNAMES, i):
            n = 2
        elif i < len(t) and t[i] in SURNAMES:
            n = 1
        else:
            continue
        j = i + n
        tm = re.match(_TITLES, t[j:])
        if tm:
            spans.append((i, j + tm.end()))
            continue
        k = j
        while k < len(t) and k - j < 2 and re.fullmatch(f"[{_HAN}]", t[k]) and t[k] not in _STOP:
            k += 1
        if k > j:
            spans.append((i, k))
    for m in re.finditer(rf"(?:我|本人|举报人|来电人|联系人)\s*姓\s*((?:{'|'.join(COMPOUND_SURNAMES)})|[{_HAN}])"
                         rf"(?:{_TITLES})?", t):
        spans.append((m.start(1), m.end()))
    return spans


def _name_spans(t: str, names: list[str]) -> list[tuple[int, int]]:
    spans = []
    for raw in names:
        name = re.sub(r"\s+", "", fold(raw or ""))
        name = re.sub(r"[（(].*?[)）]$", "", name)            # 甄隐名(先生)
        if len(name) < 2 or name in _PLACEHOLDER_NAMES:
            if len(name) == 1 and re.fullmatch(f"[{_HAN}]", name):
                name = name + "先生"                            # a lone surname: only its titled forms
            else:
                continue
        tm = re.search(f"(?:{_TITLES})$", name)
        if tm and tm.start() > 0:                               # 甄先生 in the 举报人 column
            sur = name[:tm.start()]
            given = ""
        else:
            sur = _surname_of(name) or ""
            given = name[len(sur):] if sur else ""
            spans += [m.span() for m in re.finditer(r"\s*".join(map(re.escape, name)), t)]
        if len(given) >= 2:
            spans += [m.span() for m in re.finditer(re.escape(given), t)]
        if sur and re.fullmatch(f"[{_HAN}]+", sur):
            spans += [m.span() for m in re.finditer(rf"{re.escape(sur)}\s*(?:{_TITLES})", t)]
            spans += [m.span(1) for m in re.finditer(rf"(?:我|本人)\s*姓\s*({re.escape(sur)})", t)]
            spans += [m.span() for m in re.finditer(rf"(?<![{_HAN}])[老小阿]{re.escape(sur)}", t)]
    return spans


def mask_text(text: str | None, names: list[str] | tuple[str, ...] | str | None = None,
              phones: list[str] | tuple[str, ...] | str | None = None) -> str | None:
    """`text` with phone-like numbers, contact ids and the reporter's name replaced by MASK.

    names / phones: what the 举报人 / 联系电话 columns say (either may be empty); the text is
    masked by pattern even without them."""
    if text is None:
        return None
    if not text:
        return text
    names = [names] if isinstance(names, str) else [n for n in (names or []) if n]
    phones = [phones] if isinstance(phones, str) else [p for p in (phones or []) if p]
    t = fold(text)
    spans = _phone_spans(t, phones) + _name_spans(t, names) + _intro_spans(t)
    if not spans:
        return text
    spans.sort()
    merged: list[list[int]] = []
    for a, b in spans:
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    out, pos = [], 0
    for a, b in merged:
        out.append(text[pos:a])
        out.append(MASK)
        pos = b
    out.append(text[pos:])
    return "".join(out)


UDF_NAME = "ing_mask_text"


def register(con) -> None:
    """Make `ing_mask_text(text, reporter, phone)` available on a DuckDB connection (once)."""
    import duckdb

    try:
        con.create_function(UDF_NAME, lambda t, n, p: mask_text(t, n, p), ["VARCHAR"] * 3, "VARCHAR",
                            null_handling="special", side_effects=False)
    except duckdb.Error as exc:                 # already registered on this connection
        if "already created" not in str(exc):
            raise


def remask_stored(con) -> int:
    """Mask what earlier versions stored unmasked: stg_tips text (with the reporter known
    from tip_reporters) and the raw values of tips rows in `rejects`. Idempotent (a masked
    text masks to itself); returns the number of tips changed. Runs after each tips load,
    so a warehouse filled before masking existed is cleaned on its next ingest."""
    register(con)
    n = con.execute(
        f"""
        UPDATE stg_tips s SET content = {UDF_NAME}(s.content, r.reporter, r.reporter_phone),
                              address = {UDF_NAME}(s.address, r.reporter, r.reporter_phone),
                              subject = {UDF_NAME}(s.subject, r.reporter, r.reporter_phone)
        FROM (SELECT t.tip_id, any_value(p.reporter ORDER BY p.batch_id DESC) AS reporter,
                     any_value(p.reporter_phone ORDER BY p.batch_id DESC) AS reporter_phone
              FROM stg_tips t LEFT JOIN tip_reporters p USING (tip_id) GROUP BY t.tip_id) r
        WHERE s.tip_id = r.tip_id
          AND (s.content IS DISTINCT FROM {UDF_NAME}(s.content, r.reporter, r.reporter_phone)
               OR s.address IS DISTINCT FROM {UDF_NAME}(s.address, r.reporter, r.reporter_phone)
               OR s.subject IS DISTINCT FROM {UDF_NAME}(s.subject, r.reporter, r.reporter_phone))
        """).fetchall()[0][0]
    con.execute(f"UPDATE rejects SET value = {UDF_NAME}(value, NULL, NULL) "
                f"WHERE source = 'tips' AND value IS DISTINCT FROM {UDF_NAME}(value, NULL, NULL)")
    return n
