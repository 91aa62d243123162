// Coverage gaps: tools a recipient's category needs that no partner delivers or plans in the window
// description: One row per recipient country and required tool (NEEDS of its category) with no held or
//   planned outreach activity of that tool targeting the country between year_from and year_to (proposed
//   and cancelled activities, and diplomatic contacts — activity kind 'diplomatic_contact' — do not count). Countries without a category have
//   no rows. The proposal's order: higher-risk countries first, then primary before "if necessary"
//   tools, then time uncovered — as one number,
//   priority = 100 × T + 10 × S + Y + R, where T is the risk tier of year_to (High 2, Medium 1, Low or
//   none 0) from tier_source, S is 1 for a primary tool and 0 for an "if necessary" one, Y = years
//   uncovered (year_to − the last year the tool was held or planned there before the window, capped at
//   5; 5 when never) and R the model's diversion risk of year_to (0–1; 0 if unscored), which only breaks
//   ties. tier_source 'assessment' takes the analysts' tier of the assessment in force in year_to where
//   there is one (tier_source says 'analysts'), else the model's ('model'). Risk and tiers are those of
//   year_to, or of the default risk year when year_to has no score.
// params:
//   year_from: int = 2008 — first year of the window
//   year_to: int = 2008 — last year of the window
//   min_priority: float = 0.0 — leave out gaps below this priority
//   tier_source: string = assessment — whose risk tiers rank the gaps (one of: assessment, model)
// returns: iso3, country, category, tool, requirement, assigned_partners, risk_score, risk_tier, tier_source,
//   last_covered, years_uncovered, priority
MATCH (c:Country)
WHERE c.recipient = true AND c.category IS NOT NULL
MATCH (cat:Category)-[n:NEEDS]->(t:Tool)
WHERE cat.category = c.category
  AND NOT EXISTS {
    MATCH (c)<-[:TARGETS]-(a:Activity)-[:USES]->(t)
    WHERE a.year >= $year_from AND a.year <= $year_to AND a.status IN ['held', 'planned']
      AND coalesce(a.kind, 'outreach') = 'outreach'
  }
OPTIONAL MATCH (c)<-[:TARGETS]-(prev:Activity)-[:USES]->(t)
WHERE prev.year < $year_from AND prev.status IN ['held', 'planned'] AND coalesce(prev.kind, 'outreach') = 'outreach'
WITH c, t, n, max(prev.year) AS last_covered
OPTIONAL MATCH (p:Country)-[s:ASSIGNED]->(t)
WHERE s.category = c.category
WITH c, t, n, last_covered, collect(DISTINCT p.iso3) AS assigned_partners
OPTIONAL MATCH (c)-[:SCORED]->(r:RiskScore)
WHERE r.year = $year_to
WITH c, t, n, last_covered, assigned_partners,
     CASE WHEN r IS NULL THEN c.risk_score ELSE r.score END AS risk_score,
     CASE WHEN r IS NULL THEN c.risk_tier ELSE r.tier END AS model_tier,
     CASE WHEN r IS NULL THEN c.assessed_tier ELSE r.assessed_tier END AS analysts_tier
WITH c, t, n, last_covered, assigned_partners, risk_score,
     CASE WHEN $tier_source = 'assessment' AND analysts_tier IS NOT NULL THEN analysts_tier ELSE model_tier END AS risk_tier,
     CASE WHEN $tier_source = 'assessment' AND analysts_tier IS NOT NULL THEN 'analysts' ELSE 'model' END AS tier_source,
     CASE WHEN last_covered IS NULL OR $year_to - last_covered > 5 THEN 5 ELSE $year_to - last_covered END AS years_uncovered
WITH c, t, n, last_covered, assigned_partners, risk_score, risk_tier, tier_source, years_uncovered,
     100.0 * CASE risk_tier WHEN 'High' THEN 2 WHEN 'Medium' THEN 1 ELSE 0 END
       + 10.0 * CASE WHEN n.requirement = 'primary' THEN 1 ELSE 0 END
       + years_uncovered + coalesce(risk_score, 0.0) AS priority
WHERE priority >= $min_priority
RETURN c.iso3 AS iso3, c.name AS country, c.category AS category, t.tool_id AS tool,
       n.requirement AS requirement, assigned_partners, risk_score, risk_tier, tier_source, last_covered,
       years_uncovered, priority
ORDER BY priority DESC, iso3, tool
