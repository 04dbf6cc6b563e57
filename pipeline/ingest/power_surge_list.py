"""power_surge_list — 电量激增清单: the power office's own list of surging accounts.

One row per account and 统计期, with the office's own figures: 本期电量, 上期/同期电量 and the
增幅 it states (环比/同比). The list is the office's evidence, so a row whose who (户号), when
(统计期) or how much (本期电量) is in doubt is not loaded; a doubtful detail only warns.

Reject vs warn:
  * rejected: 户号 empty or malformed; 统计期 empty or unparseable (also 开始/结束日期 or 年月
    when the file gives those instead, an end before the start); 本期电量 empty, not a number
    or negative.
  * warning, value set NULL: 上期/同期电量 not a number or negative; 环比/同比增幅
    unparseable; 用电类别 outside the vocabulary.
  * warning, value kept: the stated 同比 (环比) growth differs from 本期 vs 同期 (上期) 电量 by
    more than 5 percentage points ("增幅与电量不符"): the office's figure is kept as stated,
    the signal may check it again.
Growths are fractions: "320%" → 3.2, "3.2倍" → 2.2, a bare number is a percentage.
统计期: a month → its first and last day; a span (2021-04-01至2021-06-30, 2021.04-2021.06,
2021年4月—6月) → start day (first day of a start month) and end day (last day of an end month).
office: the 供电所/供电单位 column; where it is empty, the 供电所 named in the rows above the
header ("罗山供电所 电量激增用户清单") or in the file name; else NULL.
Key: (account_no, period_start, period_end); a newer batch replaces the same rows.
"""

from pipeline.ingest import clean_sql as C
from pipeline.ingest.rules import RowCheck, SourceRules, named_office

_PS = C.period_start_sql("x_period")
_PE = C.period_end_sql("x_period")
START = (f"(CASE WHEN x_period IS NOT NULL THEN {_PS} WHEN x_period_start IS NOT NULL THEN x_period_start "
         "ELSE x_month END)")
END = (f"(CASE WHEN x_period IS NOT NULL THEN {_PE} WHEN x_period_start IS NOT NULL THEN x_period_end "
       "ELSE last_day(x_month) END)")
_MOM = C.growth_sql("x_growth_mom")
_YOY = C.growth_sql("x_growth_yoy")
#: a stated growth further than this (as a fraction) from what the kWh give is warned about
TOLERANCE = 0.05

PERIOD_REASON = "统计期无法识别（应为月份如 2021年6月，或起止日期如 2021-04-01至2021-06-30）"
MISMATCH_YOY = "增幅与电量不符：同比增幅与本期、同期电量算出的增幅相差超过 5 个百分点（已导入，请向供电所核对）"
MISMATCH_MOM = "增幅与电量不符：环比增幅与本期、上期电量算出的增幅相差超过 5 个百分点（已导入，请向供电所核对）"


def _mismatch(stated: str, base: str) -> str:
    # a base of 0 kWh gives no growth to compare with
    return (f"{stated} IS NOT NULL AND x_kwh IS NOT NULL AND {base} > 0 "
            f"AND abs({stated} - (x_kwh / {base} - 1)) > {TOLERANCE}")


RULES = SourceRules(
    source="power_surge_list",
    table="stg_power_surge_list",
    columns={
        "account_no": "x_account_no", "account_name": "x_account_name", "address": "x_address",
        "category": "x_category", "industry": "x_industry",
        "kwh": "x_kwh", "kwh_prev": "x_kwh_prev", "kwh_last_year": "x_kwh_last_year",
        "growth_mom": _MOM, "growth_yoy": _YOY,
        "period_start": START, "period_end": END,
        "office": "x_office",
    },
    key=("account_no", "period_start", "period_end"),
    reject_fields=frozenset({"kwh", "period_start", "period_end", "month"}),
    not_empty=frozenset({"account_no", "kwh"}),
    nonneg=frozenset({"kwh", "kwh_prev", "kwh_last_year"}),
    row_checks=(
        RowCheck("period", f"p_period AND ({_PS} IS NULL OR {_PE} IS NULL "
                           f"OR NOT {C.plausible_date_sql(_PS)} OR NOT {C.plausible_date_sql(_PE)})", PERIOD_REASON),
        RowCheck(("period", "month", "period_start"), "NOT p_period AND NOT p_month AND NOT p_period_start",
                 "统计期为空"),
        RowCheck("period_end", "NOT p_period AND NOT p_month AND p_period_start AND NOT p_period_end",
                 "结束日期为空"),
        RowCheck("period_end", "NOT p_period AND NOT p_month AND x_period_end < x_period_start",
                 "结束日期早于开始日期"),
        RowCheck("growth_mom", f"p_growth_mom AND {_MOM} IS NULL",
                 "环比增幅无法识别（应如 320%、3.2倍），未导入该值", warn=True),
        RowCheck("growth_yoy", f"p_growth_yoy AND {_YOY} IS NULL",
                 "同比增幅无法识别（应如 320%、3.2倍），未导入该值", warn=True),
        RowCheck("growth_mom", _mismatch(_MOM, "x_kwh_prev"), MISMATCH_MOM, warn=True),
        RowCheck("growth_yoy", _mismatch(_YOY, "x_kwh_last_year"), MISMATCH_YOY, warn=True),
    ),
    title_fill={"office": named_office("供电所", "供电服务站", "供电中心", "供电公司", "供电局")},
    field_types={"account_no": "account", "account_name": "name", "address": "address", "category": "enum",
                 "industry": "text", "kwh": "number", "kwh_prev": "number", "kwh_last_year": "number",
                 "growth_mom": "text", "growth_yoy": "text", "period": "text", "period_start": "date",
                 "period_end": "date", "month": "month", "office": "text"},
)
