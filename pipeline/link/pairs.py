"""Candidate pairs (blocking) and their comparison vectors.

Every blocking rule is a small pure function returning SQL; each yields pairs of record
ids (rid_l < rid_r) that share a key. The comparison levels are SQL too, the name
similarity included: DuckDB's jaro_winkler_similarity counts characters, not UTF-8
bytes, in the version we pin (tests/test_link.py checks it on 林口鞋业/林格鞋业), so all
pairs stay in the database and only accepted links come out into Python.
"""

from __future__ import annotations

# Blocks larger than this are skipped: a key shared by hundreds of records identifies
# nothing (a common core name like 鑫源, a long road without numbers).
MAX_BLOCK = 300


def block_on_sql(key_expr: str, where: str = "true", max_block: int = MAX_BLOCK) -> str:
    """Pairs of records sharing the value of key_expr (both non-null), in blocks of at most
    max_block records."""
    return f"""
        WITH k AS (
            SELECT rid, {key_expr} AS k FROM int_link_parsed WHERE ({where}) AND {key_expr} IS NOT NULL
        ),
        small AS (SELECT k FROM k GROUP BY k HAVING count(*) <= {int(max_block)})
        SELECT a.rid AS rid_l, b.rid AS rid_r
        FROM k a JOIN k b ON a.k = b.k AND a.rid < b.rid
        WHERE a.k IN (SELECT k FROM small)
    """


def block_on_grid_sql(cell_m: float) -> str:
    """Pairs of records with coordinates in the same or a neighbouring grid cell. Cells
    denser than MAX_BLOCK (a city's meters, not a subdistrict's) only pair their sites, whose
    address is often just "后山废弃养殖场"; the address rules meet the rest."""
    deg = cell_m / 111_000.0
    return f"""
        WITH g AS (
            SELECT rid, source = 'sites' AS is_site,
                   floor(lon / {deg})::BIGINT AS gx, floor(lat / {deg})::BIGINT AS gy
            FROM int_link_parsed WHERE lon IS NOT NULL AND lat IS NOT NULL
        ),
        dense AS (SELECT gx, gy FROM g GROUP BY gx, gy HAVING count(*) > {MAX_BLOCK} // 9)
        SELECT least(a.rid, b.rid) AS rid_l, greatest(a.rid, b.rid) AS rid_r
        FROM g a JOIN g b ON b.gx BETWEEN a.gx - 1 AND a.gx + 1 AND b.gy BETWEEN a.gy - 1 AND a.gy + 1
                          AND a.rid < b.rid
        WHERE a.is_site OR b.is_site
           OR ((a.gx, a.gy) NOT IN (SELECT (gx, gy) FROM dense) AND (b.gx, b.gy) NOT IN (SELECT (gx, gy) FROM dense))
    """


def blocking_rules(grid_m: float) -> dict[str, str]:
    return {
        "uscc": block_on_sql("uscc"),
        "address": block_on_sql("community || '|' || road || '|' || number"),
        "address_text": block_on_sql("addr_rest", "road IS NULL AND length(addr_rest) >= 4"),
        "road_number": block_on_sql("road || '|' || number", "community IS NULL OR community_inferred"),
        "core_name": block_on_sql("core", "NOT is_person"),
        # a common personal name, or a common first/last character of a name, identifies
        # little: those blocks are kept small
        "person_community": block_on_sql("person_key || '|' || community", max_block=40),
        "name_head_community": block_on_sql("community || '|' || left(core, 1)",
                                            "NOT is_person AND length(core) >= 2", max_block=150),
        "name_tail_community": block_on_sql("community || '|' || right(core, 1)",
                                            "NOT is_person AND length(core) >= 2", max_block=150),
        "grid": block_on_grid_sql(grid_m),
    }


