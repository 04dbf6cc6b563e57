-- Every linkable source record as one row: where it says it is and what it is called.
-- Grain: one source record (source, source_key). Uses ref_community_patterns.
CREATE OR REPLACE TEMP TABLE link_records AS
WITH raw AS (
    SELECT 'registry' AS source, source_key, name, address, uscc, NULL::VARCHAR AS phone,
           NULL::DOUBLE AS lon, NULL::DOUBLE AS lat, 1 AS anchor_rank
    FROM stg_registry
    UNION ALL
    SELECT 'licenses', license_no, name, address, uscc, NULL, NULL, NULL, 2 FROM stg_licenses
    UNION ALL
    SELECT 'power_accounts', account_no, account_name, address, NULL, NULL, lon, lat, 3
    FROM stg_power_accounts
    UNION ALL
    SELECT 'sites', site_id, NULL, address, NULL, NULL, lon, lat, 4 FROM stg_sites
    UNION ALL
    SELECT 'waybills', waybill_no, consignee, unload_address, consignee_uscc, NULL, NULL, NULL, 5
    FROM stg_waybills
    UNION ALL
    SELECT 'tips', tip_id, subject, address, NULL, NULL, NULL, NULL, 6 FROM stg_tips
),
stripped AS (
    SELECT *,
        regexp_replace(
            regexp_replace(coalesce(address, ''), '\s+', '', 'g'),
            '^(福建省)?(泉州市)?(晋江市|晋江)?(灵源街道办事处|灵源街道|灵源办事处|灵源)?', ''
        ) AS addr1
    FROM raw
),
with_comm AS (
    SELECT s.*, p.community,
           CASE WHEN p.pattern IS NULL THEN s.addr1 ELSE substr(s.addr1, length(p.pattern) + 1) END AS rest
    FROM stripped s
    LEFT JOIN ref_community_patterns p ON starts_with(s.addr1, p.pattern)
    QUALIFY row_number() OVER (PARTITION BY s.source, s.source_key
                               ORDER BY length(p.pattern) DESC NULLS LAST) = 1
),
parsed AS (
    SELECT *,
        regexp_extract(rest, '^(?:[\p{Han}]{0,4}工业区)?([\p{Han}A-Za-z]{1,10}?(?:路|街|大道|巷|道))([0-9]+)', 1) AS road,
        regexp_extract(rest, '^(?:[\p{Han}]{0,4}工业区)?([\p{Han}A-Za-z]{1,10}?(?:路|街|大道|巷|道))([0-9]+)', 2) AS house_no,
        -- core name: without region prefix, bracketed region and organisational form
        nullif(regexp_replace(regexp_replace(regexp_replace(coalesce(name, ''),
            '[(（][^)）]*[)）]', '', 'g'),
            '^(福建省)?(泉州市)?(晋江市|晋江)?(灵源街道|灵源)?', ''),
            '(股份有限公司|有限责任公司|有限公司|分公司|公司|经营部|商行|个体工商户|厂)$', ''), '') AS core_name
    FROM with_comm
)
SELECT source, source_key, name, address, uscc, lon, lat, anchor_rank, community, road, house_no,
       core_name,
       CASE WHEN community IS NOT NULL AND road <> '' AND house_no <> ''
            THEN community || '|' || road || '|' || house_no END AS addr_key,
       -- a personal name (2–4 Han characters, no trade word) never links by name alone
       CASE WHEN core_name IS NOT NULL AND length(core_name) >= 4 THEN core_name END AS name_key
FROM parsed;
