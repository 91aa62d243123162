// Unmet requests: help a country asked for that no activity answers
// description: Requests voiced by countries (e.g. at ASTOP-VI) that no held or planned activity answers.
//   An activity answers a request when it targets the requesting country, uses the requested tool and
//   starts in or after the request's month (an activity without a month counts as December). Requests
//   without a tool (coordination complaints) are always listed: no single activity answers them.
//   risk_score is that of the request's year (the default risk year when that year has no score).
// params:
//   as_of_year: int = 2100 — only activities up to this year count as answers
// returns: request_id, iso3, country, kind, tool, summary, year, month, meeting, confidence, risk_score
MATCH (c:Country)-[:VOICED]->(q:Request)
WHERE NOT EXISTS {
    MATCH (q)-[:ASKS_FOR]->(t:Tool)<-[:USES]-(a:Activity)-[:TARGETS]->(c)
    WHERE a.status IN ['held', 'planned'] AND a.year <= $as_of_year
      AND a.year * 12 + coalesce(a.month, 12) >= q.year * 12 + coalesce(q.month, 1)
  }
OPTIONAL MATCH (q)-[:ASKS_FOR]->(t2:Tool)
OPTIONAL MATCH (q)-[:VOICED_AT]->(m:Meeting)
OPTIONAL MATCH (c)-[:SCORED]->(r:RiskScore)
WHERE r.year = q.year
RETURN q.request_id AS request_id, c.iso3 AS iso3, c.name AS country, q.kind AS kind, t2.tool_id AS tool,
       q.summary AS summary, q.year AS year, q.month AS month, m.meeting_id AS meeting,
       q.confidence AS confidence, coalesce(r.score, c.risk_score) AS risk_score
ORDER BY year, iso3, request_id
