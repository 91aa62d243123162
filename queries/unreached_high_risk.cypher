// Unreached high-risk countries: recipients in the High risk tier that nothing reached in the window
// description: Recipients whose risk tier (of year_to, or the default risk year when year_to has no
//   score) is High and that no held or planned activity of any tool targeted between year_from and
//   year_to — the gap the proposal most wants closed.
// params:
//   year_from: int = 2008 — first year of the window
//   year_to: int = 2008 — last year of the window
// returns: iso3, country, category, risk_score, risk_tier, assessed_tier, last_reached
MATCH (c:Country)
WHERE c.recipient = true
OPTIONAL MATCH (c)-[:SCORED]->(r:RiskScore)
WHERE r.year = $year_to
WITH c, coalesce(r.score, c.risk_score) AS risk_score, coalesce(r.tier, c.risk_tier) AS risk_tier
WHERE risk_tier = 'High'
  AND NOT EXISTS {
    MATCH (c)<-[:TARGETS]-(a:Activity)
    WHERE a.year >= $year_from AND a.year <= $year_to AND a.status IN ['held', 'planned']
  }
OPTIONAL MATCH (c)<-[:TARGETS]-(b:Activity)
WHERE b.year < $year_from AND b.status IN ['held', 'planned']
WITH c, risk_score, risk_tier, max(b.year) AS last_reached
RETURN c.iso3 AS iso3, c.name AS country, c.category AS category, risk_score, risk_tier,
       c.assessed_tier AS assessed_tier, last_reached
ORDER BY risk_score DESC, iso3
