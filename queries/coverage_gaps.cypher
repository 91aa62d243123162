// Coverage gaps: tools a recipient's category needs that no partner delivers or plans in the window
// description: One row per recipient country and required tool (NEEDS of its category) with no held or
//   planned activity of that tool targeting the country between year_from and year_to (proposed and
//   cancelled activities do not count). Countries without a category have no rows.
//   priority = risk × severity × (1 + years_uncovered / 5), where risk is the diversion-risk score of
//   year_to (the latest scored year if year_to has none; 0 if unscored), severity is 1.0 for a primary
//   tool and 0.5 for an "if necessary" one, and years_uncovered = year_to − the last year the tool was
//   held or planned there before the window, capped at 5 (5 when never). Range 0–2.
// params:
//   year_from: int = 2008 — first year of the window
//   year_to: int = 2008 — last year of the window
//   min_priority: float = 0.0 — leave out gaps below this priority
// returns: iso3, country, category, tool, requirement, assigned_partners, risk_score, risk_tier,
//   last_covered, years_uncovered, priority
MATCH (c:Country)
WHERE c.recipient = true AND c.category IS NOT NULL
MATCH (cat:Category)-[n:NEEDS]->(t:Tool)
WHERE cat.category = c.category
  AND NOT EXISTS {
    MATCH (c)<-[:TARGETS]-(a:Activity)-[:USES]->(t)
    WHERE a.year >= $year_from AND a.year <= $year_to AND a.status IN ['held', 'planned']
  }
OPTIONAL MATCH (c)<-[:TARGETS]-(prev:Activity)-[:USES]->(t)
WHERE prev.year < $year_from AND prev.status IN ['held', 'planned']
WITH c, t, n, max(prev.year) AS last_covered
OPTIONAL MATCH (p:Country)-[s:ASSIGNED]->(t)
WHERE s.category = c.category
WITH c, t, n, last_covered, collect(DISTINCT p.iso3) AS assigned_partners
OPTIONAL MATCH (c)-[:SCORED]->(r:RiskScore)
WHERE r.year = $year_to
WITH c, t, n, last_covered, assigned_partners,
     coalesce(r.score, c.risk_score) AS risk_score, coalesce(r.tier, c.risk_tier) AS risk_tier,
     CASE WHEN last_covered IS NULL OR $year_to - last_covered > 5 THEN 5 ELSE $year_to - last_covered END AS years_uncovered,
     CASE WHEN n.requirement = 'primary' THEN 1.0 ELSE 0.5 END AS severity
WITH c, t, n, last_covered, assigned_partners, risk_score, risk_tier, years_uncovered,
     coalesce(risk_score, 0.0) * severity * (1.0 + years_uncovered / 5.0) AS priority
WHERE priority >= $min_priority
RETURN c.iso3 AS iso3, c.name AS country, c.category AS category, t.tool_id AS tool,
       n.requirement AS requirement, assigned_partners, risk_score, risk_tier, last_covered,
       years_uncovered, priority
ORDER BY priority DESC, iso3, tool
