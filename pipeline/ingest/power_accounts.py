"""power_accounts — 电力用户档案 (power supply office).

Reject vs warn:
  * rejected: empty or malformed 户号 (digits, length from config `length`, default 5–20;
    an account turned into 1.23E+11 by Excel is rejected with its own reason). Account
    numbers stay text: leading zeros are kept.
  * warning, value set NULL: 用电类别 / 用户状态 outside the vocabulary (the account is still
    a place with power — losing it would hide it from screening), bad 合同容量, bad 立户日期,
    coordinates not numeric or outside China's range (both lon and lat are then NULL).
Coordinates: converted from the configured datum (default GCJ-02) to WGS-84.
Key: account_no; a newer batch replaces rows of the same account.
"""

from pipeline.ingest.rules import SourceRules

RULES = SourceRules(
    source="power_accounts",
    table="stg_power_accounts",
    columns={
        "account_no": "x_account_no", "account_name": "x_account_name", "address": "x_address",
        "category": "x_category", "voltage": "x_voltage", "capacity_kva": "x_capacity_kva",
        "opened": "x_opened", "status": "x_status", "transformer": "x_transformer",
        "lon": "x_lon", "lat": "x_lat",
    },
    key=("account_no",),
    not_empty=frozenset({"account_no"}),
    nonneg=frozenset({"capacity_kva"}),
    coords=("lon", "lat"),
    field_types={"account_no": "account", "category": "enum", "capacity_kva": "number",
                 "opened": "date", "lon": "lon", "lat": "lat"},
)
