"""tip — 群众举报: the query is tip.sql; this module only makes the masking function it
calls (ing_mask_text, pipeline/ingest/mask.py) available on the connection first."""

from __future__ import annotations

from pathlib import Path

from pipeline.ingest import mask

SQL = Path(__file__).with_suffix(".sql")


def evidence(con, cfg, params):
    from pipeline.signals import _bind   # late: pipeline.signals imports the signal modules

    mask.register(con)
    sql = SQL.read_text(encoding="utf-8").rstrip().rstrip(";")
    return con.execute(sql, _bind(sql, params)).df()
