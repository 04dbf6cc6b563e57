"""sites — 闲置厂房/废弃养殖场/闲置民房/矿山宕口 inventory.

Reject vs warn:
  * rejected: empty 编号 (the key).
  * warning, value set NULL: 类型 outside the vocabulary; coordinates not numeric or out of
    range (both set NULL — the site is still placed by its address).
Datum: configured (default WGS-84); GCJ-02 is converted. Key: site_id.
"""

from pipeline.ingest.rules import SourceRules

RULES = SourceRules(
    source="sites",
    table="stg_sites",
    columns={"site_id": "x_site_id", "site_type": "x_site_type", "address": "x_address",
             "owner": "x_owner", "lon": "x_lon", "lat": "x_lat"},
    key=("site_id",),
    not_empty=frozenset({"site_id"}),
    coords=("lon", "lat"),
    field_types={"site_id": "code", "site_type": "enum", "lon": "lon", "lat": "lat"},
)
