-- int_link_records: every linkable source record as one row, before parsing.
-- Grain: one source record (source, source_key). Only renames and unions; no linking.
-- `hint`: free text that may name the place when the address does not (a tip's content).
CREATE OR REPLACE TABLE int_link_records AS
SELECT 'registry' AS source, source_key, name, address, uscc, coalesce(uscc_valid, false) AS uscc_valid,
       phone, legal_rep AS person, NULL::DOUBLE AS lon, NULL::DOUBLE AS lat, NULL::VARCHAR AS category,
       NULL::VARCHAR AS hint
FROM int_registry
UNION ALL
SELECT 'licenses', license_no, name, address, uscc, coalesce(uscc_valid, false), NULL, NULL, NULL, NULL, NULL, NULL
FROM stg_licenses
UNION ALL
SELECT 'power_accounts', account_no, account_name, address, NULL, false, NULL, NULL, lon, lat, category, NULL
FROM int_power_accounts
UNION ALL
SELECT 'sites', site_id, NULL, address, NULL, false, NULL, owner, lon, lat, site_type, NULL
FROM stg_sites
UNION ALL
-- the waybill's unloading place is what is linked; the consignee names who is there
SELECT 'waybills', waybill_no, consignee, unload_address, consignee_uscc, consignee_uscc IS NOT NULL,
       NULL, NULL, NULL, NULL, NULL, NULL
FROM stg_waybills
UNION ALL
-- a tip-off often names the place only in its text ("小浯塘社区小浯塘路126号鞋厂门口…"):
-- when the address field gives no road and number, take them from the content
SELECT 'tips', tip_id, subject,
       CASE WHEN regexp_matches(coalesce(address, ''), '[0-9一二三四五六七八九十]+号') THEN address
            ELSE coalesce(nullif(regexp_extract(coalesce(content, ''),
                     '(?:[\p{Han}]{2,3}(?:社区|村))?[\p{Han}]{1,8}?(?:大道|路|街|巷)[0-9一二三四五六七八九十-]+号'), ''),
                     address) END,
       NULL, false, NULL, NULL, NULL, NULL, NULL, content
FROM stg_tips;
