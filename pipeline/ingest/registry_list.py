"""registry_list — 市场监管所排查名单: the market office's own screened list (附件1 职责4:
entities whose name or scope holds 化学工业/化工), i.e. registry rows that arrive with a
provenance: why the office listed them (排查原因), which office (排查单位) and when (排查日期).

Reject vs warn: as registry (the same expressions, so that source_key agrees with
stg_registry and link can tell "the office itself listed it" of the same entity):
  * rejected: a row with neither 统一社会信用代码 nor 企业名称.
  * warning, value set NULL: malformed USCC (the row is then keyed by name|address),
    unparseable 成立日期 or 排查日期, 登记状态 outside the vocabulary.
  * warning, value kept: USCC check digit fails (uscc_valid = false).
Unlike registry, a file without a 统一社会信用代码 column is accepted (only 企业名称 and 住所
are required): the office's list often names the entity only.
office: the 排查单位/填报单位 column; where it is empty, the office named above the header or
in the file name ("XX市场监督管理所").
Key: source_key; a newer batch replaces rows of the same key.
"""

from pipeline.ingest import registry
from pipeline.ingest.rules import SourceRules, named_office

RULES = SourceRules(
    source="registry_list",
    table="stg_registry_list",
    columns={**registry.RULES.columns, "reason": "x_reason", "office": "x_office", "listed_on": "x_listed_on"},
    key=registry.RULES.key,
    row_checks=registry.RULES.row_checks,
    title_fill={"office": named_office("市场监督管理所", "市场监管所", "市场监督管理局", "市场监管局")},
    field_types={**registry.RULES.field_types, "reason": "text", "office": "text", "listed_on": "date"},
)
