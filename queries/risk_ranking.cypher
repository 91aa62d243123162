// Risk ranking: countries by diversion-risk score, with tiers and factor contributions
// description: Every scored country for a year (0 or null: the default risk year on the Country nodes),
//   highest score first. technology, trade, geography and ties are the weighted contributions that sum
//   to the score; missing lists inputs that were absent, imputed or carried forward. assessed_tier is
//   the analysts' tentative High/Low (Annex I).
// params:
//   year: int = 0 — risk year (0 or null: the default year of the build)
// returns: iso3, country, year, score, tier, technology, trade, geography, ties, missing, assessed_tier,
//   category, recipient
MATCH (c:Country)-[:SCORED]->(r:RiskScore)
WHERE r.year = CASE WHEN coalesce($year, 0) = 0 THEN c.risk_year ELSE $year END AND r.score IS NOT NULL
RETURN c.iso3 AS iso3, c.name AS country, r.year AS year, r.score AS score, r.tier AS tier,
       r.technology AS technology, r.trade AS trade, r.geography AS geography, r.ties AS ties,
       r.missing AS missing, c.assessed_tier AS assessed_tier, c.category AS category, c.recipient AS recipient
ORDER BY score DESC, iso3
