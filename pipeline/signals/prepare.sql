-- Daily consumption per premises (sum of its power accounts), the base of the power signals.
-- Grain: premises × day. Monthly-only readings are not used for daily signals.
CREATE OR REPLACE TEMP TABLE sig_account_premises AS
SELECT m.premises_id, a.account_no, a.category, a.status
FROM premises_members m JOIN int_power_accounts a ON m.source = 'power_accounts' AND a.account_no = m.source_key;

-- The time-of-use split (peak, flat, valley) rides along for the signals that look at the
-- shape of the daily load.
CREATE OR REPLACE TEMP TABLE sig_daily AS
SELECT ap.premises_id, r.day,
       sum(r.kwh) AS kwh, sum(r.kwh_peak) AS kwh_peak, sum(r.kwh_flat) AS kwh_flat,
       sum(r.kwh_valley) AS kwh_valley
FROM stg_power_readings r JOIN sig_account_premises ap USING (account_no)
WHERE r.period = 'day' AND r.day <= $as_of
GROUP BY ALL;

-- Consumption levels for the signals that only ask "how much does it draw" (cover_name,
-- status_mismatch, unregistered_power, multi_entity, license_scope): daily readings where
-- they exist, else each monthly bill spread evenly over its days (grain = 'month'). A
-- subdistrict whose power office hands over only the 营销系统's monthly bills still gets
-- these checks; the shape-reading signals (surge, night, flat …) keep to sig_daily.
-- Only whole months up to the run date, and only recent ones, are spread.
CREATE OR REPLACE TEMP TABLE sig_use AS
SELECT premises_id, day, sum(kwh) AS kwh, CASE WHEN bool_or(grain = 'month') THEN 'month' ELSE 'day' END AS grain
FROM (
    SELECT premises_id, day, kwh, 'day' AS grain FROM sig_daily
    UNION ALL
    SELECT premises_id, CAST(d AS DATE), kwh, 'month'
    FROM (
        SELECT ap.premises_id, r.kwh / dayofmonth(last_day(r.day)) AS kwh,
               unnest(generate_series(CAST(r.day AS TIMESTAMP), CAST(last_day(r.day) AS TIMESTAMP), INTERVAL 1 DAY)) AS d
        FROM stg_power_readings r JOIN sig_account_premises ap USING (account_no)
        WHERE r.period = 'month' AND last_day(r.day) <= $as_of AND last_day(r.day) > $as_of - 200
          AND NOT EXISTS (SELECT 1 FROM stg_power_readings x
                          WHERE x.account_no = r.account_no AND x.period = 'day'
                            AND x.day BETWEEN r.day AND last_day(r.day))
    )
)
GROUP BY premises_id, day;

-- Hazardous-chemicals licences of each premises, with the end date the signals use.
-- A 安全生产/经营/使用许可 runs three years, and its number carries the year of issue
-- (…〔2021〕0119号): a licence issued in year Y cannot end before 31 December of Y+2. A recorded
-- end date before the start date, or before that earliest possible end, contradicts the
-- licence itself — a record error (most often a renewal entered with the old date) — so the
-- end date is taken as unknown (valid_to NULL, as for a licence without one) and the
-- recorded date is kept in valid_to_recorded. A licence re-issued after a change (变更)
-- keeps its number and its end date, so it stays consistent and is taken as recorded.
CREATE OR REPLACE TEMP TABLE sig_licences AS
WITH l AS (
    SELECT m.premises_id, l.license_no, l.license_type, l.scope, l.valid_from, l.valid_to,
           TRY_CAST(regexp_extract(l.license_no, '[〔\[［(（]((?:19|20)\d\d)[〕\]］)）]', 1) AS INTEGER) AS issue_year
    FROM premises_members m JOIN stg_licenses l ON m.source = 'licenses' AND l.license_no = m.source_key
)
SELECT premises_id, license_no, license_type, scope, valid_from,
       CASE WHEN doubtful THEN NULL ELSE valid_to END AS valid_to,
       valid_to AS valid_to_recorded, doubtful AS expiry_doubtful
FROM (SELECT *, coalesce(valid_to < valid_from OR valid_to < make_date(issue_year + 2, 12, 31), false) AS doubtful FROM l);

-- Premises that are only meters in a person's name, at a street number where exactly one
-- registered business is and that business has no meter of its own: most likely that
-- business's supply, opened in the boss's or the landlord's name (power offices often do),
-- which the link stage could not join by name (the landlord appears in no other record) or
-- would not (a residential tariff). Power alone there is no sign of an unregistered occupant
-- (unregistered_power, multi_entity) nor of a workshop on a home tariff drawing steadily
-- (power_industrial_on_residential); a rise, night work, waybills still count.
CREATE OR REPLACE TEMP TABLE sig_firm_meter AS
WITH kinds AS (
    SELECT m.premises_id, p.place_id,
           bool_and(m.source = 'power_accounts' AND coalesce(q.is_person, false)) AS person_meters_only,
           bool_or(m.source = 'registry') AS registered,
           bool_or(m.source = 'power_accounts') AS metered
    FROM premises_members m JOIN premises p USING (premises_id)
    LEFT JOIN int_link_parsed q ON q.source = m.source AND q.source_key = m.source_key
    GROUP BY m.premises_id, p.place_id
),
places_ok AS (
    SELECT place_id FROM kinds GROUP BY place_id
    HAVING count(*) FILTER (WHERE registered) = 1
       AND count(*) FILTER (WHERE registered AND NOT metered) = 1
       AND count(*) FILTER (WHERE person_meters_only) = 1
)
SELECT k.premises_id, k.place_id FROM kinds k JOIN places_ok USING (place_id) WHERE k.person_meters_only
UNION
-- the same for the boss's meter on the firm's road that the link stage left apart (the
-- registration gives no door number, or a home tariff): a person-only premises whose meter
-- bears the name of the 法定代表人/经营者 of the one registered firm on that road with that
-- legal representative, and the only such meter there
SELECT premises_id, place_id FROM (
    SELECT k.premises_id, k.place_id,
           count(DISTINCT k.premises_id) OVER (PARTITION BY f.rid) AS n_meters,
           count(DISTINCT f.rid) OVER (PARTITION BY k.premises_id) AS n_firms
    FROM kinds k
    JOIN premises_members m ON m.premises_id = k.premises_id AND m.source = 'power_accounts'
    JOIN int_link_parsed a ON a.source = 'power_accounts' AND a.source_key = m.source_key
    JOIN int_link_parsed f ON f.source = 'registry' AND f.person_key = a.person_key
         AND f.community = a.community AND f.road = a.road
         AND (f.number IS NULL OR a.number IS NULL OR f.number = a.number)
    WHERE k.person_meters_only AND a.person_key IS NOT NULL
) WHERE n_meters = 1 AND n_firms = 1;
