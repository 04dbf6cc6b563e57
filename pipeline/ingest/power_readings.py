"""power_readings — 用电量 (power supply office), daily or monthly.

Reject vs warn (readings feed consumption signals, so a doubtful reading is not loaded):
  * rejected: empty/malformed 户号; 日期/年月 empty, unparseable or outside 1949–2100;
    总电量 empty, not a number or negative; 峰/平/谷/尖峰 电量 not a number or negative.
  * 尖峰 (sharp) is added into kwh_peak.
A file with a 日期 column is daily (period = 'day'); with only 年月 it is monthly
(period = 'month', day = first day of the month).
Monthly bills from the 营销系统 (电费年月, 总电量, often without 峰/平/谷) may carry the account's
户名, 用电地址, 用电类别, 行业分类: they load into account_name, address, category, industry
(NULL in daily exports); a 用电类别 outside the vocabulary is a warning (value NULL).
Key: (account_no, day, period); a newer batch replaces the same readings.
"""

from pipeline.ingest.rules import RowCheck, SourceRules


def _columns(mapped: set[str]) -> dict[str, str]:
    return {
        "account_no": "x_account_no",
        "day": "coalesce(x_day, x_month)",
        "period": "CASE WHEN x_day IS NOT NULL THEN 'day' WHEN x_month IS NOT NULL THEN 'month' END",
        "kwh": "x_kwh",
        "kwh_peak": "CASE WHEN x_kwh_peak IS NOT NULL OR x_kwh_sharp IS NOT NULL "
                    "THEN coalesce(x_kwh_peak, 0) + coalesce(x_kwh_sharp, 0) END",
        "kwh_flat": "x_kwh_flat",
        "kwh_valley": "x_kwh_valley",
        "account_name": "x_account_name",
        "address": "x_address",
        "category": "x_category",
        "industry": "x_industry",
    }


_PARTS = "x_kwh_peak + coalesce(x_kwh_sharp, 0) + x_kwh_flat + x_kwh_valley"
_KWH = frozenset({"kwh", "kwh_sharp", "kwh_peak", "kwh_flat", "kwh_valley"})

RULES = SourceRules(
    source="power_readings",
    table="stg_power_readings",
    columns=_columns,
    key=("account_no", "day", "period"),
    reject_fields=frozenset({"day", "month"}) | _KWH,
    not_empty=frozenset({"account_no", "kwh"}),
    nonneg=_KWH,
    row_checks=(
        RowCheck(("day", "month"), "NOT p_day AND NOT p_month", "日期为空"),
        RowCheck("kwh", "x_kwh_peak IS NOT NULL AND x_kwh_flat IS NOT NULL AND x_kwh_valley IS NOT NULL "
                        f"AND abs(x_kwh - ({_PARTS})) > greatest(1.0, 0.02 * x_kwh)",
                 "峰、平、谷（含尖峰）电量之和与总电量相差超过 2%（已导入，请向供电所核对）", warn=True),
    ),
    field_types={"account_no": "account", "day": "date", "month": "month", "kwh": "number",
                 "kwh_sharp": "number", "kwh_peak": "number", "kwh_flat": "number", "kwh_valley": "number",
                 "account_name": "name", "address": "address", "category": "enum", "industry": "text"},
)
