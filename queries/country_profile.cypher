// Country profile: everything about one country — category, elements, risk, activities, requests, contacts, gaps
// description: One row for the country: roles, maturity category and objective, every dated assessment of
//   its four elements, the default-year risk score with factor contributions and missing inputs, every
//   activity targeting it, the requests it voiced, its named contacts, and the tools its category needs
//   that no partner ever held or planned there (never_delivered). Ties: see ties_to_concern.
// params:
//   iso3: string — the country (ISO 3166-1 alpha-3)
// returns: iso3, country, roles, region, category, objective, assessed_tier, assessments, risk_year,
//   risk_score, risk_tier, risk_technology, risk_trade, risk_geography, risk_ties, risk_missing,
//   activities, requests, contacts, never_delivered, source
MATCH (c:Country)
WHERE c.iso3 = $iso3
OPTIONAL MATCH (cat:Category)
WHERE cat.category = c.category
WITH c, cat.objective AS objective
OPTIONAL MATCH (c)-[:ASSESSED]->(s:Assessment)
WITH c, objective, collect(CASE WHEN s IS NULL THEN NULL ELSE {assessment_id: s.assessment_id,
     assessed_on: s.assessed_on, assessor: s.assessor, category: s.category, intention: s.intention,
     laws: s.laws, enforcement: s.enforcement, industry_cooperation: s.industry_cooperation,
     risk_assessed: s.risk_assessed, confidence: s.confidence, source: s.source} END) AS assessments
OPTIONAL MATCH (c)<-[:TARGETS]-(a:Activity)
WITH c, objective, assessments, collect(CASE WHEN a IS NULL THEN NULL ELSE {activity_id: a.activity_id,
     title: a.title, partner: a.partner, tool: a.tool, status: a.status, year: a.year, month: a.month,
     confidence: a.confidence, source: a.source} END) AS activities
OPTIONAL MATCH (c)-[:VOICED]->(q:Request)
WITH c, objective, assessments, activities, collect(CASE WHEN q IS NULL THEN NULL ELSE {request_id: q.request_id,
     kind: q.kind, tool: q.tool, summary: q.summary, year: q.year, month: q.month, source: q.source} END) AS requests
OPTIONAL MATCH (k:Contact)-[:REPRESENTS]->(c)
WITH c, objective, assessments, activities, requests, collect(CASE WHEN k IS NULL THEN NULL ELSE {contact_id: k.contact_id,
     name: k.name, title: k.title, agency: k.agency, export_control_poc: k.export_control_poc,
     leaving_year: k.leaving_year, leaving_month: k.leaving_month, note: k.note, source: k.source} END) AS contacts
OPTIONAL MATCH (cat2:Category)-[:NEEDS]->(t:Tool)
WHERE cat2.category = c.category
  AND NOT EXISTS {
    MATCH (c)<-[:TARGETS]-(a2:Activity)-[:USES]->(t)
    WHERE a2.status IN ['held', 'planned'] AND coalesce(a2.kind, 'outreach') = 'outreach'
  }
WITH c, objective, assessments, activities, requests, contacts, collect(DISTINCT t.tool_id) AS never_delivered
RETURN c.iso3 AS iso3, c.name AS country, c.roles AS roles, c.region AS region, c.category AS category,
       objective, c.assessed_tier AS assessed_tier, assessments, c.risk_year AS risk_year,
       c.risk_score AS risk_score, c.risk_tier AS risk_tier, c.risk_technology AS risk_technology,
       c.risk_trade AS risk_trade, c.risk_geography AS risk_geography, c.risk_ties AS risk_ties,
       c.risk_missing AS risk_missing, activities, requests, contacts, never_delivered, c.source AS source
ORDER BY iso3
