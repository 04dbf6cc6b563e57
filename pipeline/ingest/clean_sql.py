"""Pure functions that return SQL text for cleaning and validating raw VARCHAR columns.

Nothing here touches a database or pastes an input value into SQL: arguments are column
expressions built by the ingest code, and the only literals are constants of this module
or vocabulary from the project's own configs (quoted with `lit`). Every expression is
vectorised by DuckDB over the whole raw table; cheap fast paths come first inside
COALESCE/CASE so that clean machine exports never reach the slow regex branches.
"""

from __future__ import annotations

import re

# Full-width forms (U+FF01–U+FF5E) → ASCII, ideographic space → space, plus the CJK
# punctuation that behaves like ASCII in numbers, dates and codes.
_FW_FROM = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000\u3001\u3002"
_FW_TO = "".join(chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)) + " ,."

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

YEAR_MIN, YEAR_MAX = 1949, 2100
LON_RANGE = (73.0, 136.0)
LAT_RANGE = (3.0, 54.0)

# Words that mean "no value" in government exports.
NULL_WORDS = ("无", "暂无", "空", "/", "-", "--", "—", "——", "null", "NULL", "None", "#N/A", "N/A")


def lit(value: str) -> str:
    """A SQL string literal for a constant of the code or of the project's config."""
    return "'" + str(value).replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def first_sql(fast: str, slow: str) -> str:
    """fast, or slow where fast is NULL. (DuckDB's COALESCE evaluates every argument for
    every row; CASE evaluates the ELSE branch only for the rows that reach it.)"""
    return f"(CASE WHEN {fast} IS NOT NULL THEN {fast} ELSE {slow} END)"


def fullwidth_sql(col: str) -> str:
    """Full-width digits, letters, brackets and space → half-width (translate only the
    cells that contain such characters: translate is slow)."""
    return (f"(CASE WHEN regexp_matches({col}, '[\\x{{FF01}}-\\x{{FF5E}}\\x{{3000}}-\\x{{3002}}]') "
            f"THEN translate({col}, {lit(_FW_FROM)}, {lit(_FW_TO)}) ELSE {col} END)")


def text_sql(col: str) -> str:
    """Trimmed, spaces collapsed, full-width → half-width; empty/placeholder → NULL."""
    inner = f"trim(regexp_replace({fullwidth_sql(col)}, '\\s+', ' ', 'g'))"
    nulls = ", ".join(lit(w) for w in NULL_WORDS)
    return f"(CASE WHEN {inner} IN ('', {nulls}) THEN NULL ELSE {inner} END)"


def present_sql(col: str) -> str:
    """The raw cell carries something (not blank, not a "no value" word such as 无 or -)."""
    nulls = ", ".join(lit(w) for w in NULL_WORDS)
    slow = f"trim({col}, ' \t\r\n\u3000') NOT IN ('', {nulls})"
    # fast path: a cell starting with a digit is present
    return f"(CASE WHEN {col} IS NULL THEN false WHEN ascii({col}) BETWEEN 48 AND 57 THEN true ELSE {slow} END)"


def compact_sql(col: str) -> str:
    """Full-width → half-width with every blank removed (codes, numbers, dates)."""
    return f"nullif(regexp_replace({fullwidth_sql(col)}, '\\s+', '', 'g'), '')"


def number_sql(col: str) -> str:
    """Numbers with thousands separators, full-width digits, trailing units → DOUBLE."""
    slow = (
        f"TRY_CAST(regexp_replace(regexp_extract({compact_sql(col)}, "
        f"'^([+-]?[0-9][0-9,]*(\\.[0-9]+)?|[+-]?\\.[0-9]+)([eE][+-]?[0-9]+)?[^0-9]*$', 0), "
        f"'[^0-9eE+.-]', '', 'g') AS DOUBLE)"
    )
    return first_sql(f"TRY_CAST({col} AS DOUBLE)", slow)


