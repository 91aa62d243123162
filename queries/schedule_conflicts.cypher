// Schedule conflicts: two activities in the same country in the same month
// description: Pairs of activities (not cancelled) targeting the same country in the same year and month,
//   by any partners — candidates to merge, move or coordinate. Activities without a month are left out.
//   same_partner tells a partner's own clustering from a clash between partners.
// params:
//   year_from: int = 2008 — first year of the window
//   year_to: int = 2008 — last year of the window
// returns: iso3, country, year, month, activity_a, partner_a, tool_a, activity_b, partner_b, tool_b,
//   same_partner
MATCH (pa:Country)-[:CONDUCTS]->(a:Activity)-[:TARGETS]->(c:Country)<-[:TARGETS]-(b:Activity)<-[:CONDUCTS]-(pb:Country)
MATCH (a)-[:USES]->(ta:Tool)
MATCH (b)-[:USES]->(tb:Tool)
WHERE a.activity_id < b.activity_id AND a.year = b.year AND a.month = b.month
  AND a.year >= $year_from AND a.year <= $year_to
  AND a.status <> 'cancelled' AND b.status <> 'cancelled'
RETURN c.iso3 AS iso3, c.name AS country, a.year AS year, a.month AS month,
       a.activity_id AS activity_a, pa.iso3 AS partner_a, ta.tool_id AS tool_a,
       b.activity_id AS activity_b, pb.iso3 AS partner_b, tb.tool_id AS tool_b,
       pa.iso3 = pb.iso3 AS same_partner
ORDER BY iso3, year, month, activity_a, activity_b
