"""tips — 群众举报 (hotline, 12350, WeChat).

Reporter identity (举报人, 举报人电话) goes to `tip_reporters` only: never into stg_tips,
never into rejects (no checks run on those columns, their raw value is never copied),
never into logs or verdict messages. What a caller writes about themself inside the text
(我是甄隐名，电话139 8765 4322) is masked before the text is stored (mask.py).
Reject vs warn:
  * rejected: empty 举报编号 (the key).
  * warning, value set NULL: unparseable 受理时间.
Key: tip_id; a newer batch replaces the tip (and its reporter row).
"""

from pipeline.ingest.mask import UDF_NAME as _M
from pipeline.ingest.rules import SourceRules

RULES = SourceRules(
    source="tips",
    table="stg_tips",
    # the text is stored masked (pipeline/ingest/mask.py): phone numbers, contact ids and the
    # reporter's name written into it never reach stg_tips; the raw archive copy and
    # tip_reporters are the only places they are kept
    columns={"tip_id": "x_tip_id", "received_at": "x_received_at",
             "content": f"{_M}(x_content, x_reporter, x_reporter_phone)",
             "address": f"{_M}(x_address, x_reporter, x_reporter_phone)",
             "subject": f"{_M}(x_subject, x_reporter, x_reporter_phone)"},
    key=("tip_id",),
    not_empty=frozenset({"tip_id"}),
    private_table="tip_reporters",
    private_columns={"reporter": "x_reporter", "reporter_phone": "x_reporter_phone"},
    field_types={"tip_id": "code", "received_at": "timestamp", "reporter": "text", "reporter_phone": "phone"},
)
