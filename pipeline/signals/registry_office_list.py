"""registry_office_list — the query is registry_office_list.sql; this module first reads the
listed firms' names with the chemical lexicon (configs/chemical_words.yaml): a name counts as
a chemical firm's only for a name word outside a trap compound, as registry_chemical reads it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.signals.registry_chemical import lexicon_path
from pipeline.signals.scope import load_lexicon, named_words

SQL = Path(__file__).with_suffix(".sql")


def evidence(con, cfg, params):
    from pipeline.signals import _bind   # late: pipeline.signals imports the signal modules

    lex = load_lexicon(lexicon_path(cfg))
    # signal_params turns word lists into regexes; the lexicon reading needs the words
    words = cfg.scoring["signals"]["registry_office_list"].get("name_words", [])
    names = [r[0] for r in con.execute("SELECT DISTINCT name FROM stg_registry_list WHERE name IS NOT NULL "
                                       "ORDER BY name").fetchall()]
    con.register("_office_named", pd.DataFrame(
        {"name": pd.Series(names, dtype="string"),
         "named": pd.Series([bool(named_words(n, words, lex)) for n in names], dtype="bool")}))
    try:
        sql = SQL.read_text(encoding="utf-8").rstrip().rstrip(";")
        return con.execute(sql, _bind(sql, params)).df()
    finally:
        con.unregister("_office_named")
