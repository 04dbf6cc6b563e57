-- premises: one place of activity; premises_members: which records belong to it.
-- Needs int_link_parsed and link_assign(rid, premises_id, match_score, match_rule).
-- Every choice among a premises' records has a total order — anchor rank, then source and
-- source_key (unique) — so ties never depend on the order rows arrive in (parallel hash
-- aggregation makes that order vary from run to run).
CREATE OR REPLACE TABLE premises_members AS
SELECT a.premises_id, p.source, p.source_key, a.match_score, a.match_rule
FROM link_assign a JOIN int_link_parsed p USING (rid);

CREATE OR REPLACE TABLE premises AS
WITH recs AS (
    SELECT a.premises_id, p.*,
           CASE p.source WHEN 'registry' THEN 1 WHEN 'licenses' THEN 2 WHEN 'power_accounts' THEN 3
                         WHEN 'sites' THEN 4 WHEN 'waybills' THEN 5 ELSE 6 END AS anchor_rank
    FROM link_assign a JOIN int_link_parsed p USING (rid)
),
comm AS (
    -- the community most records state; a tie goes to the best-anchored record's (mode() has
    -- no tiebreak)
    SELECT premises_id, community,
           count(*) FILTER (WHERE NOT community_inferred) AS n_stated,
           min((anchor_rank, source, source_key)) FILTER (WHERE NOT community_inferred) AS best_stated,
           count(*) AS n_any, min((anchor_rank, source, source_key)) AS best_any
    FROM recs WHERE community IS NOT NULL GROUP BY premises_id, community
),
comm_pick AS (
    SELECT premises_id,
           arg_min(community, (-n_stated, best_stated)) FILTER (WHERE n_stated > 0) AS community_stated,
           arg_min(community, (-n_any, best_any)) AS community_any
    FROM comm GROUP BY premises_id
),
agg AS (
    SELECT premises_id,
           -- the registered name first; a power account's name only if it is not a person's
           coalesce(arg_min(name, (anchor_rank, source, source_key)) FILTER (WHERE source IN ('registry', 'licenses')),
                    arg_min(name, (anchor_rank, source, source_key)) FILTER (WHERE source = 'power_accounts' AND NOT coalesce(is_person, false)),
                    arg_min(name, (anchor_rank, source, source_key)) FILTER (WHERE source = 'waybills'),
                    arg_min(name, (anchor_rank, source, source_key)) FILTER (WHERE name IS NOT NULL)) AS name,
           arg_min(address, (anchor_rank, source, source_key)) FILTER (WHERE address IS NOT NULL AND road IS NOT NULL) AS address_full,
           arg_min(address, (anchor_rank, source, source_key)) FILTER (WHERE address IS NOT NULL) AS address_any,
           arg_min(uscc, (anchor_rank, source, source_key)) FILTER (WHERE uscc IS NOT NULL AND source IN ('registry', 'licenses')) AS uscc,
           arg_min(community || '|' || road || '|' || number, (anchor_rank, source, source_key))
               FILTER (WHERE community IS NOT NULL AND road IS NOT NULL AND number IS NOT NULL) AS addr_key,
           -- exact (decimal) sums: a float sum depends on the order parallel threads add in
           (avg(lon::DECIMAL(18, 9)) FILTER (WHERE source = 'power_accounts'))::DOUBLE AS lon_meter,
           (avg(lat::DECIMAL(18, 9)) FILTER (WHERE source = 'power_accounts'))::DOUBLE AS lat_meter,
           (avg(lon::DECIMAL(18, 9)) FILTER (WHERE source = 'sites'))::DOUBLE AS lon_site,
           (avg(lat::DECIMAL(18, 9)) FILTER (WHERE source = 'sites'))::DOUBLE AS lat_site,
           count(*) AS n_records
    FROM recs GROUP BY premises_id
)
SELECT g.premises_id, g.name, coalesce(g.address_full, g.address_any) AS address, g.uscc,
       coalesce(g.community_stated, g.community_any, near.community, (SELECT unassigned FROM ref_settings)) AS community,
       CASE WHEN g.community_any IS NOT NULL THEN 'address'
            WHEN near.community IS NOT NULL THEN 'coordinates' ELSE 'none' END AS community_source,
       coalesce(g.lon_meter, g.lon_site, cc.lon) AS lon,
       coalesce(g.lat_meter, g.lat_site, cc.lat) AS lat,
       CASE WHEN g.lon_meter IS NOT NULL THEN 'meter_gps'
            WHEN g.lon_site IS NOT NULL THEN 'site_inventory'
            WHEN cc.lon IS NOT NULL THEN 'community_centroid' END AS coord_precision,
       -- premises at the same community + road + number share a place (厂中厂, shared buildings)
       CASE WHEN g.addr_key IS NOT NULL THEN 'S' || upper(substr(sha256(g.addr_key), 1, 10))
            ELSE 'S' || substr(g.premises_id, 2) END AS place_id,
       g.n_records
FROM (SELECT * FROM agg LEFT JOIN comm_pick USING (premises_id)) g
LEFT JOIN LATERAL (
    SELECT rc.name AS community
    FROM ref_communities rc
    WHERE coalesce(g.lon_meter, g.lon_site) IS NOT NULL
      AND haversine_m(rc.lon, rc.lat, coalesce(g.lon_meter, g.lon_site), coalesce(g.lat_meter, g.lat_site))
          <= (SELECT max_distance_m FROM ref_settings)
    ORDER BY haversine_m(rc.lon, rc.lat, coalesce(g.lon_meter, g.lon_site), coalesce(g.lat_meter, g.lat_site)),
             rc.name
    LIMIT 1
) near ON true
LEFT JOIN ref_communities cc
       ON cc.name = coalesce(g.community_stated, g.community_any, near.community);

-- how many premises share each place; the signals read 厂中厂 from here
CREATE OR REPLACE TABLE places AS
SELECT place_id, count(*) AS n_premises, list(premises_id ORDER BY premises_id) AS premises_ids
FROM premises GROUP BY place_id;
