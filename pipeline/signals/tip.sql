-- Tip-offs linked to the place. The excerpt masks long digit runs (phone numbers).
WITH t AS (
    SELECT m.premises_id, s.received_at, s.content
    FROM premises_members m JOIN stg_tips s ON m.source = 'tips' AND s.tip_id = m.source_key
    WHERE s.received_at IS NULL OR s.received_at::DATE <= $as_of
)
SELECT premises_id,
       least(1.0, 0.5 + 0.5 * (count(*) - 1) / greatest($full_count - 1, 1)) AS strength,
       count(*) AS value, 0 AS baseline,
       format('群众举报 {} 次（最近 {}）：{}', count(*),
              coalesce(strftime(max(received_at), '%Y-%m-%d'), '日期不详'),
              coalesce(regexp_replace(left(arg_max(content, received_at), 40), '[0-9]{7,}', '***', 'g'), '（内容为空）')) AS sentence
FROM t GROUP BY premises_id;
