-- 厂中厂 (seed 二(一)4): one building holds several premises, and one of them without a
-- licence either has no registration of its own and draws industrial-level power or receives
-- hazmat goods, or is registered in a sub-unit of the building (its address goes on past the
-- street number to a 3号厂房, 后座, 厂区内 … — `sub_unit_words`) whose street number is another
-- registered firm's address, and receives hazmat goods: a tenant in that firm's factory
-- (租赁). A trading shop registered at "创业路110号3号厂房" inside a shoe factory at "创业路110号"
-- taking solvent deliveries is how a rented workshop gets a licence to trade; power alone
-- does not make a registered tenant suspect (rented workshops are ordinary).
-- The evidence goes to that premises; the sentence names its neighbours.
WITH shared AS (
    SELECT p.premises_id, p.place_id, p.address, pl.n_premises,
           regexp_matches(coalesce(p.address, ''), '\d号.*(' || $sub_unit_words_re || ')') AS sub_unit
    FROM premises p JOIN places pl USING (place_id)
    WHERE pl.n_premises > 1
),
hosts AS (      -- places where a registered firm holds the plain street number
    SELECT DISTINCT s.place_id
    FROM shared s JOIN premises_members m ON m.premises_id = s.premises_id AND m.source = 'registry'
    WHERE NOT s.sub_unit
),
shape AS (
    SELECT premises_id,
           count(*) FILTER (WHERE source = 'registry') AS n_registry,
           count(*) FILTER (WHERE source = 'licenses') AS n_licenses,
           count(*) FILTER (WHERE source = 'power_accounts') AS n_accounts,
           count(*) FILTER (WHERE source = 'waybills') AS n_waybills
    FROM premises_members GROUP BY premises_id
),
use AS (
    SELECT premises_id, avg(kwh) AS daily, bool_or(grain = 'month') AS from_bills FROM sig_use
    WHERE day > $as_of - $recent_days AND day <= $as_of GROUP BY premises_id
),
neighbours AS (
    SELECT s.premises_id,
           string_agg(DISTINCT o.name, '、' ORDER BY o.name) FILTER (WHERE o.name IS NOT NULL) AS names
    FROM shared s JOIN premises o ON o.place_id = s.place_id AND o.premises_id <> s.premises_id
    GROUP BY s.premises_id
)
SELECT s.premises_id,
       least(1.0, 0.5 + 0.5 * coalesce(u.daily, 0) / $full_daily_kwh + 0.25 * (sh.n_waybills > 0)::INT) AS strength,
       s.n_premises AS value, '同址其他主体：' || coalesce(nb.names, '不详') AS baseline,
       format('同一地址（{}）共有 {} 个用电/登记主体（另有：{}），本户{}，', coalesce(s.address, '不详'), s.n_premises,
              coalesce(nb.names, '名称不详'),
              CASE WHEN sh.n_registry = 0 THEN '无营业执照登记' ELSE '登记在他人厂区的分隔处所内（租赁/厂中厂），无危化品许可' END)
         || concat_ws('、',
              CASE WHEN u.daily >= $min_daily_kwh THEN format('近{}周日均用电 {:,.0f} kWh{}', ($recent_days // 7)::INTEGER, u.daily, CASE WHEN u.from_bills THEN '（按月度电量折算）' ELSE '' END) END,
              CASE WHEN sh.n_waybills > 0 THEN format('收到危货运单 {} 张', sh.n_waybills) END) AS sentence
FROM shared s JOIN shape sh USING (premises_id)
LEFT JOIN use u USING (premises_id)
LEFT JOIN neighbours nb USING (premises_id)
WHERE sh.n_licenses = 0
  AND (sh.n_registry = 0 AND (u.daily >= $min_daily_kwh AND s.premises_id NOT IN (SELECT premises_id FROM sig_firm_meter)
                             OR sh.n_waybills > 0)
       OR s.sub_unit AND s.place_id IN (SELECT place_id FROM hosts) AND sh.n_waybills > 0)
