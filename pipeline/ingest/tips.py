"""tips — 群众举报 (hotline, 12350, WeChat).

Reporter identity (举报人, 举报人电话) goes to `tip_reporters` only: never into stg_tips,
never into rejects (no checks run on those columns, their raw value is never copied),
never into logs or verdict messages.
Reject vs warn:
  * rejected: empty 举报编号 (the key).
  * warning, value set NULL: unparseable 受理时间.
Key: tip_id; a newer batch replaces the tip (and its reporter row).
"""

from pipeline.ingest.rules import SourceRules

RULES = SourceRules(
    source="tips",
    table="stg_tips",
    columns={"tip_id": "x_tip_id", "received_at": "x_received_at", "content": "x_content",
             "address": "x_address", "subject": "x_subject"},
    key=("tip_id",),
    not_empty=frozenset({"tip_id"}),
    private_table="tip_reporters",
    private_columns={"reporter": "x_reporter", "reporter_phone": "x_reporter_phone"},
    field_types={"tip_id": "code", "received_at": "timestamp", "reporter": "text", "reporter_phone": "phone"},
)
