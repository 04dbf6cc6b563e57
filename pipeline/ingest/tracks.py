"""tracks — 重点营运车辆 GPS (transport, JT/T 808/809).

Reject vs warn (a fix without place or time is useless for dwell detection):
  * rejected: empty or malformed 车牌号, 定位时间 empty/unparseable/implausible,
    经度/纬度 empty, not numeric or out of range (lon 73–136, lat 3–54).
  * warning, value set NULL: 速度 not numeric or negative, 方向 not numeric.
Datum: configured (default WGS-84); GCJ-02 is converted. Key: (plate, ts).
"""

from pipeline.ingest.rules import SourceRules

RULES = SourceRules(
    source="tracks",
    table="stg_tracks",
    columns={"plate": "x_plate", "ts": "x_ts", "lon": "x_lon", "lat": "x_lat",
             "speed": "x_speed", "heading": "x_heading"},
    key=("plate", "ts"),
    reject_fields=frozenset({"plate", "ts", "lon", "lat"}),
    not_empty=frozenset({"plate", "ts", "lon", "lat"}),
    nonneg=frozenset({"speed"}),
    coords=("lon", "lat"),
    field_types={"plate": "plate", "ts": "timestamp", "lon": "lon", "lat": "lat"},
)
