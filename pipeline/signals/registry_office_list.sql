-- registry_office_list — the market office's own screened list (附件1 职责4: names or scopes
-- containing 化学工业/化工). The office listed the firm itself: shown with the office and its
-- reason. A plain keyword list also catches 园林绿化工程 and 化学药制剂, so it counts modestly,
-- and not at all where the firm holds a hazmat licence valid on the run date (the office
-- listed a licensed chemical firm — that is what a licence is for). A firm that calls itself
-- a chemical firm (name_words in its name) counts fully; one listed for a word in its scope
-- only at scope_strength: the scope is the same registration registry_chemical reads item
-- by item, and a "化工产品销售" scope is the commonest line in a trading town.
-- Whether the name holds one of name_words, word traps aside (化工机械厂, 绿化工程 …), comes
-- from registry_office_list.py (_office_named), which reads the names with the lexicon.
WITH listed AS (
    SELECT m.premises_id, l.name, l.reason, l.office, l.listed_on, coalesce(n.named, false) AS named
    FROM premises_members m
    JOIN stg_registry_list l ON m.source = 'registry' AND l.source_key = m.source_key
    LEFT JOIN _office_named n ON n.name = l.name
    WHERE l.listed_on IS NULL OR l.listed_on <= $as_of
),
licensed AS (
    SELECT DISTINCT premises_id FROM sig_licences WHERE valid_to IS NULL OR valid_to >= $as_of
)
SELECT premises_id,
       CASE WHEN bool_or(named) THEN 1.0 ELSE $scope_strength END AS strength,
       coalesce(arg_min(reason, (listed_on, reason)), '') AS value,
       '' AS baseline,
       format('市场监管所排查名单（{}{}）：{}',
              coalesce(arg_min(office, (listed_on, reason)), '市场监管所'),
              coalesce('，' || strftime(max(listed_on), '%Y年%-m月%-d日'), ''),
              coalesce('列入原因 ' || arg_min(reason, (listed_on, reason)), '列入该所涉化工企业排查名单')) AS sentence
FROM listed
WHERE premises_id NOT IN (SELECT premises_id FROM licensed)
GROUP BY premises_id
