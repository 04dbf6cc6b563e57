-- Cover names (生物/科技/新材料/化工厂) on an unlicensed registered entity.
WITH reg AS (
    SELECT m.premises_id, r.name, regexp_extract(r.name, $words_re) AS word, r.scope
    FROM premises_members m JOIN stg_registry r ON m.source = 'registry' AND r.source_key = m.source_key
)
SELECT premises_id, 0.5 AS strength, string_agg(DISTINCT word, '、') AS value, '无危险化学品许可' AS baseline,
       '名称冠以“' || string_agg(DISTINCT word, '、') || '”（' || any_value(name) || '），无危险化学品许可，需核实实际生产内容' AS sentence
FROM reg
WHERE word <> ''
  AND premises_id NOT IN (SELECT premises_id FROM premises_members WHERE source = 'licenses')
GROUP BY premises_id;