_DT_PATTERN = (
    "^([0-9]{4})\\s*[-/.年]\\s*([0-9]{1,2})\\s*[-/.月]\\s*([0-9]{1,2})\\s*日?"
    "(?:[ T]*([0-9]{1,2})\\s*[:时点]\\s*([0-9]{1,2})\\s*分?(?::?\\s*([0-9]{1,2}(?:\\.[0-9]+)?)\\s*秒?)?)?$"
)


def _norm_sql(col: str) -> str:
    return f"trim(regexp_replace({fullwidth_sql(col)}, '\\s+', ' ', 'g'))"


def timestamp_sql(col: str) -> str:
    """Any date or date-time form → TIMESTAMP (NULL when unparseable).

    Forms: ISO (2021-07-05[ 08:30[:00]]), 2021/7/5, 2021.7.5, 2021年7月5日[ 8时30分],
    20210705[083000], Excel serial numbers (44382, 44382.5 = noon).
    """
    s = _norm_sql(col)
    canon = f"regexp_replace(regexp_replace({s}, {lit(_DT_PATTERN)}, '\\1-\\2-\\3 \\4:\\5:\\6'), '[ :]+$', '')"
    slow = (
        f"CASE "
        f"WHEN regexp_full_match({s}, '[0-9]{{8}}') THEN try_strptime({s}, '%Y%m%d') "
        f"WHEN regexp_full_match({s}, '[0-9]{{14}}') THEN try_strptime({s}, '%Y%m%d%H%M%S') "
        f"WHEN regexp_full_match({s}, '[0-9]{{5}}(\\.[0-9]+)?') THEN "
        f"TIMESTAMP '1899-12-30' + to_microseconds(CAST(round(CAST({s} AS DOUBLE) * 86400000000) AS BIGINT)) "
        f"ELSE TRY_CAST({canon} AS TIMESTAMP) END"
    )
    return first_sql(f"TRY_CAST(trim({col}) AS TIMESTAMP)", slow)


def date_sql(col: str) -> str:
    """Any date form → DATE (time part dropped)."""
    return first_sql(f"TRY_CAST(trim({col}) AS DATE)", f"CAST({timestamp_sql(col)} AS DATE)")


def month_sql(col: str) -> str:
    """2021年7月 / 2021-07 / 2021/7 / 2021.07 / 202107 (or a full date) → first day of month."""
    c = compact_sql(col)
    canon = f"regexp_replace({c}, '^([0-9]{{4}})(?:[-/.年]([0-9]{{1,2}})月?|([0-9]{{2}}))$', '\\1-\\2\\3-01')"
    return (
        f"(CASE WHEN regexp_full_match({c}, '[0-9]{{4}}([-/.年][0-9]{{1,2}}月?|[0-9]{{2}})') "
        f"THEN TRY_CAST({canon} AS DATE) ELSE CAST(date_trunc('month', {date_sql(col)}) AS DATE) END)"
    )


def plausible_date_sql(v: str) -> str:
    return f"(year({v}) BETWEEN {YEAR_MIN} AND {YEAR_MAX})"


def future_date_sql(v: str) -> str:
    """A date/timestamp/month after tomorrow (one day of slack for clocks and time zones)."""
    return f"(CAST({v} AS DATE) > current_date + 1)"


def account_sql(col: str) -> str:
    """Account numbers stay text: leading zeros kept, blanks and full-width removed."""
    return f"CASE WHEN regexp_full_match({col}, '[0-9]+') THEN {col} ELSE {compact_sql(col)} END"