def rule_blocking_rules() -> dict[str, str]:
    """Lookups for the rules of link_rules_sql, beyond the model's blocks. Their pairs are
    scored with the model estimated on the blocks above but do not enter its estimation:
    a lookup made for one rule is not a sample of the candidate pairs."""
    return {
        # an address that leaves the community out ("英华路8号3栋") meets the registered one
        # that names it, and the same road and number under two community spellings meet
        "road_number_any": block_on_sql("road || '|' || number"),
        # the boss's meter a few numbers along the road, its community left out
        "person_road": block_on_sql("person_key || '|' || " + road_stem_sql("int_link_parsed"), max_block=40),
        # a short name (凯通新材) and the registered name (凯通新材料) share their first two
        # characters, wherever the short one was said
        "short_name_head": block_on_sql("left(core, 2)", "NOT coalesce(is_person, false) AND length(core) >= 2 "
                                        "AND source IN ('registry', 'tips', 'waybills', 'power_accounts', 'licenses')"),
    }


def candidate_pairs_sql(rules: dict[str, str], exclude: str | None = None) -> str:
    """int_link_candidates: the union of the rules' pairs, minus those already in `exclude`."""
    union = "\nUNION\n".join(f"SELECT rid_l, rid_r FROM ({sql})" for sql in rules.values())
    if exclude:
        union = f"SELECT * FROM ({union}) c WHERE NOT EXISTS (SELECT 1 FROM {exclude} e WHERE e.rid_l = c.rid_l AND e.rid_r = c.rid_r)"
    return f"CREATE OR REPLACE TEMP TABLE int_link_candidates AS {union}"


def comparisons_sql(geo_levels: list[float], name_levels: list[float], table: str = "int_link_pairs") -> str:
    """Comparison levels per candidate pair; -1 = no information (null on either side).
    The thresholds are validated numbers from configs/linking.yaml."""
    g1, g2, g3 = (float(x) for x in geo_levels)
    name_hi, name_mid = (float(x) for x in name_levels)
    return f"""
    CREATE OR REPLACE TABLE {table} AS
    SELECT c.rid_l, c.rid_r,
        CASE WHEN l.uscc IS NULL OR r.uscc IS NULL THEN -1
             WHEN l.uscc = r.uscc THEN 1 ELSE 0 END AS g_uscc,
        CASE WHEN l.person_key IS NULL OR r.person_key IS NULL THEN -1
             WHEN l.person_key = r.person_key THEN 1 ELSE 0 END AS g_person,
        -- an ordered scale: other community < other road < neighbouring number < same number;
        -- a side without road and number tells nothing (−1) unless the whole text agrees
        CASE WHEN l.community IS NULL OR r.community IS NULL THEN
                  CASE WHEN l.road IS NOT NULL AND l.road = r.road AND l.number = r.number THEN 3 ELSE -1 END
             WHEN l.community <> r.community THEN 0
             WHEN l.road = r.road AND l.number = r.number THEN 4
             WHEN l.road IS NULL AND r.road IS NULL AND l.addr_rest = r.addr_rest AND length(l.addr_rest) >= 4 THEN 4
             WHEN l.road IS NULL OR r.road IS NULL OR l.number IS NULL OR r.number IS NULL THEN -1
             WHEN l.road = r.road
                  AND abs(try_cast(l.number AS INTEGER) - try_cast(r.number AS INTEGER)) <= 4 THEN 2
             ELSE 1 END AS g_address,
        CASE WHEN l.lon IS NULL OR r.lon IS NULL THEN -1
             WHEN haversine_m(l.lon, l.lat, r.lon, r.lat) <= {g1} THEN 3
             WHEN haversine_m(l.lon, l.lat, r.lon, r.lat) <= {g2} THEN 2
             WHEN haversine_m(l.lon, l.lat, r.lon, r.lat) <= {g3} THEN 1
             ELSE 0 END AS g_geo,
        -- name: 4 same core and trade, 3 same core, 2/1 Jaro–Winkler on characters above the
        -- high/medium threshold, 0 different, −1 a side has no usable (non-personal) name
        CASE WHEN l.core IS NULL OR r.core IS NULL OR l.is_person OR r.is_person THEN -1
             WHEN l.core = r.core THEN CASE WHEN l.trade IS NOT NULL AND l.trade = r.trade THEN 4 ELSE 3 END
             WHEN jaro_winkler_similarity(l.core, r.core) >= {name_hi} THEN 2
             WHEN jaro_winkler_similarity(l.core, r.core) >= {name_mid} THEN 1
             ELSE 0 END AS g_name
    FROM int_link_candidates c
    JOIN int_link_parsed l ON l.rid = c.rid_l
    JOIN int_link_parsed r ON r.rid = c.rid_r
    """


