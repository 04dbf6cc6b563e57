-- Helper macros of the ingest stage (TEMP: they live with the connection, not the warehouse).
-- GCJ-02 → WGS-84. The WGS→GCJ offset is the published "Mars coordinates" formula
-- (Krasovsky ellipsoid a = 6378245, ee = 0.00669342162296594323). Its inverse has no closed
-- form: a fixed-point iteration w ← g − offset(w) converges to millimetres in 3 rounds
-- (clean_sql.gcj_to_wgs_sql).
CREATE OR REPLACE TEMP MACRO ing_gcj_tlat(x, y) AS (
    -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(abs(x))
    + (20.0 * sin(6.0 * x * pi()) + 20.0 * sin(2.0 * x * pi())) * 2.0 / 3.0
    + (20.0 * sin(y * pi()) + 40.0 * sin(y / 3.0 * pi())) * 2.0 / 3.0
    + (160.0 * sin(y / 12.0 * pi()) + 320.0 * sin(y * pi() / 30.0)) * 2.0 / 3.0
);
CREATE OR REPLACE TEMP MACRO ing_gcj_tlon(x, y) AS (
    300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(abs(x))
    + (20.0 * sin(6.0 * x * pi()) + 20.0 * sin(2.0 * x * pi())) * 2.0 / 3.0
    + (20.0 * sin(x * pi()) + 40.0 * sin(x / 3.0 * pi())) * 2.0 / 3.0
    + (150.0 * sin(x / 12.0 * pi()) + 300.0 * sin(x / 30.0 * pi())) * 2.0 / 3.0
);
-- offsets (degrees) that WGS-84 → GCJ-02 adds at a WGS-84 point
CREATE OR REPLACE TEMP MACRO ing_gcj_dlat(lon, lat) AS (
    ing_gcj_tlat(lon - 105.0, lat - 35.0) * 180.0
    / ((6378245.0 * (1.0 - 0.00669342162296594323))
       / ((1.0 - 0.00669342162296594323 * pow(sin(radians(lat)), 2))
          * sqrt(1.0 - 0.00669342162296594323 * pow(sin(radians(lat)), 2))) * pi())
);
CREATE OR REPLACE TEMP MACRO ing_gcj_dlon(lon, lat) AS (
    ing_gcj_tlon(lon - 105.0, lat - 35.0) * 180.0
    / (6378245.0 / sqrt(1.0 - 0.00669342162296594323 * pow(sin(radians(lat)), 2))
       * cos(radians(lat)) * pi())
);
CREATE OR REPLACE TEMP MACRO ing_wgs_to_gcj_lon(lon, lat) AS (lon + ing_gcj_dlon(lon, lat));
CREATE OR REPLACE TEMP MACRO ing_wgs_to_gcj_lat(lon, lat) AS (lat + ing_gcj_dlat(lon, lat));
-- The inverse (GCJ-02 → WGS-84) is iterated in nested subqueries, see
-- clean_sql.gcj_to_wgs_sql: nesting the macros themselves would expand exponentially.
