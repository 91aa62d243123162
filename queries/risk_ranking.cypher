// Risk ranking: countries by diversion risk, with exposure, weakness, tiers and factor contributions
// description: Every scored country for a year (0 or null: the default risk year on the Country nodes),
//   highest risk first, then highest exposure (partners and nations of concern that are not recipients
//   have an exposure but no risk or tier). risk = weakness × exposure; technology, trade, geography and
//   ties are the contributions that sum to the risk (to the exposure where there is no risk); missing
//   lists inputs that were absent, imputed or carried forward. risk_tier follows tier_source:
//   'assessment' takes the analysts' tier of the assessment in force that year where there is one
//   (tier_source says 'analysts'), else the model's ('model'); model_tier is always the model's.
// params:
//   year: int = 0 — risk year (0 or null: the default year of the build)
//   tier_source: string = assessment — whose tier risk_tier shows (one of: assessment, model)
// returns: iso3, country, year, score, exposure, weakness, risk_tier, tier_source, model_tier, assessed_tier,
//   technology, trade, geography, ties, missing, category, recipient
MATCH (c:Country)-[:SCORED]->(r:RiskScore)
WHERE r.year = CASE WHEN coalesce($year, 0) = 0 THEN c.risk_year ELSE $year END AND r.exposure IS NOT NULL
WITH c, r, CASE WHEN $tier_source = 'assessment' AND r.assessed_tier IS NOT NULL THEN 'analysts'
               WHEN r.tier IS NULL THEN NULL ELSE 'model' END AS tier_source
RETURN c.iso3 AS iso3, c.name AS country, r.year AS year, r.score AS score, r.exposure AS exposure,
       r.weakness AS weakness,
       CASE WHEN tier_source = 'analysts' THEN r.assessed_tier ELSE r.tier END AS risk_tier, tier_source,
       r.tier AS model_tier, r.assessed_tier AS assessed_tier, r.technology AS technology, r.trade AS trade,
       r.geography AS geography, r.ties AS ties, r.missing AS missing, c.category AS category,
       c.recipient AS recipient
ORDER BY coalesce(score, -1.0) DESC, exposure DESC, iso3
