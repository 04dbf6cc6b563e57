"""registry — 市场主体登记 (market supervision).

Reject vs warn:
  * rejected: a row with neither 统一社会信用代码 nor 企业名称 (no key can be formed).
  * warning, value set NULL: malformed USCC (wrong length/charset — the row is then keyed
    by name|address), unparseable or implausible 成立日期, 登记状态 outside the vocabulary.
  * warning, value kept: USCC whose check digit fails (uscc_valid = false; DESIGN §8 —
    some early legitimate codes fail the check).
Key: source_key = uscc, else name|address. A newer batch replaces rows of the same key.
"""

from pipeline.ingest.clean_sql import uscc_check_ok_sql
from pipeline.ingest.rules import RowCheck, SourceRules

RULES = SourceRules(
    source="registry",
    table="stg_registry",
    columns={
        "uscc": "x_uscc",
        "uscc_valid": f"CASE WHEN x_uscc IS NOT NULL THEN {uscc_check_ok_sql('x_uscc')} END",
        "name": "x_name", "entity_type": "x_entity_type", "legal_rep": "x_legal_rep",
        "phone": "x_phone", "address": "x_address", "status": "x_status", "founded": "x_founded",
        "industry_code": "x_industry_code", "industry": "x_industry", "scope": "x_scope",
        "source_key": "coalesce(x_uscc, x_name || '|' || coalesce(x_address, ''))",
    },
    key=("source_key",),
    row_checks=(RowCheck("name", "x_uscc IS NULL AND x_name IS NULL", "统一社会信用代码和企业名称均为空，无法识别该主体"),),
    field_types={"uscc": "uscc", "name": "name", "address": "address", "status": "enum", "founded": "date"},
)