def account_restore_sql(v: str, pad_to: int | None, min_len: int = 5) -> str:
    """An account number Excel stored as a number, back as the office wrote it: 510018030,
    510018030.0 and 5.10018030E8 (every digit still there) → 0510018030 for `pad_to` = 10.
    Only values without a leading 0 and of at least `min_len` digits are padded (Excel drops
    every leading 0; a 2-digit "account" is a wrong value, not a stripped one); a scientific form
    that lost digits (1.23457E+11) stays as it is and is refused by the format checks."""
    if not pad_to:
        return v
    n = int(pad_to)
    sci = "'^([1-9])\\.?([0-9]*)[eE]\\+?([0-9]+)$'"
    # 5.10018030E8: 1 + 8 mantissa digits ≥ exponent + 1 = 9 → every digit is known
    sci_ok = (f"(regexp_full_match({v}, {sci}) AND "
              f"length(regexp_extract({v}, {sci}, 2)) >= CAST(regexp_extract({v}, {sci}, 3) AS INTEGER))")
    num = (f"(CASE WHEN regexp_full_match({v}, '[1-9][0-9]*') THEN {v} "
           f"WHEN regexp_full_match({v}, '[1-9][0-9]*\\.0+') THEN split_part({v}, '.', 1) "
           f"WHEN {sci_ok} THEN CAST(CAST(CAST({v} AS DOUBLE) AS HUGEINT) AS VARCHAR) END)")
    return (f"(CASE WHEN {v} IS NULL OR starts_with({v}, '0') THEN {v} "
            f"WHEN {num} IS NOT NULL AND length({num}) BETWEEN {int(min_len)} AND {n} THEN lpad({num}, {n}, '0') "
            f"ELSE {v} END)")


def account_ok_sql(v: str, min_len: int, max_len: int) -> str:
    return f"regexp_full_match({v}, '[0-9]{{{int(min_len)},{int(max_len)}}}')"


def code_sql(col: str) -> str:
    """Identifiers (编号): full-width → half-width, trimmed, inner blanks removed."""
    return f"CASE WHEN {present_sql(col)} THEN {compact_sql(col)} END"


def uscc_norm_sql(col: str) -> str:
    """Upper case, no blanks; placeholder words → NULL."""
    return f"upper(regexp_replace({text_sql(col)}, '\\s+', '', 'g'))"


def uscc_format_ok_sql(v: str) -> str:
    return f"regexp_full_match({v}, '[0-9A-HJ-NPQRTUWXY]{{18}}')"


def uscc_check_ok_sql(v: str) -> str:
    """GB 32100-2015 check character (DESIGN §8); v must already have the right format."""
    terms = " + ".join(
        f"(strpos({lit(USCC_CHARSET)}, substr({v}, {i + 1}, 1)) - 1) * {w}"
        for i, w in enumerate(USCC_WEIGHTS)
    )
    return f"(substr({lit(USCC_CHARSET)}, ((31 - (({terms}) % 31)) % 31) + 1, 1) = substr({v}, 18, 1))"


def plate_sql(col: str) -> str:
    """闽C·12345 / 闽 c-12345 → 闽C12345 (clean plates pass through untouched)."""
    slow = f"nullif(upper(regexp_replace({text_sql(col)}, '[\\s·•・.\\-_]', '', 'g')), '')"
    return f"(CASE WHEN {plate_ok_sql(col)} THEN {col} ELSE {slow} END)"


def plate_ok_sql(v: str) -> str:
    return f"regexp_full_match({v}, '[\\x{{4e00}}-\\x{{9fa5}}][A-Z][A-Z0-9]{{4,6}}[\\x{{4e00}}-\\x{{9fa5}}]?')"


_FW_TABLE = str.maketrans(_FW_FROM, _FW_TO)
# RE2's \s (what DuckDB's regexp_replace uses) is ASCII whitespace only
_RE2_SPACE = re.compile(r"[\t\n\f\r ]+")


def enum_key(text: str) -> str:
    """The key an enum cell is compared on, computed in Python exactly as enum_sql computes it
    in SQL from text_sql: full-width → half-width (、→, 。→.), every blank removed. Config
    vocabularies (values and aliases) go through this, so that 存续（在营、开业、在册） in a
    YAML file matches the same wording in a cell (both become 存续(在营,开业,在册))."""
    return _RE2_SPACE.sub("", str(text).translate(_FW_TABLE))


def enum_sql(clean_text: str, values: list[str], aliases: dict[str, str]) -> str:
    """Map a cleaned text onto the vocabulary; NULL when not in it. Values and alias keys are
    compared by their enum_key (the same normalisation as the cell), whatever their spelling
    in the config."""
    whens: dict[str, str] = {}
    for v in values:
        whens.setdefault(enum_key(v), v)
    for a, v in aliases.items():
        whens.setdefault(enum_key(a), v)
    key = f"regexp_replace({clean_text}, '\\s+', '', 'g')"
    return f"(CASE {key} {' '.join(f'WHEN {lit(k)} THEN {lit(v)}' for k, v in whens.items())} END)"


