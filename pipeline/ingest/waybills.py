"""waybills — 危险货物道路运输电子运单 (transport).

Reject vs warn:
  * rejected: empty 运单编号 (the key).
  * warning, value set NULL: malformed 收货人统一社会信用代码, bad 起运日期, 数量 not a
    number or negative, 车牌号 not a plate.
  * warning, value kept: consignee USCC check digit fails.
Quantity: "12.5吨" / "500 kg" in the 数量 cell, or a separate 单位 column; the unit is
normalised (吨 / kg / L / m3) and quantity_kg filled for mass units (volume → NULL).
Plates are normalised (闽C·12345 → 闽C12345).
Key: waybill_no; a newer batch replaces rows of the same waybill.
"""

from pipeline.ingest import clean_sql as C
from pipeline.ingest.rules import SourceRules

_UNIT = C.unit_sql(f"coalesce({C.unit_suffix_sql('r_quantity')}, x_unit)")

RULES = SourceRules(
    source="waybills",
    table="stg_waybills",
    columns={
        "waybill_no": "x_waybill_no", "shipper": "x_shipper", "carrier": "x_carrier",
        "consignee": "x_consignee", "consignee_uscc": "x_consignee_uscc",
        "load_address": "x_load_address", "unload_address": "x_unload_address", "goods": "x_goods",
        "un_no": "x_un_no", "hazard_class": "x_hazard_class", "quantity": "x_quantity",
        "unit": _UNIT, "quantity_kg": C.to_kg_sql("x_quantity", _UNIT),
        "plate": "x_plate", "depart_at": "x_depart_at",
    },
    key=("waybill_no",),
    not_empty=frozenset({"waybill_no"}),
    nonneg=frozenset({"quantity"}),
    field_types={"waybill_no": "code", "consignee_uscc": "uscc", "quantity": "number",
                 "unit": "text", "plate": "plate", "depart_at": "timestamp"},
)
