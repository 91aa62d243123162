// Unreached high-risk countries: recipients in the High risk tier that nothing reached in the window
// description: Recipients whose risk tier of year_to is High and that no held or planned outreach
//   activity of any tool targeted between year_from and year_to — the gap the proposal most wants
//   closed. tier_source 'assessment' takes the analysts' tier of the assessment in force in year_to
//   where there is one (tier_source says 'analysts'), else the model's ('model'); 'model' always the
//   model's. Risk and tiers are those of year_to, or of the default risk year when year_to has no score.
// params:
//   year_from: int = 2008 — first year of the window
//   year_to: int = 2008 — last year of the window
//   tier_source: string = assessment — whose risk tiers say High (one of: assessment, model)
// returns: iso3, country, category, risk_score, risk_tier, tier_source, assessed_tier, model_tier, last_reached
MATCH (c:Country)
WHERE c.recipient = true
OPTIONAL MATCH (c)-[:SCORED]->(r:RiskScore)
WHERE r.year = $year_to
WITH c, CASE WHEN r IS NULL THEN c.risk_score ELSE r.score END AS risk_score,
     CASE WHEN r IS NULL THEN c.risk_tier ELSE r.tier END AS model_tier,
     CASE WHEN r IS NULL THEN c.assessed_tier ELSE r.assessed_tier END AS analysts_tier
WITH c, risk_score, model_tier, analysts_tier,
     CASE WHEN $tier_source = 'assessment' AND analysts_tier IS NOT NULL THEN analysts_tier ELSE model_tier END AS risk_tier,
     CASE WHEN $tier_source = 'assessment' AND analysts_tier IS NOT NULL THEN 'analysts' ELSE 'model' END AS tier_source
WHERE risk_tier = 'High'
  AND NOT EXISTS {
    MATCH (c)<-[:TARGETS]-(a:Activity)
    WHERE a.year >= $year_from AND a.year <= $year_to AND a.status IN ['held', 'planned']
      AND coalesce(a.kind, 'outreach') = 'outreach'
  }
OPTIONAL MATCH (c)<-[:TARGETS]-(b:Activity)
WHERE b.year < $year_from AND b.status IN ['held', 'planned'] AND coalesce(b.kind, 'outreach') = 'outreach'
WITH c, risk_score, risk_tier, tier_source, analysts_tier, model_tier, max(b.year) AS last_reached
RETURN c.iso3 AS iso3, c.name AS country, c.category AS category, risk_score, risk_tier, tier_source,
       analysts_tier AS assessed_tier, model_tier, last_reached
ORDER BY coalesce(risk_score, -1.0) DESC, iso3