def total_row_sql(col: str) -> str:
    """The cell marks a 合计/总计/小计 row."""
    return (
        f"(contains({col}, '计') AND regexp_full_match({col}, "
        "'\\s*(合\\s*计|总\\s*计|小\\s*计)\\s*([:：].*)?'))"
    )


def total_any_sql(cols: list[str]) -> str:
    """Some cell of the row marks a 合计/总计/小计 row: total_row_sql over every cell, as
    one regex over the cells joined by U+001F. An OR of one test per column is super-linear
    for DuckDB's optimizer inside the nested cleaning query (1,000 columns: 3.5 s a query),
    the joined text is linear. concat_ws skips NULL cells, which are never totals; `.` of
    total_row_sql does not match a line break, hence [^\\x1f\\n]."""
    if not cols:
        return "false"
    joined = f"concat_ws(chr(31), {', '.join(cols)})"
    return (
        f"(contains({joined}, '计') AND regexp_matches({joined}, "
        "'(^|\\x1f)\\s*(合\\s*计|总\\s*计|小\\s*计)\\s*([:：][^\\x1f\\n]*)?(\\x1f|$)'))"
    )


def in_range_sql(v: str, lo: float, hi: float) -> str:
    return f"({v} BETWEEN {float(lo)} AND {float(hi)})"


def case_first(conds: list[tuple[str, str]]) -> str:
    """CASE WHEN c1 THEN r1 ... END; NULL when no condition is true."""
    if not conds:
        return "CAST(NULL AS VARCHAR)"
    return "(CASE " + " ".join(f"WHEN {c} THEN {r}" for c, r in conds) + " END)"


_UNITS = {
    "吨": ("吨", "t", "噸", "T"),
    "kg": ("kg", "千克", "公斤", "KG", "Kg"),
    "L": ("L", "l", "升"),
    "m3": ("m3", "立方米", "方", "M3"),
}
UNIT_TO_KG = {"吨": 1000.0, "kg": 1.0}


def unit_sql(text: str) -> str:
    """Canonical quantity unit (吨 / kg / L / m3) of a unit text; other text kept as is."""
    whens = " ".join(f"WHEN {lit(a)} THEN {lit(u)}" for u, al in _UNITS.items() for a in al)
    t = f"regexp_replace({text}, '\\s+', '', 'g')"
    return f"(CASE {t} {whens} ELSE nullif({t}, '') END)"


def unit_suffix_sql(col: str) -> str:
    """The unit written after a number in the same cell (12.5吨 → 吨), else NULL."""
    return f"nullif(regexp_extract({compact_sql(col)}, '^[+-]?[0-9][0-9,]*(?:\\.[0-9]+)?([^0-9,.]+)$', 1), '')"


def to_kg_sql(qty: str, unit: str) -> str:
    whens = " ".join(f"WHEN {lit(u)} THEN {qty} * {f}" for u, f in UNIT_TO_KG.items())
    return f"(CASE {unit} {whens} END)"


def gcj_to_wgs_sql(query: str, lon: str, lat: str, rounds: int = 3) -> str:
    """Wrap `query` so that its columns lon/lat (GCJ-02) come out in WGS-84.

    Fixed-point iteration w ← g − offset(w), one subquery per round (each round's SQL has
    constant size; nesting macros instead would grow exponentially).
    """
    L, A = ident(lon), ident(lat)
    q = f"SELECT *, {L} AS _g_lon, {A} AS _g_lat FROM ({query}) g0"
    for i in range(rounds):
        q = (f"SELECT * REPLACE (_g_lon - ing_gcj_dlon({L}, {A}) AS {L}, "
             f"_g_lat - ing_gcj_dlat({L}, {A}) AS {A}) FROM ({q}) g{i + 1}")
    return f"SELECT * EXCLUDE (_g_lon, _g_lat) FROM ({q}) gw"


