// Role compliance: activities whose tool the role-sharing does not assign to their partner
// description: Activities (not cancelled) in the window by a partner of the role-sharing matrix whose tool
//   is not assigned to that partner for the target country's category, neither primary nor if
//   necessary. Partners outside the matrix and countries without a category are left out.
//   assigned_tools lists what the partner is assigned for that category.
// params:
//   year_from: int = 2008 — first year of the window
//   year_to: int = 2008 — last year of the window
// returns: activity_id, title, partner, iso3, country, category, tool, year, status, assigned_tools
MATCH (p:Country)-[:CONDUCTS]->(a:Activity)-[:TARGETS]->(c:Country)
MATCH (a)-[:USES]->(t:Tool)
WHERE a.year >= $year_from AND a.year <= $year_to AND a.status <> 'cancelled' AND coalesce(a.kind, 'outreach') = 'outreach'
  AND c.category IS NOT NULL
  AND EXISTS { MATCH (p)-[:ASSIGNED]->(:Tool) }
  AND NOT EXISTS { MATCH (p)-[s:ASSIGNED]->(t) WHERE s.category = c.category }
OPTIONAL MATCH (p)-[s2:ASSIGNED]->(t2:Tool)
WHERE s2.category = c.category
WITH p, a, c, t, collect(DISTINCT t2.tool_id) AS assigned_tools
RETURN a.activity_id AS activity_id, a.title AS title, p.iso3 AS partner, c.iso3 AS iso3, c.name AS country,
       c.category AS category, t.tool_id AS tool, a.year AS year, a.status AS status, assigned_tools
ORDER BY year, iso3, activity_id
