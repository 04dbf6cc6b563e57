-- Daily consumption per premises (sum of its power accounts), the base of the power signals.
-- Grain: premises × day. Monthly-only readings are not used for daily signals.
CREATE OR REPLACE TEMP TABLE sig_account_premises AS
SELECT m.premises_id, a.account_no, a.category, a.status
FROM premises_members m JOIN stg_power_accounts a ON m.source = 'power_accounts' AND a.account_no = m.source_key;

-- The time-of-use split (peak, flat, valley) rides along for the signals that look at the
-- shape of the daily load.
CREATE OR REPLACE TEMP TABLE sig_daily AS
SELECT ap.premises_id, r.day,
       sum(r.kwh) AS kwh, sum(r.kwh_peak) AS kwh_peak, sum(r.kwh_flat) AS kwh_flat,
       sum(r.kwh_valley) AS kwh_valley
FROM stg_power_readings r JOIN sig_account_premises ap USING (account_no)
WHERE r.period = 'day' AND r.day <= $as_of
GROUP BY ALL;