# ---------------------------------------------------------------- office lists (issue 15)
def growth_sql(col: str) -> str:
    """A growth as the office states it → a fraction: "320%" → 3.2, "+85.5%" → 0.855,
    "-15%" → -0.15, "3.2倍" (3.2 times the base) → 2.2, a bare number → percent (320 → 3.2:
    the column is headed 增幅/增长率(%)). 增长/上升/增加 before the number read as +,
    下降/减少 as −. NULL when unparseable."""
    # sign words → sign (增长320% → +320%); then number and its unit
    s = (f"regexp_replace(regexp_replace(regexp_replace({compact_sql(col)}, '^(同比|环比)?(增长|上升|增加|增幅)', '+'), "
         f"'^(同比|环比)?(下降|减少|降低)', '-'), '^\\+([+-])', '\\1')")
    num = "'^([+-]?[0-9][0-9,]*(?:\\.[0-9]+)?|[+-]?\\.[0-9]+)(%|倍)?$'"
    value = f"TRY_CAST(replace(regexp_extract(_gs, {num}, 1), ',', '') AS DOUBLE)"
    unit = f"regexp_extract(_gs, {num}, 2)"
    body = (f"(CASE WHEN regexp_full_match(_gs, {num}) THEN "
            f"(CASE {unit} WHEN '倍' THEN {value} - 1 ELSE {value} / 100 END) END)")
    return let_sql(s, "_gs", body)


# 统计期 tokens (after compact_sql and the span separators folded to ~):
#   a month 2021-06 / 2021.6 / 2021年6月 / 202106, a day 2021-04-01 / 2021年4月1日 / 20210401,
#   and, for the end of a span only, a month or day without the year (2021年4月—6月).
_YMD = "[0-9]{4}[-/.年][0-9]{1,2}[-/.月][0-9]{1,2}日?|[0-9]{8}"
_YM = "[0-9]{4}[-/.年][0-9]{1,2}月?|[0-9]{6}"
_MD = "[0-9]{1,2}月[0-9]{1,2}日?"
_M = "[0-9]{1,2}月"
_SPAN = f"^({_YMD}|{_YM})[~-]({_YMD}|{_YM}|{_MD}|{_M})$"


def let_sql(expr: str, var: str, body: str) -> str:
    """`body` with `var` bound to `expr`, evaluated once: the cell expression is not pasted
    into every branch that reads it (pasting nests and multiplies the SQL text)."""
    return f"list_transform([{expr}], lambda {var}: {body})[1]"


def _period_token_sql(tok: str, start: bool) -> str:
    """A token of _YMD or _YM (a lambda variable) → that day, or the first (start) / last
    (end) day of that month; NULL when not a real date."""
    ymd = (f"TRY_CAST(regexp_replace(regexp_replace({tok}, '^([0-9]{{4}})[-/.年]([0-9]{{1,2}})[-/.月]([0-9]{{1,2}})日?$', "
           f"'\\1-\\2-\\3'), '^([0-9]{{4}})([0-9]{{2}})([0-9]{{2}})$', '\\1-\\2-\\3') AS DATE)")
    ym = (f"TRY_CAST(regexp_replace({tok}, '^([0-9]{{4}})(?:[-/.年]([0-9]{{1,2}})月?|([0-9]{{2}}))$', "
          f"'\\1-\\2\\3-01') AS DATE)")
    return (f"(CASE WHEN regexp_full_match({tok}, {lit(_YMD)}) THEN {ymd} "
            f"WHEN regexp_full_match({tok}, {lit(_YM)}) THEN {ym if start else f'last_day({ym})'} END)")


