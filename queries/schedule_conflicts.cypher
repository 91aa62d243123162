// Schedule conflicts: two activities in the same country in the same month
// description: Pairs of activities (not cancelled) targeting the same country in the same year and month,
//   by any partners — candidates to merge, move or coordinate. Activities without a month are left out.
//   same_partner tells a partner's own clustering from a clash between partners. Only outreach counts:
//   diplomatic contacts (activity kind 'diplomatic_contact', e.g. a lunch on the margins of a meeting) are
//   left out; a blank kind is outreach.
// params:
//   year_from: int = 2008 — first year of the window
//   year_to: int = 2008 — last year of the window
// returns: iso3, country, year, month, activity_a, partner_a, tool_a, activity_b, partner_b, tool_b,
//   same_partner
MATCH (a:Activity)-[:TARGETS]->(c:Country)
WHERE a.year >= $year_from AND a.year <= $year_to AND a.month IS NOT NULL AND a.status <> 'cancelled'
  AND coalesce(a.kind, 'outreach') = 'outreach'
// filtered first, paired only inside one (country, year, month): pairing every two activities of a country
// before filtering ran out of memory at world scale. The partner and tool are the activity's own (required)
// properties — the keys its CONDUCTS and USES relationships point from and to — so no join is needed for them.
WITH c, a.year AS year, a.month AS month,
     collect({activity: a.activity_id, partner: a.partner, tool: a.tool}) AS same_month
WHERE size(same_month) > 1
UNWIND same_month AS x
UNWIND same_month AS y
WITH c, year, month, x, y
WHERE x.activity < y.activity
RETURN c.iso3 AS iso3, c.name AS country, year, month,
       x.activity AS activity_a, x.partner AS partner_a, x.tool AS tool_a,
       y.activity AS activity_b, y.partner AS partner_b, y.tool AS tool_b,
       x.partner = y.partner AS same_partner
ORDER BY iso3, year, month, activity_a, activity_b
