// Unmet requests: help a country asked for that no activity answers, with the offers that could meet it
// description: Statements of kind 'request' (a country asks for help; 'assistance' is the legacy name of the
//   same kind) that no held or planned outreach activity answers. Questions, positions, proposals, offers,
//   timing and coordination points are not needs and are not listed (country_profile shows them). An
//   activity answers a request when it is outreach (kind blank or 'outreach'), targets the requesting
//   country, uses the requested tool and starts in or after the request's month (an activity without a month
//   counts as December). A request without a tool (e.g. a nuclear-regulator need, outside the export-control
//   tools) is always listed: no activity answers it. matching_offers lists the offers (statements of kind
//   'offer') that could meet the request: same tool, voiced by a partner country (partner = true), made in
//   the request's year or later and no later than as_of_year — an offer made before the request is not
//   counted (the documents record no standing offers). Sorted by id. risk_score is that of the request's
//   year (the default risk year when that year has no score).
// params:
//   as_of_year: int = 2100 — only activities and offers up to this year count
// returns: request_id, iso3, country, kind, tool, summary, year, month, meeting, confidence, risk_score,
//   matching_offers
MATCH (c:Country)-[:VOICED]->(q:Request)
WHERE q.kind IN ['request', 'assistance']
  AND NOT EXISTS {
    MATCH (q)-[:ASKS_FOR]->(t:Tool)<-[:USES]-(a:Activity)-[:TARGETS]->(c)
    WHERE a.status IN ['held', 'planned'] AND a.year <= $as_of_year
      AND coalesce(a.kind, 'outreach') = 'outreach'
      AND a.year * 12 + coalesce(a.month, 12) >= q.year * 12 + coalesce(q.month, 1)
  }
OPTIONAL MATCH (q)-[:ASKS_FOR]->(t2:Tool)
OPTIONAL MATCH (q)-[:VOICED_AT]->(m:Meeting)
OPTIONAL MATCH (c)-[:SCORED]->(r:RiskScore)
WHERE r.year = q.year
WITH c, q, t2, m, r
OPTIONAL MATCH (p:Country)-[:VOICED]->(o:Request)-[:ASKS_FOR]->(t2)
WHERE o.kind = 'offer' AND p.partner = true AND o.year >= q.year AND o.year <= $as_of_year
WITH c, q, t2, m, r, collect(o.request_id) AS matching_offers
RETURN q.request_id AS request_id, c.iso3 AS iso3, c.name AS country, q.kind AS kind, t2.tool_id AS tool,
       q.summary AS summary, q.year AS year, q.month AS month, m.meeting_id AS meeting,
       q.confidence AS confidence, coalesce(r.score, c.risk_score) AS risk_score, matching_offers
ORDER BY year, iso3, request_id
