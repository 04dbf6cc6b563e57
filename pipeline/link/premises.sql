-- premises: one physical place; premises_members: which records belong to it.
-- Needs link_components(source, source_key, component).
CREATE OR REPLACE TABLE premises_members AS
SELECT c.component, r.source, r.source_key, 1.0::DOUBLE AS match_score, c.match_rule
FROM link_components c JOIN link_records r USING (source, source_key);

CREATE OR REPLACE TABLE premises AS
WITH ranked AS (
    SELECT c.component, r.*,
           row_number() OVER (PARTITION BY c.component ORDER BY r.anchor_rank, r.source_key) AS rn
    FROM link_components c JOIN link_records r USING (source, source_key)
),
anchor AS (
    SELECT component, 'P' || substr(sha256(source || ':' || source_key), 1, 10) AS premises_id
    FROM ranked WHERE rn = 1
),
named AS (
    SELECT component,
           arg_min(name, anchor_rank * 10 + CASE WHEN source = 'power_accounts' THEN 5 ELSE 0 END)
               FILTER (WHERE name IS NOT NULL) AS name,
           arg_min(address, anchor_rank) FILTER (WHERE address IS NOT NULL) AS address,
           arg_min(uscc, anchor_rank) FILTER (WHERE uscc IS NOT NULL) AS uscc,
           mode(community) FILTER (WHERE community IS NOT NULL) AS community_by_address,
           avg(lon) FILTER (WHERE source = 'power_accounts') AS lon_meter,
           avg(lat) FILTER (WHERE source = 'power_accounts') AS lat_meter,
           avg(lon) FILTER (WHERE source = 'sites') AS lon_site,
           avg(lat) FILTER (WHERE source = 'sites') AS lat_site,
           count(*) AS n_records
    FROM ranked GROUP BY component
)
SELECT a.premises_id, n.name, n.address, n.uscc,
       coalesce(n.community_by_address, near.community, (SELECT unassigned FROM ref_settings)) AS community,
       CASE WHEN n.community_by_address IS NOT NULL THEN 'address'
            WHEN near.community IS NOT NULL THEN 'coordinates' ELSE 'none' END AS community_source,
       coalesce(n.lon_meter, n.lon_site, cc.lon) AS lon,
       coalesce(n.lat_meter, n.lat_site, cc.lat) AS lat,
       CASE WHEN n.lon_meter IS NOT NULL THEN 'meter_gps'
            WHEN n.lon_site IS NOT NULL THEN 'site_inventory'
            WHEN cc.lon IS NOT NULL THEN 'community_centroid' END AS coord_precision,
       n.n_records, n.component
FROM named n
JOIN anchor a USING (component)
LEFT JOIN LATERAL (
    SELECT rc.name AS community
    FROM ref_communities rc
    WHERE coalesce(n.lon_meter, n.lon_site) IS NOT NULL
      AND haversine_m(rc.lon, rc.lat, coalesce(n.lon_meter, n.lon_site), coalesce(n.lat_meter, n.lat_site))
          <= (SELECT max_distance_m FROM ref_settings)
    ORDER BY haversine_m(rc.lon, rc.lat, coalesce(n.lon_meter, n.lon_site), coalesce(n.lat_meter, n.lat_site))
    LIMIT 1
) near ON true
LEFT JOIN ref_communities cc ON cc.name = coalesce(n.community_by_address, near.community);

CREATE OR REPLACE TABLE premises_members AS
SELECT p.premises_id, m.source, m.source_key, m.match_score, m.match_rule
FROM premises_members m JOIN premises p USING (component);
ALTER TABLE premises DROP COLUMN component;
