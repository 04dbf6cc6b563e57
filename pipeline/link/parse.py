"""Parse the distinct names and addresses of int_link_records into int_link_parsed.

Parsing runs in Python over *distinct* strings (a few thousand in a subdistrict, about a
million in a city) — the parsers are rule sets that read better in Python than in SQL —
and the results go back into DuckDB for every set-based step that follows.
"""

from __future__ import annotations

import pandas as pd

from pipeline.link.addresses import community_in_text, community_patterns, parse_address
from pipeline.link.names import normalise_text, parse_name

_PARSED_SQL = """
CREATE OR REPLACE TABLE int_link_parsed AS
WITH base AS (
    SELECT row_number() OVER (ORDER BY r.source, r.source_key) - 1 AS rid, r.*,
           n.core, n.trade, n.form, n.is_person, n.name_norm,
           a.community AS addr_community, a.other_town, a.road, a.number, a.number_to, a.building,
           a.qualifier, a."group", a.rest AS addr_rest, pn.person_norm, h.community AS hint_community
    FROM int_link_records r
    LEFT JOIN _names n ON n.raw = r.name
    LEFT JOIN _addrs a ON a.raw = r.address
    LEFT JOIN _persons pn ON pn.raw = r.person
    LEFT JOIN _hints h ON h.raw = r.hint
),
-- a road that appears under only one community tells the community of an address that
-- names the road but not the community ("林口路5号")
road_home AS (
    SELECT road, any_value(addr_community) AS community
    FROM base WHERE road IS NOT NULL AND addr_community IS NOT NULL
    GROUP BY road HAVING count(DISTINCT addr_community) = 1
)
-- a community the text names ("英塘村晚上有刺鼻气味…") is what the reporter said: stated, and
-- before a road's usual community
SELECT b.* EXCLUDE (addr_community, hint_community),
       coalesce(b.addr_community, CASE WHEN b.other_town IS NULL THEN coalesce(b.hint_community, rh.community) END) AS community,
       b.addr_community IS NULL AND b.hint_community IS NULL AND rh.community IS NOT NULL AND b.other_town IS NULL
           AS community_inferred,
       -- the personal name a record carries: an account or subject that is a person's name,
       -- a registry legal representative, a site owner
       coalesce(b.person_norm, CASE WHEN b.is_person THEN b.core END) AS person_key
FROM base b LEFT JOIN road_home rh USING (road)
"""


def parse_records(con, community_names: list[str], aliases: dict[str, list[str]] | None = None) -> int:
    pats = community_patterns(community_names, aliases)
    names = [r[0] for r in con.execute(
        "SELECT DISTINCT name FROM int_link_records WHERE name IS NOT NULL").fetchall()]
    addrs = [r[0] for r in con.execute(
        "SELECT DISTINCT address FROM int_link_records WHERE address IS NOT NULL").fetchall()]
    persons = [r[0] for r in con.execute(
        "SELECT DISTINCT person FROM int_link_records WHERE person IS NOT NULL").fetchall()]
    name_rows = []
    for raw in names:
        p = parse_name(raw, place_words=community_names)
        name_rows.append((raw, p.core or None, p.trade or None, p.form or None, p.is_person, p.normal))
    addr_rows = []
    for raw in addrs:
        a = parse_address(raw, pats)
        addr_rows.append((raw, a.community, a.other_town, a.road, a.number, a.number_to, a.building,
                          a.qualifier, a.group, a.rest))
    person_rows = [(raw, normalise_text(raw) or None) for raw in persons]
    hints = [r[0] for r in con.execute(
        "SELECT DISTINCT hint FROM int_link_records WHERE hint IS NOT NULL").fetchall()]
    hint_rows = [(raw, community_in_text(raw, community_names, aliases)) for raw in hints]
    frames = {
        "_names": pd.DataFrame(name_rows, columns=["raw", "core", "trade", "form", "is_person", "name_norm"]),
        "_addrs": pd.DataFrame(addr_rows, columns=["raw", "community", "other_town", "road", "number",
                                                   "number_to", "building", "qualifier", "group", "rest"]),
        "_persons": pd.DataFrame(person_rows, columns=["raw", "person_norm"]),
        "_hints": pd.DataFrame(hint_rows, columns=["raw", "community"]),
    }
    for k, df in frames.items():
        if df.empty:  # keep column types when a source is absent
            df = df.astype({c: "object" for c in df.columns}).astype({"is_person": "bool"} if k == "_names" else {})
        con.register(k, df)
    try:
        con.execute(_PARSED_SQL)
    finally:
        for k in frames:
            con.unregister(k)
    return con.execute("SELECT count(*) FROM int_link_parsed").fetchone()[0]