def _period_sql(col: str, end: bool) -> str:
    # 至/到/—/–/~ between the two ends → ~ (a plain - stays: it may also sit inside a date)
    s = f"regexp_replace({compact_sql(col)}, '(至|到|~|—+|–+|～)', '~', 'g')"
    single = month_sql(col)
    if not end:
        span = let_sql(f"regexp_extract(_ps, {lit(_SPAN)}, 1)", "_pa", _period_token_sql("_pa", True))
        body = f"(CASE WHEN regexp_full_match(_ps, {lit(_SPAN)}) THEN {span} ELSE {single} END)"
        return let_sql(s, "_ps", body)
    # end of a span: b, knowing the start a
    m = "TRY_CAST(regexp_extract(_pb, '^([0-9]{1,2})月', 1) AS INTEGER)"
    d = "TRY_CAST(regexp_extract(_pb, '^[0-9]{1,2}月([0-9]{1,2})', 1) AS INTEGER)"
    no_year = (f"(CASE WHEN {m} NOT BETWEEN 1 AND 12 THEN NULL "
               f"WHEN regexp_full_match(_pb, {lit(_MD)}) THEN "
               f"TRY_CAST(printf('%04d-%02d-%02d', year(_pa), {m}, {d}) AS DATE) "
               f"ELSE last_day(make_date(year(_pa), {m}, 1)) END)")
    no_year = let_sql(no_year, "_py", "(CASE WHEN _py < _pa THEN CAST(_py + INTERVAL 1 YEAR AS DATE) ELSE _py END)")
    b_end = (f"(CASE WHEN regexp_full_match(_pb, {lit(_MD + '|' + _M)}) THEN {no_year} "
             f"ELSE {_period_token_sql('_pb', False)} END)")
    b_end = let_sql(b_end, "_pe", "(CASE WHEN _pe >= _pa THEN _pe END)")
    span = let_sql(f"regexp_extract(_ps, {lit(_SPAN)}, 2)", "_pb", b_end)
    span = let_sql(let_sql(f"regexp_extract(_ps, {lit(_SPAN)}, 1)", "_pt", _period_token_sql("_pt", True)),
                   "_pa", span)
    body = f"(CASE WHEN regexp_full_match(_ps, {lit(_SPAN)}) THEN {span} ELSE last_day({single}) END)"
    return let_sql(s, "_ps", body)


def period_start_sql(col: str) -> str:
    """First day of a 统计期: a month (2021年6月, 2021-06, 202106, a date or an Excel date
    serial in that month) → its first day; a span (2021-04-01至2021-06-30, 2021.04-2021.06,
    2021年4月—6月) → its start (the first day of a start month). NULL when unparseable."""
    return _period_sql(col, end=False)


def period_end_sql(col: str) -> str:
    """Last day of a 统计期: a month → its last day; a span → its end (the last day of an
    end month; an end without the year takes the start's year, or the next year when it
    would fall before the start: 2021年11月—2月). NULL when unparseable or before the start."""
    return _period_sql(col, end=True)


def duration_min_sql(col: str) -> str:
    """A stated duration → minutes: "85" / "85分钟" / "85分" / "85min" (minutes),
    "1小时25分" / "1小时25分钟" / "1.5小时" / "2h", "01:25:00" / "1:25" (h:mm[:ss]),
    "25分30秒". NULL when unparseable."""
    c = "_ds"
    hms = "'^([0-9]{1,3}):([0-9]{1,2})(?::([0-9]{1,2}(?:\\.[0-9]+)?))?$'"
    words = ("'^(?:([0-9]+(?:\\.[0-9]+)?)(?:小时|h|hr|时))?(?:([0-9]+(?:\\.[0-9]+)?)(?:分钟|分|min|m|′))?"
             "(?:([0-9]+(?:\\.[0-9]+)?)(?:秒钟|秒|s|″))?$'")

    def part(rx: str, i: int) -> str:
        return f"coalesce(TRY_CAST(nullif(regexp_extract({c}, {rx}, {i}), '') AS DOUBLE), 0)"

    body = (f"(CASE WHEN TRY_CAST({c} AS DOUBLE) IS NOT NULL THEN TRY_CAST({c} AS DOUBLE) "
            f"WHEN regexp_full_match({c}, {hms}) THEN {part(hms, 1)} * 60 + {part(hms, 2)} + {part(hms, 3)} / 60 "
            f"WHEN {c} <> '' AND regexp_full_match({c}, {words}) THEN "
            f"{part(words, 1)} * 60 + {part(words, 2)} + {part(words, 3)} / 60 END)")
    return let_sql(f"lower({compact_sql(col)})", c, body)
