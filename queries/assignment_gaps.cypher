// Assignment gaps: role-sharing says a partner delivers a tool to a country's category, and it did not
// description: One row per recipient, assigned partner and tool where the role-sharing matrix assigns the
//   tool to the partner for the country's category (primary or if necessary) and that partner held or
//   planned no activity of the tool in the country in the window — even if another partner did
//   (delivered_by lists who did). With needed_only, only tools the category needs are considered
//   (multilateral seminars, which target no single country, are then left out). Risk is that of year_to
//   (the default risk year if year_to has no score).
// params:
//   year_from: int = 2008 — first year of the window
//   year_to: int = 2008 — last year of the window
//   needed_only: bool = true — only tools the country's category needs
// returns: iso3, country, category, partner, tool, assignment, needed, delivered_by, risk_score, risk_tier
MATCH (c:Country)
WHERE c.recipient = true AND c.category IS NOT NULL
MATCH (:Country)-[assigned:ASSIGNED]->(t:Tool)
WHERE assigned.category = c.category
WITH DISTINCT c, t
OPTIONAL MATCH (cat:Category)-[n:NEEDS]->(t)
WHERE cat.category = c.category
WITH c, t, n.requirement AS needed
WHERE needed IS NOT NULL OR $needed_only = false
// who delivered the tool to the country, once per country and tool (a.tool is the tool of its USES edge);
// an assigned partner that is not among them has a gap
OPTIONAL MATCH (o:Country)-[:CONDUCTS]->(b:Activity)-[:TARGETS]->(c)
WHERE b.tool = t.tool_id AND b.year >= $year_from AND b.year <= $year_to AND b.status IN ['held', 'planned']
WITH DISTINCT c, t, needed, o.iso3 AS deliverer
WITH c, t, needed, collect(deliverer) AS delivered_by
MATCH (p:Country)-[s:ASSIGNED]->(t)
WHERE s.category = c.category AND NOT (p.iso3 IN delivered_by)
OPTIONAL MATCH (c)-[:SCORED]->(r:RiskScore)
WHERE r.year = $year_to
RETURN c.iso3 AS iso3, c.name AS country, c.category AS category, p.iso3 AS partner, t.tool_id AS tool,
       s.requirement AS assignment, needed, delivered_by,
       coalesce(r.score, c.risk_score) AS risk_score, coalesce(r.tier, c.risk_tier) AS risk_tier
ORDER BY coalesce(risk_score, -1.0) DESC, iso3, partner, tool
