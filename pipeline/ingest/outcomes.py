"""outcomes — inspectors' returns (排查结果回报): one row per visit to a premises.

Fields: premises_id 场所编号 · visit_date 检查日期 · inspector 检查人 · finding 检查结论
(未发现问题/违法违规/无法进入/未找到 — a no-access or not-found visit is its own finding,
never "clean") · category 整治类别 (1–5) · measures 处置措施 (several, separated by
、/，/;) · confiscated_wan 没收违法所得(万元) · note 备注.

Reject (the row is not loaded; reason in `rejects`) only where the visit itself is in
doubt — who was visited, when, and what was found:
  * empty 场所编号 or 检查日期 (the key), 检查日期 unparseable or outside the campaign;
  * 检查结论 empty or outside the vocabulary;
  * 处置措施 or 没收违法所得 on a visit whose finding is not 违法违规 (contradictory return:
    the finding itself may be wrong, so it is not counted either way).
Warning (row loaded; reason in `rejects` with severity 'warning'): a missing or wrong detail
of a visit that happened. Rejecting it would throw the visit away and leave the place at the
top of the list as if nobody had been there.
  * 检查结论 违法违规 without a valid 整治类别 → loaded with category NULL: a finding whose
    category is 待补 (the forms count it in a 整治类别待补 column);
  * 整治类别 outside 1–5 → NULL (and the 待补 warning above);
  * 处置措施 holding a measure outside MEASURES → kept as written; the forms count only the
    measures they know;
  * 没收违法所得 not a number or negative → NULL.
  * a 场所编号 that is not in the current `premises` table. That check runs in
    `premises_warnings` after linking (the forms call it), not at ingest: ingest runs before
    the week's premises are built, and the inspector usually cannot fix an id that a re-link
    has merged away. It is added to the batch's `batches.warnings`; the forms count such a
    visit on the 待核实 sheet.
场所编号 is stored upper-case, full-width folded and without blanks (premises ids are
upper-case: `p00a1` written by hand is `P00A1`).

Key: (premises_id, visit_date). A later file's return for the same premises and date
replaces the earlier one; the earlier row is kept in `stg_outcomes_history` with the batch
that superseded it and when.
`measures` is stored canonical, joined with 、.
"""

import logging

from pipeline.ingest import clean_sql as C
from pipeline.ingest.rules import RowCheck, SourceRules

log = logging.getLogger(__name__)

#: console line when returns name a 场所编号 that is not on the premises list
UNKNOWN_IDS_LOG = "检查结果回报：{n} 条回报的场所编号不在本期场所清单中，已计入汇总表“待核实”，明细见拒收明细.xlsx"

#: the measures an inspector may write (DESIGN §3, the notice's 四(二))
MEASURES = ("责令停产整顿", "责令停产", "封闭非法生产装置", "限期拆除", "原料产品安全处置",
            "设备设施拆除", "立案查处", "没收违法所得", "移送司法机关")

# text_sql already turned 、，； into , and ; (full-width → half-width)
_SPLIT = "string_split_regex(x_measures, '\\s*[,;、，；]\\s*')"
_ITEMS = f"list_filter({_SPLIT}, lambda m: m <> '')"
_VOCAB = "[" + ", ".join(C.lit(m) for m in MEASURES) + "]"
_UNKNOWN = f"len(list_filter({_ITEMS}, lambda m: NOT list_contains({_VOCAB}, m))) > 0"

#: the warning of a 违法违规 return without a (valid) 整治类别: the visit counts, category 待补
CATEGORY_PENDING = "整治类别待补：检查结论为违法违规，须填写整治类别（1–5）；已导入，按“整治类别待补”计入汇总表"

RULES = SourceRules(
    source="outcomes",
    table="stg_outcomes",
    history_table="stg_outcomes_history",
    columns={
        "premises_id": "upper(x_premises_id)",
        "visit_date": "x_visit_date",
        "inspector": "x_inspector",
        "finding": "x_finding",
        "category": "CAST(x_category AS INTEGER)",
        "measures": f"nullif(array_to_string({_ITEMS}, '、'), '')",
        "confiscated_wan": "x_confiscated_wan",
        "note": "x_note",
    },
    key=("premises_id", "visit_date"),
    reject_fields=frozenset({"visit_date", "finding"}),
    not_empty=frozenset({"premises_id", "visit_date", "finding"}),
    nonneg=frozenset({"confiscated_wan"}),
    row_checks=(
        RowCheck("category", "x_finding = '违法违规' AND x_category IS NULL", CATEGORY_PENDING, warn=True),
        RowCheck("measures", f"x_measures IS NOT NULL AND {_UNKNOWN}",
                 "处置措施中有不认识的措施（可用：" + "、".join(MEASURES) + "；多项用、或；分隔），"
                 "已导入，不认识的措施未计入汇总表，请核对", warn=True),
        RowCheck("measures", "x_measures IS NOT NULL AND x_finding <> '违法违规'",
                 "检查结论不是违法违规，却填写了处置措施，请核对"),
        RowCheck("confiscated_wan", "x_confiscated_wan > 0 AND x_finding <> '违法违规'",
                 "检查结论不是违法违规，却填写了没收违法所得，请核对"),
    ),
    field_types={"premises_id": "code", "visit_date": "date", "finding": "enum", "category": "enum",
                 "measures": "text", "confiscated_wan": "number"},
)

PREMISES_REASON = "场所编号不在本期场所清单中（可能录入错误或已与其他场所合并），已计入汇总表“待核实”，请核对"


def premises_warnings(con) -> int:
    """Warn (in `rejects`) about loaded returns whose 场所编号 is not in `premises`; each
    such row is warned once, and counted in its batch's `batches.warnings` (the clerk reads
    that count; a warning written after ingest must not leave it at 0). Returns the number
    of new warning rows."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _unknown_ids AS
        SELECT o.batch_id, 'outcomes' AS source, b.file_name, o.src_row, '场所编号' AS "column",
               o.premises_id AS value, $reason AS reason, 'warning' AS severity
        FROM stg_outcomes o JOIN batches b USING (batch_id)
        WHERE o.premises_id NOT IN (SELECT premises_id FROM premises)
          AND NOT EXISTS (SELECT 1 FROM rejects r WHERE r.batch_id = o.batch_id AND r.src_row = o.src_row
                          AND r.reason = $reason)
        """,
        {"reason": PREMISES_REASON},
    )
    try:
        n = con.execute("SELECT count(*) FROM _unknown_ids").fetchall()[0][0]
        if n:
            con.execute("INSERT INTO rejects SELECT * FROM _unknown_ids ORDER BY batch_id, src_row")
            con.execute("""
                UPDATE batches SET warnings = coalesce(batches.warnings, 0) + u.n
                FROM (SELECT batch_id, count(*) AS n FROM _unknown_ids GROUP BY batch_id) u
                WHERE batches.batch_id = u.batch_id""")
            log.warning(UNKNOWN_IDS_LOG.format(n=n))
    finally:
        con.execute("DROP TABLE IF EXISTS _unknown_ids")
    return n