def road_stem_sql(alias: str) -> str:
    """A road without its 路/街/大道 word: offices write 大布路 and 大布街 for one road."""
    return f"regexp_replace({alias}.road, '(大道|路|街)$', '')"


def _same_road(a: str, b: str) -> str:
    """Same road (by stem) in the same community, or a community left out; no other town."""
    # coalesce: a side without a road is not the same road (NOT NULL would fall through)
    return (f"coalesce({a}.road IS NOT NULL AND {b}.road IS NOT NULL AND {road_stem_sql(a)} = {road_stem_sql(b)} "
            f"AND {a}.other_town IS NULL AND {b}.other_town IS NULL "
            f"AND ({a}.community IS NULL OR {b}.community IS NULL OR {a}.community = {b}.community), false)")


def link_rules_sql(person_sources: list[str], number_gap: int, short_sources: list[str],
                   table: str = "int_link_pairs") -> str:
    """Adds `rule` to the scored pairs: what the offices' own practice says beyond the model.

    legal_rep       a record in a person's name (a meter the power office opened in the boss's
                    name, a waybill consigned to him) and the registered firm whose 法定代表人/
                    经营者 has that name, at the same number (community, 社区/村 form, building
                    and sub-number, 路/街 aside) — at a shared building too: the name decides
                    which firm
    legal_rep_road  the same on the same road where one side gives no number, not for a
                    residential meter, and only when one firm on that road has that legal
                    representative and one meter of that name lies on it
    legal_rep_near  the same, a few numbers along the same road (a neighbouring workshop on the
                    boss's name; `number_gap`, 0 = off) — not for a residential meter: the
                    boss's home is another door
    legal_rep_typo  legal_rep with the boss's name one character off (same length, same surname),
                    at the same door only
    name_typo       a meter or waybill in the firm's own name one character off (length ≥ 8),
                    at the same door only
    short_name      a tip, waybill or meter naming the firm by its 字号 alone or with a shortened
                    trade word (凯通新材 for 凯通新材料), where no address contradicts it

    Whether a rule pair links is decided after it (several firms fitting equally link none).
    The lists are validated source names; the gap a validated integer (configs/linking.yaml).
    """
    ps = ", ".join(f"'{x}'" for x in person_sources) or "NULL"
    ss = ", ".join(f"'{x}'" for x in short_sources) or "NULL"
    gap = int(number_gap)
    return f"""
    CREATE OR REPLACE TABLE {table} AS
    WITH x AS (
        SELECT p.*,
               -- e: the registered side, o: the other record
               CASE WHEN l.source = 'registry' THEN p.rid_l ELSE p.rid_r END AS rid_e,
               CASE WHEN l.source = 'registry' THEN p.rid_r ELSE p.rid_l END AS rid_o
        FROM {table} p JOIN int_link_parsed l ON l.rid = p.rid_l JOIN int_link_parsed r ON r.rid = p.rid_r
        WHERE (l.source = 'registry') <> (r.source = 'registry')
    ),
    judged AS (
        SELECT x.rid_l, x.rid_r,
            CASE
              WHEN x.g_person = 1 AND o.source IN ({ps}) AND o.is_person THEN
                CASE WHEN x.g_address IN (3, 4) THEN 'legal_rep'
                     WHEN NOT ({_same_road("e", "o")}) THEN NULL
                     WHEN e.number = o.number THEN 'legal_rep'
                     -- one side gives no number ("兴业路" for 兴业路183号): not a dwelling, and
                     -- only where the name is unambiguous on that road (below)
                     WHEN (e.number IS NULL OR o.number IS NULL)
                          AND coalesce(o.category, '') NOT IN ('居民生活用电', '农业生产用电') THEN 'legal_rep_road'
                     WHEN abs(try_cast(e.number AS INTEGER) - try_cast(o.number AS INTEGER)) <= {gap}
                          AND coalesce(o.category, '') <> '居民生活用电' THEN 'legal_rep_near' END
              -- one character off at the same door: the boss's name (林韦民 for 林伟民) or the
              -- firm's (祥元 for 祥源) mistyped by a clerk
              WHEN x.g_person <> 1 AND o.source IN ({ps}) AND o.is_person
                   AND length(o.person_key) >= 3 AND length(e.person_key) = length(o.person_key)
                   AND left(e.person_key, 1) = left(o.person_key, 1) AND hamming(e.person_key, o.person_key) = 1
                   AND (x.g_address IN (3, 4) OR ({_same_road("e", "o")}) AND e.number = o.number) THEN 'legal_rep_typo'
              WHEN o.source IN ({ps}) AND NOT coalesce(o.is_person, false) AND NOT coalesce(e.is_person, false)
                   AND length(e.name_norm) >= 8 AND length(e.name_norm) = length(o.name_norm)
                   AND hamming(e.name_norm, o.name_norm) = 1
                   AND (x.g_address IN (3, 4) OR ({_same_road("e", "o")}) AND e.number = o.number) THEN 'name_typo'
              -- a short form: no organisational form, or only a spoken one (凯通厂, 凯通公司)
              WHEN o.source IN ({ss}) AND NOT coalesce(o.is_person, false) AND NOT coalesce(e.is_person, false)
                   AND coalesce(o.form, '') IN ('', '厂', '公司', '店') AND o.name_norm <> e.name_norm
                   AND x.g_uscc <> 0 AND length(e.core) >= 2
                   AND (-- the same 字号, the trade left out or said in part
                        (o.core = e.core AND (o.trade IS NULL OR e.trade IS NULL OR starts_with(e.trade, o.trade)
                                              OR starts_with(o.trade, e.trade) OR ends_with(e.trade, o.trade)))
                        -- 字号 + the trade word's first characters, which the parser cannot split
                        OR (o.trade IS NULL AND e.trade IS NOT NULL AND length(o.core) > length(e.core)
                            AND starts_with(o.core, e.core)
                            AND starts_with(e.trade, substr(o.core, length(e.core) + 1))))
                   AND x.g_address NOT IN (0, 1) THEN 'short_name'
            END AS rule
        , x.rid_e, x.rid_o, o.source AS source_o
        FROM x JOIN int_link_parsed e ON e.rid = x.rid_e JOIN int_link_parsed o ON o.rid = x.rid_o
    ),
    road_level AS (
        -- a name on a road without a number is the firm's only when one firm on that road has
        -- that legal representative and (a firm receives many waybills, but has one such
        -- meter) one meter of that name lies on it
        SELECT rid_l, rid_r,
               count(*) OVER (PARTITION BY rid_o) AS n_firms,
               count(*) OVER (PARTITION BY rid_e, source_o) AS n_records, source_o
        FROM judged WHERE rule = 'legal_rep_road'
    )
    SELECT p.*,
           CASE WHEN j.rule <> 'legal_rep_road' THEN j.rule
                WHEN rl.n_firms = 1 AND (rl.n_records = 1 OR rl.source_o = 'waybills') THEN j.rule END AS rule
    FROM {table} p LEFT JOIN judged j USING (rid_l, rid_r) LEFT JOIN road_level rl USING (rid_l, rid_r)
    """
