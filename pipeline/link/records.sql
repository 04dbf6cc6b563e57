-- int_link_records: every linkable source record as one row, before parsing.
-- Grain: one source record (source, source_key). Only renames and unions; no linking.
CREATE OR REPLACE TABLE int_link_records AS
SELECT 'registry' AS source, source_key, name, address, uscc, coalesce(uscc_valid, false) AS uscc_valid,
       phone, legal_rep AS person, NULL::DOUBLE AS lon, NULL::DOUBLE AS lat, NULL::VARCHAR AS category
FROM stg_registry
UNION ALL
SELECT 'licenses', license_no, name, address, uscc, coalesce(uscc_valid, false), NULL, NULL, NULL, NULL, NULL
FROM stg_licenses
UNION ALL
SELECT 'power_accounts', account_no, account_name, address, NULL, false, NULL, NULL, lon, lat, category
FROM stg_power_accounts
UNION ALL
SELECT 'sites', site_id, NULL, address, NULL, false, NULL, owner, lon, lat, site_type
FROM stg_sites
UNION ALL
-- the waybill's unloading place is what is linked; the consignee names who is there
SELECT 'waybills', waybill_no, consignee, unload_address, consignee_uscc, consignee_uscc IS NOT NULL,
       NULL, NULL, NULL, NULL, NULL
FROM stg_waybills
UNION ALL
SELECT 'tips', tip_id, subject, address, NULL, false, NULL, NULL, NULL, NULL, NULL
FROM stg_tips;
