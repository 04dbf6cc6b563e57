-- Small SQL macros shared by the stages. Created on every connection.
CREATE OR REPLACE MACRO haversine_m(lon1, lat1, lon2, lat2) AS
    2 * 6371008.8 * asin(sqrt(
        pow(sin(radians(lat2 - lat1) / 2), 2)
        + cos(radians(lat1)) * cos(radians(lat2)) * pow(sin(radians(lon2 - lon1) / 2), 2)));
