"""Per-source rules: which bad values reject a row, extra row checks, stg projection.

Each source module (registry.py, licenses.py, …) builds one `SourceRules`. The shared
engine (engine.py) turns rules + config + raw table into set-based SQL.

Expressions in `columns` and `row_checks` are SQL over the stage-2 names:
`x_<field>` (the cleaned, validated value; NULL when invalid) and `p_<field>` (the raw
cell was not blank). They are code, never input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Union


@dataclass(frozen=True)
class RowCheck:
    """A condition across fields; reported under `field`'s column and raw value. It rejects
    the row, or with `warn` only writes a warning (the row loads as it is)."""

    field: str | tuple[str, ...]   # first of these that the file has
    condition: str
    reason: str
    warn: bool = False


@dataclass(frozen=True)
class SourceRules:
    source: str
    table: str
    #: stg column → SQL expression (batch_id and src_row are added by the engine)
    columns: Union[dict[str, str], Callable[[set[str]], dict[str, str]]]
    #: stg columns that form the natural key (replacement across batches, dedup in file)
    key: tuple[str, ...]
    #: fields whose invalid value rejects the whole row (others: value NULLed + warning)
    reject_fields: frozenset[str] = frozenset()
    #: number fields that must be >= 0
    nonneg: frozenset[str] = frozenset()
    #: fields whose empty value rejects the row
    not_empty: frozenset[str] = frozenset()
    row_checks: tuple[RowCheck, ...] = ()
    #: fields the code needs in the config, with their type
    field_types: dict[str, str] = field(default_factory=dict)
    #: coordinate pair (lon, lat) whose datum is converted to WGS-84
    coords: tuple[str, str] | None = None
    #: rows of this source written to tip_reporters (tips only)
    private_table: str | None = None
    #: private column → SQL expression (written to private_table only)
    private_columns: dict[str, str] = field(default_factory=dict)
    #: superseded rows are copied here (stg columns + superseded_by_batch, superseded_at)
    history_table: str | None = None

    def stg_columns(self, mapped: set[str]) -> dict[str, str]:
        return self.columns(mapped) if callable(self.columns) else dict(self.columns)

    @property
    def needed_fields(self) -> list[str]:
        return list(self.field_types)
