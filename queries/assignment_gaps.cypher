// Assignment gaps: role-sharing says a partner delivers a tool to a country's category, and it did not
// description: One row per recipient, assigned partner and tool where the role-sharing matrix assigns the
//   tool to the partner for the country's category (primary or if necessary) and that partner held or
//   planned no outreach activity (diplomatic contacts do not count) of the tool in the country in the window — even if another partner did
//   (delivered_by lists who did). With needed_only, only tools the category needs are considered
//   (multilateral seminars, which target no single country, are then left out). Risk and tier are those
//   of year_to (the default risk year if year_to has no score); risk_tier follows tier_source:
//   'assessment' takes the analysts' tier of the assessment in force where there is one (tier_source
//   says 'analysts'), else the model's ('model').
// params:
//   year_from: int = 2008 — first year of the window
//   year_to: int = 2008 — last year of the window
//   needed_only: bool = true — only tools the country's category needs
//   tier_source: string = assessment — whose risk tier is shown (one of: assessment, model)
// returns: iso3, country, category, partner, tool, assignment, needed, delivered_by, risk_score, risk_tier,
//   tier_source
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
  AND coalesce(b.kind, 'outreach') = 'outreach'
WITH DISTINCT c, t, needed, o.iso3 AS deliverer
WITH c, t, needed, collect(deliverer) AS delivered_by
MATCH (p:Country)-[s:ASSIGNED]->(t)
WHERE s.category = c.category AND NOT (p.iso3 IN delivered_by)
OPTIONAL MATCH (c)-[:SCORED]->(r:RiskScore)
WHERE r.year = $year_to
WITH c, p, s, t, needed, delivered_by, CASE WHEN r IS NULL THEN c.risk_score ELSE r.score END AS risk_score,
     CASE WHEN r IS NULL THEN c.risk_tier ELSE r.tier END AS model_tier,
     CASE WHEN r IS NULL THEN c.assessed_tier ELSE r.assessed_tier END AS analysts_tier
RETURN c.iso3 AS iso3, c.name AS country, c.category AS category, p.iso3 AS partner, t.tool_id AS tool,
       s.requirement AS assignment, needed, delivered_by, risk_score,
       CASE WHEN $tier_source = 'assessment' AND analysts_tier IS NOT NULL THEN analysts_tier ELSE model_tier END AS risk_tier,
       CASE WHEN $tier_source = 'assessment' AND analysts_tier IS NOT NULL THEN 'analysts' ELSE 'model' END AS tier_source
ORDER BY coalesce(risk_score, -1.0) DESC, iso3, partner, tool
