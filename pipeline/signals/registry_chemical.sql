-- Chemical words in name or scope, or a chemical industry code, with no hazmat license.
-- An item followed by a bracket that excludes hazardous chemicals ("化工产品（不含危险化学品）")
-- is a non-hazardous trade and is ignored, item and bracket together.
WITH reg AS (
    SELECT m.premises_id, r.name, r.industry_code,
           regexp_replace(coalesce(r.scope, ''), '[^，,；;、。]*[(（][^)）]*(' || $exclusion_words_re || ')[^)）]*[)）]', '', 'g') AS scope_claim
    FROM premises_members m JOIN stg_registry r ON m.source = 'registry' AND r.source_key = m.source_key
),
hits AS (
    SELECT premises_id, name, industry_code,
           regexp_extract(coalesce(name, '') || ' ' || scope_claim, $words_re) AS word,
           regexp_matches(scope_claim, '(生产|制造|加工|提炼|合成)[^，,；;。]*(' || $words_re || ')') AS makes,
           list_contains($industry_prefixes, substr(coalesce(industry_code, ''), 1, 2)) AS chem_code
    FROM reg
),
licensed AS (SELECT DISTINCT premises_id FROM premises_members WHERE source = 'licenses')
SELECT premises_id,
       max(CASE WHEN makes OR chem_code THEN 1.0 ELSE 0.5 END) AS strength,
       string_agg(DISTINCT nullif(word, ''), '、') AS value,
       '无危险化学品许可' AS baseline,
       '登记名称/经营范围含“' || coalesce(string_agg(DISTINCT nullif(word, ''), '、'), '化工') || '”'
         || CASE WHEN bool_or(chem_code) THEN '（行业代码 ' || max(industry_code) || '）' ELSE '' END
         || CASE WHEN bool_or(makes) THEN '，范围写明生产/加工' ELSE '' END
         || '，但无危险化学品许可' AS sentence
FROM hits
WHERE (word <> '' OR chem_code) AND premises_id NOT IN (SELECT premises_id FROM licensed)
GROUP BY premises_id;
