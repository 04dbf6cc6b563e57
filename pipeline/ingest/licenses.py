"""licenses — 危险化学品 安全生产/经营/使用 许可 (safety office).

Reject vs warn:
  * rejected: empty 许可证编号 (the key).
  * warning, value set NULL: malformed USCC, unparseable/implausible 有效期起/至,
    许可类型 outside the vocabulary.
  * warning, value kept: USCC check digit fails (uscc_valid = false).
Key: license_no; a newer batch replaces rows of the same number.
"""

from pipeline.ingest.clean_sql import uscc_check_ok_sql
from pipeline.ingest.rules import SourceRules

RULES = SourceRules(
    source="licenses",
    table="stg_licenses",
    columns={
        "license_no": "x_license_no", "name": "x_name", "uscc": "x_uscc",
        "uscc_valid": f"CASE WHEN x_uscc IS NOT NULL THEN {uscc_check_ok_sql('x_uscc')} END",
        "license_type": "x_license_type", "scope": "x_scope", "valid_from": "x_valid_from",
        "valid_to": "x_valid_to", "address": "x_address",
    },
    key=("license_no",),
    not_empty=frozenset({"license_no"}),
    field_types={"license_no": "code", "uscc": "uscc", "valid_from": "date", "valid_to": "date"},
)
