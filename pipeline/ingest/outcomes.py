"""outcomes — inspectors' returns (排查结果回报): one row per visit to a premises.

Fields: premises_id 场所编号 · visit_date 检查日期 · inspector 检查人 · finding 检查结论
(未发现问题/违法违规/无法进入/未找到 — a no-access or not-found visit is its own finding,
never "clean") · category 整治类别 (1–5) · measures 处置措施 (several, separated by
、/，/;) · confiscated_wan 没收违法所得(万元) · note 备注.

Reject (the row is not loaded; reason in `rejects`):
  * empty 场所编号 or 检查日期 (the key), 检查日期 unparseable;
  * 检查结论 empty or outside the vocabulary;
  * 整治类别 outside 1–5; 检查结论 违法违规 without 整治类别;
  * 处置措施 holding a measure outside MEASURES;
  * 没收违法所得 not a number or negative;
  * 处置措施 or 没收违法所得 on a visit whose finding is not 违法违规 (contradictory return).
Warning (row loaded): a 场所编号 that is not in the current `premises` table. That check
runs in `premises_warnings` after linking (the forms call it), not at ingest: ingest runs
before the week's premises are built, and a return records a visit that really happened —
rejecting it would lose the visit, while the inspector usually cannot fix an id that a
re-link has merged away. The forms still count such a visit (subdistrict sheet only).

Key: (premises_id, visit_date). A later file's return for the same premises and date
replaces the earlier one; the earlier row is kept in `stg_outcomes_history` with the batch
that superseded it and when.
`measures` is stored canonical, joined with 、.
"""

from pipeline.ingest import clean_sql as C
from pipeline.ingest.rules import RowCheck, SourceRules

#: the measures an inspector may write (DESIGN §3, the notice's 四(二))
MEASURES = ("责令停产整顿", "责令停产", "封闭非法生产装置", "限期拆除", "原料产品安全处置",
            "设备设施拆除", "立案查处", "没收违法所得", "移送司法机关")

# text_sql already turned 、，； into , and ; (full-width → half-width)
_SPLIT = "string_split_regex(x_measures, '\\s*[,;、，；]\\s*')"
_ITEMS = f"list_filter({_SPLIT}, lambda m: m <> '')"
_VOCAB = "[" + ", ".join(C.lit(m) for m in MEASURES) + "]"
_UNKNOWN = f"len(list_filter({_ITEMS}, lambda m: NOT list_contains({_VOCAB}, m))) > 0"

RULES = SourceRules(
    source="outcomes",
    table="stg_outcomes",
    history_table="stg_outcomes_history",
    columns={
        "premises_id": "x_premises_id",
        "visit_date": "x_visit_date",
        "inspector": "x_inspector",
        "finding": "x_finding",
        "category": "CAST(x_category AS INTEGER)",
        "measures": f"nullif(array_to_string({_ITEMS}, '、'), '')",
        "confiscated_wan": "x_confiscated_wan",
        "note": "x_note",
    },
    key=("premises_id", "visit_date"),
    reject_fields=frozenset({"visit_date", "finding", "category", "confiscated_wan"}),
    not_empty=frozenset({"premises_id", "visit_date", "finding"}),
    nonneg=frozenset({"confiscated_wan"}),
    row_checks=(
        RowCheck("category", "coalesce(x_finding = '违法违规' AND NOT p_category, false)",
                 "检查结论为违法违规时须填写整治类别（1–5）"),
        RowCheck("measures", f"coalesce(x_measures IS NOT NULL AND {_UNKNOWN}, false)",
                 "处置措施中有不认识的措施（可用：" + "、".join(MEASURES) + "；多项用、或；分隔）"),
        RowCheck("measures", "coalesce(x_measures IS NOT NULL AND x_finding <> '违法违规', false)",
                 "检查结论不是违法违规，却填写了处置措施，请核对"),
        RowCheck("confiscated_wan",
                 "coalesce(x_confiscated_wan > 0 AND x_finding <> '违法违规', false)",
                 "检查结论不是违法违规，却填写了没收违法所得，请核对"),
    ),
    field_types={"premises_id": "code", "visit_date": "date", "finding": "enum", "category": "enum",
                 "measures": "text", "confiscated_wan": "number"},
)

PREMISES_REASON = "场所编号不在本期场所清单中（可能录入错误或已与其他场所合并），已计入汇总表，请核对"


def premises_warnings(con) -> int:
    """Warn (in `rejects`) about loaded returns whose 场所编号 is not in `premises`; each
    such row is warned once. Returns the number of new warning rows."""
    n = con.execute(
        """
        INSERT INTO rejects
        SELECT o.batch_id, 'outcomes', b.file_name, o.src_row, '场所编号', o.premises_id, $reason, 'warning'
        FROM stg_outcomes o JOIN batches b USING (batch_id)
        WHERE o.premises_id NOT IN (SELECT premises_id FROM premises)
          AND NOT EXISTS (SELECT 1 FROM rejects r WHERE r.batch_id = o.batch_id AND r.src_row = o.src_row
                          AND r.reason = $reason)
        """,
        {"reason": PREMISES_REASON},
    ).fetchall()[0][0]
    return n
