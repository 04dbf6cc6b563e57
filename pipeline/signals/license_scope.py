"""license_scope (family licenses): a licensed firm outside its licence (seed 二(一)1).

The query is license_scope.sql. This module supplies the waybills it does not hold against
the licence scope: deliveries that are the firm's registered trade's ordinary use, judged
by waybill_unlicensed's own settings (`industry_use`, `explained_max_kg`, night hours) so
the two signals read a delivery the same way. A shoe factory holding a use licence for
ethanol and acetone that takes a daytime drum of shoe glue is using what its trade uses,
not producing or storing beyond its licence; a tanker load, a night delivery or goods its
trade does not use still count.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.signals import _bind, signal_params
from pipeline.signals.waybill_unlicensed import judged_waybills

SQL = Path(__file__).with_suffix(".sql")


def explained_waybills(con, cfg, params) -> pd.DataFrame:
    """waybill_no of every waybill that is its receiver's registered trade's ordinary use."""
    if "waybill_unlicensed" not in cfg.scoring["signals"]:
        return pd.DataFrame({"waybill_no": pd.Series(dtype=str)})
    wp = signal_params(cfg, "waybill_unlicensed", params["as_of"])
    wp["night_hours"] = params.get("night_hours", [[22, 24], [0, 6]])
    wp["lookback_days"] = 100 * 366         # every waybill up to the run date, as the query reads them
    wb = judged_waybills(con, wp)
    return wb.loc[wb["explained"].fillna(False).astype(bool), ["waybill_no"]] if len(wb) else \
        pd.DataFrame({"waybill_no": pd.Series(dtype=str)})


def evidence(con, cfg, params) -> pd.DataFrame:
    con.register("_ls_explained", explained_waybills(con, cfg, params))
    try:
        sql = SQL.read_text(encoding="utf-8").rstrip().rstrip(";")
        return con.execute(sql, _bind(sql, params)).df()
    finally:
        con.unregister("_ls_explained")
