-- Tables written by the ingest stage. Canonical column names follow DESIGN §3.
-- Every stg_* row carries the batch it came from and its row number as Excel shows it.
-- Coordinates in stg_* are always WGS-84 (converted from the source's configured datum).
CREATE SEQUENCE IF NOT EXISTS batch_seq START 1;

CREATE TABLE IF NOT EXISTS batches (
    batch_id      INTEGER PRIMARY KEY,
    source        VARCHAR NOT NULL,
    file_name     VARCHAR NOT NULL,
    sha256        VARCHAR NOT NULL,
    archived_path VARCHAR,
    encoding      VARCHAR,
    sheet         VARCHAR,
    header_row    INTEGER,           -- Excel row of the header
    rows_read     BIGINT,
    rows_loaded   BIGINT,
    rows_rejected BIGINT,
    rows_replaced BIGINT,            -- older rows of the same key replaced by this batch
    rows_skipped  BIGINT,            -- 合计/blank rows
    warnings      BIGINT,
    loaded_at     TIMESTAMP,
    seconds       DOUBLE
);

CREATE TABLE IF NOT EXISTS rejects (
    batch_id  INTEGER,
    source    VARCHAR,
    file_name VARCHAR,
    src_row   BIGINT,                -- row number as Excel shows it
    "column"  VARCHAR,               -- header as written in the file
    value     VARCHAR,
    reason    VARCHAR,               -- plain Chinese
    severity  VARCHAR                -- 'reject' (row not loaded) | 'warning' (row loaded, value suspect)
);

CREATE TABLE IF NOT EXISTS stg_registry (
    batch_id INTEGER, src_row BIGINT,
    uscc VARCHAR, uscc_valid BOOLEAN, name VARCHAR, entity_type VARCHAR, legal_rep VARCHAR,
    phone VARCHAR, address VARCHAR, status VARCHAR, founded DATE, industry_code VARCHAR,
    industry VARCHAR, scope VARCHAR,
    source_key VARCHAR             -- uscc, or name|address when the code is missing
);

-- 市场监管所排查名单: the market office's own screened list (附件1 职责4). Registry columns
-- (all but name/address optional) plus its provenance.
CREATE TABLE IF NOT EXISTS stg_registry_list (
    batch_id INTEGER, src_row BIGINT,
    uscc VARCHAR, uscc_valid BOOLEAN, name VARCHAR, entity_type VARCHAR, legal_rep VARCHAR,
    phone VARCHAR, address VARCHAR, status VARCHAR, founded DATE, industry_code VARCHAR,
    industry VARCHAR, scope VARCHAR,
    source_key VARCHAR,
    reason VARCHAR,                -- 排查原因 / 列入理由 as the office wrote it
    office VARCHAR,                -- 市场监管所 named in the file
    listed_on DATE                 -- 排查日期
);

CREATE TABLE IF NOT EXISTS stg_licenses (
    batch_id INTEGER, src_row BIGINT,
    license_no VARCHAR, name VARCHAR, uscc VARCHAR, uscc_valid BOOLEAN, license_type VARCHAR,
    scope VARCHAR, valid_from DATE, valid_to DATE, address VARCHAR
);

CREATE TABLE IF NOT EXISTS stg_power_accounts (
    batch_id INTEGER, src_row BIGINT,
    account_no VARCHAR, account_name VARCHAR, address VARCHAR, category VARCHAR,
    voltage VARCHAR, capacity_kva DOUBLE, opened DATE, status VARCHAR, transformer VARCHAR,
    lon DOUBLE, lat DOUBLE
);

CREATE TABLE IF NOT EXISTS stg_power_readings (
    batch_id INTEGER, src_row BIGINT,
    account_no VARCHAR, day DATE,
    period VARCHAR,                -- 'day' | 'month' (day = first day of the month)
    kwh DOUBLE, kwh_peak DOUBLE, kwh_flat DOUBLE, kwh_valley DOUBLE,
    -- monthly bills from the 营销系统 often carry the account's 户名/用电地址/用电类别/行业分类
    -- (NULL in daily exports); link uses them when no 用电客户档案 was handed over
    account_name VARCHAR, address VARCHAR, category VARCHAR, industry VARCHAR
);
ALTER TABLE stg_power_readings ADD COLUMN IF NOT EXISTS account_name VARCHAR;
ALTER TABLE stg_power_readings ADD COLUMN IF NOT EXISTS address VARCHAR;
ALTER TABLE stg_power_readings ADD COLUMN IF NOT EXISTS category VARCHAR;
ALTER TABLE stg_power_readings ADD COLUMN IF NOT EXISTS industry VARCHAR;

-- 电量激增清单 (the power office's own list of surging accounts, from its 营销系统).
-- Growths are fractions: 增幅 320% → 3.2; "3.2倍" (3.2 times) → 2.2.
CREATE TABLE IF NOT EXISTS stg_power_surge_list (
    batch_id INTEGER, src_row BIGINT,
    account_no VARCHAR, account_name VARCHAR, address VARCHAR, category VARCHAR, industry VARCHAR,
    kwh DOUBLE,                    -- 本期电量
    kwh_prev DOUBLE,               -- 上期电量 (the period before)
    kwh_last_year DOUBLE,          -- 同期电量 (same period last year)
    growth_mom DOUBLE, growth_yoy DOUBLE,   -- as stated by the office (NULL if not given)
    period_start DATE, period_end DATE,     -- 统计期: a month, or a date span
    office VARCHAR                 -- 供电所 named in the file (column, title row or file name)
);

CREATE TABLE IF NOT EXISTS stg_waybills (
    batch_id INTEGER, src_row BIGINT,
    waybill_no VARCHAR, shipper VARCHAR, carrier VARCHAR, consignee VARCHAR,
    consignee_uscc VARCHAR, load_address VARCHAR, unload_address VARCHAR, goods VARCHAR,
    un_no VARCHAR, hazard_class VARCHAR, quantity DOUBLE, unit VARCHAR, plate VARCHAR,
    depart_at TIMESTAMP,
    quantity_kg DOUBLE             -- added by ingest: quantity in kg for 吨/kg units, else NULL
);
ALTER TABLE stg_waybills ADD COLUMN IF NOT EXISTS quantity_kg DOUBLE;

CREATE TABLE IF NOT EXISTS stg_tracks (
    batch_id INTEGER, src_row BIGINT,
    plate VARCHAR, ts TIMESTAMP, lon DOUBLE, lat DOUBLE, speed DOUBLE, heading DOUBLE
);

-- 危货车辆报警 (the 联网联控 platform's alarm/stop export instead of every GPS fix).
CREATE TABLE IF NOT EXISTS stg_track_alarms (
    batch_id INTEGER, src_row BIGINT,
    plate VARCHAR,
    alarm_type VARCHAR,            -- 异常停车 | 偏离路线 | 夜间行驶 | 疲劳驾驶 | 超速行驶 | 其他
    started_at TIMESTAMP, ended_at TIMESTAMP, duration_min DOUBLE,
    lon DOUBLE, lat DOUBLE,        -- WGS-84 after the configured datum; NULL when not given
    location VARCHAR               -- 位置描述 as the platform writes it
);

CREATE TABLE IF NOT EXISTS stg_tips (
    batch_id INTEGER, src_row BIGINT,
    tip_id VARCHAR, received_at TIMESTAMP, content VARCHAR, address VARCHAR, subject VARCHAR
);

-- Reporter identity, kept apart; never joined into any output or log.
CREATE TABLE IF NOT EXISTS tip_reporters (
    batch_id INTEGER, tip_id VARCHAR, reporter VARCHAR, reporter_phone VARCHAR
);

CREATE TABLE IF NOT EXISTS stg_sites (
    batch_id INTEGER, src_row BIGINT,
    site_id VARCHAR, site_type VARCHAR, address VARCHAR, owner VARCHAR, lon DOUBLE, lat DOUBLE
);

-- Inspectors' returns (outcomes); measures canonical, joined with 、.
CREATE TABLE IF NOT EXISTS stg_outcomes (
    batch_id INTEGER, src_row BIGINT,
    premises_id VARCHAR, visit_date DATE, inspector VARCHAR, finding VARCHAR, category INTEGER,
    measures VARCHAR, confiscated_wan DOUBLE, note VARCHAR
);
-- returns that a later file corrected (same premises and visit date), as they were
CREATE TABLE IF NOT EXISTS stg_outcomes_history (
    batch_id INTEGER, src_row BIGINT,
    premises_id VARCHAR, visit_date DATE, inspector VARCHAR, finding VARCHAR, category INTEGER,
    measures VARCHAR, confiscated_wan DOUBLE, note VARCHAR,
    superseded_by_batch INTEGER, superseded_at TIMESTAMP
);
