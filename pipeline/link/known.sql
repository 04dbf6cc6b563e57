-- What the offices' lists tell about accounts and firms that their full exports did not.
-- A subdistrict may get only the power office's 电量激增清单 or its monthly bills (户名 and
-- 用电地址 on each row) instead of the 用电客户档案, or only the market office's screened list
-- instead of the whole registry. Link, signals and lists read these int_* tables, so such a
-- record still becomes a premises with its name and address.

-- int_power_accounts — grain: account_no. The roster (stg_power_accounts) where it has the
-- account; else the latest name/address/category the surge list or the monthly bills give, and
-- the first billed month as its opening date when the bills show it.
CREATE OR REPLACE VIEW int_power_accounts AS
SELECT a.*, 'power_accounts' AS known_from FROM stg_power_accounts a
UNION ALL BY NAME
SELECT account_no, account_name, address, category, known_from,
       -- an account whose bills start after the export's first month was opened then
       -- (a new meter); one billed from the first month on may be any age
       (SELECT CASE WHEN min(b.day) > (SELECT min(day) FROM stg_power_readings WHERE period = 'month')
                    THEN min(b.day) END
        FROM stg_power_readings b WHERE b.account_no = x.account_no AND b.period = 'month' AND b.kwh > 0) AS opened
FROM (
    SELECT account_no, account_name, address, category, 'power_surge_list' AS known_from,
           period_end AS seen, 1 AS pref, batch_id, src_row
    FROM stg_power_surge_list
    WHERE account_name IS NOT NULL OR address IS NOT NULL
    UNION ALL
    SELECT account_no, account_name, address, category, 'power_readings', day, 2, batch_id, src_row
    FROM stg_power_readings
    WHERE account_name IS NOT NULL OR address IS NOT NULL
) x
WHERE account_no NOT IN (SELECT account_no FROM stg_power_accounts WHERE account_no IS NOT NULL)
QUALIFY row_number() OVER (PARTITION BY account_no ORDER BY seen DESC, pref, batch_id DESC, src_row) = 1;

-- int_registry — grain: source_key. The registry, plus the market office's listed firms the
-- registry export lacks (same columns; `known_from` says which).
CREATE OR REPLACE VIEW int_registry AS
SELECT r.*, 'registry' AS known_from FROM stg_registry r
UNION ALL BY NAME
SELECT batch_id, src_row, uscc, uscc_valid, name, entity_type, legal_rep, phone, address, status, founded,
       industry_code, industry, scope, source_key, 'registry_list' AS known_from
FROM stg_registry_list
WHERE source_key NOT IN (SELECT source_key FROM stg_registry WHERE source_key IS NOT NULL)
QUALIFY row_number() OVER (PARTITION BY source_key ORDER BY batch_id DESC, src_row) = 1;
