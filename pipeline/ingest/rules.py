"""Per-source rules: which bad values reject a row, extra row checks, stg projection.

Each source module (registry.py, licenses.py, …) builds one `SourceRules`. The shared
engine (engine.py) turns rules + config + raw table into set-based SQL.

Expressions in `columns` and `row_checks` are SQL over the stage-2 names:
`x_<field>` (the cleaned, validated value; NULL when invalid) and `p_<field>` (the raw
cell was not blank). They are code, never input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Union

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


def named_office(*suffixes: str) -> Callable[[str], str | None]:
    """A finder of the office a title or file name names: the first word ending in one of
    `suffixes` (tried in order) — "罗山供电所 电量激增用户清单" → 罗山供电所. The word is the run of
    Chinese characters before the suffix, cut after a 公司/局 inside it (国网晋江市供电公司罗山供电所
    → 罗山供电所) and to 10 characters."""
    def find(text: str) -> str | None:
        for suf in suffixes:
            for m in _CJK_RUN.finditer(text):
                run = m.group(0)
                i = run.find(suf)
                if i < 0:
                    continue
                head = re.split(r"公司|局", run[:i])[-1][-10:]
                if head:
                    return head + suf
        return None
    return find


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
    #: stg column → finder (text → value or None) run over the rows above the header, then the
    #: file name: fills the column where the row left it empty (the 供电所 a list's title names)
    title_fill: dict[str, Callable[[str], str | None]] = field(default_factory=dict)

    def stg_columns(self, mapped: set[str]) -> dict[str, str]:
        return self.columns(mapped) if callable(self.columns) else dict(self.columns)

    @property
    def needed_fields(self) -> list[str]:
        return list(self.field_types)
