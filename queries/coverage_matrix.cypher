// Coverage matrix: for every recipient and tool, what is required and who delivers it in the window
// description: One row per recipient country and tool that its category needs or that some activity
//   delivered in the window (held or planned; proposed offers are counted separately). cell is 'gap'
//   (needed, nothing held or planned), 'overlap' (more than one partner, or more than max_activities
//   activities), 'delivered' (needed and delivered), 'extra' (delivered but not needed by the
//   category), 'unconfirmed' (would be 'delivered', but every held or planned activity behind it has a
//   confidence below min_confidence — e.g. Annex II items read from a garbled list at 0.5–0.7). Countries
//   without a category show only what was delivered. Only outreach counts: activities of kind
//   'diplomatic_contact' are left out (a blank kind is outreach). statuses lists the statuses present
//   (held, planned, and proposed when n_proposed > 0); min_confidence is the lowest confidence among the
//   held or planned activities counted (null when none).
//   Risk and tier are those of year_to (the default risk year if year_to has no score); risk_tier follows
//   tier_source: 'assessment' takes the analysts' tier of the assessment in force where there is one
//   (tier_source says 'analysts'), else the model's ('model').
// params:
//   year_from: int = 2008 — first year of the window
//   year_to: int = 2008 — last year of the window
//   max_activities: int = 2 — more activities than this of one tool in one country is an overlap
//   min_confidence: float = 0.0 — a needed cell resting only on activities below this confidence is 'unconfirmed'
//   tier_source: string = assessment — whose risk tier is shown (one of: assessment, model)
// returns: iso3, country, category, tool, requirement, cell, partners, n_activities, n_proposed, activities, statuses, min_confidence,
//   risk_score, risk_tier, tier_source
MATCH (c:Country), (t:Tool)
WHERE c.recipient = true
OPTIONAL MATCH (cat:Category)-[n:NEEDS]->(t)
WHERE cat.category = c.category
WITH c, t, n.requirement AS requirement
// a.tool is the tool its USES edge points to (one per activity); one pass per country and tool, and
// count(a) counts activities (each has one partner and lists a target once)
OPTIONAL MATCH (p:Country)-[:CONDUCTS]->(a:Activity)-[:TARGETS]->(c)
WHERE a.tool = t.tool_id AND a.year >= $year_from AND a.year <= $year_to AND a.status IN ['held', 'planned']
  AND coalesce(a.kind, 'outreach') = 'outreach'
WITH c, t, requirement, collect(DISTINCT p.iso3) AS partners, count(a) AS n_activities,
     collect(a.activity_id) AS activities, collect(DISTINCT a.status) AS counted_statuses,
     min(a.confidence) AS min_confidence, max(a.confidence) AS max_confidence
OPTIONAL MATCH (c)<-[:TARGETS]-(o:Activity)
WHERE o.tool = t.tool_id AND o.year >= $year_from AND o.year <= $year_to AND o.status = 'proposed'
  AND coalesce(o.kind, 'outreach') = 'outreach'
WITH c, t, requirement, partners, n_activities, activities, counted_statuses, min_confidence, max_confidence,
     count(o) AS n_proposed
WHERE requirement IS NOT NULL OR n_activities > 0 OR n_proposed > 0
WITH c, t, requirement, partners, n_activities, activities, min_confidence, max_confidence, n_proposed,
     counted_statuses + CASE WHEN n_proposed > 0 THEN ['proposed'] ELSE [] END AS statuses
OPTIONAL MATCH (c)-[:SCORED]->(r:RiskScore)
WHERE r.year = $year_to
RETURN c.iso3 AS iso3, c.name AS country, c.category AS category, t.tool_id AS tool,
       requirement,
       CASE WHEN requirement IS NOT NULL AND n_activities = 0 THEN 'gap'
            WHEN size(partners) > 1 OR n_activities > $max_activities THEN 'overlap'
            WHEN requirement IS NOT NULL AND max_confidence < $min_confidence THEN 'unconfirmed'
            WHEN requirement IS NOT NULL THEN 'delivered'
            WHEN n_activities > 0 THEN 'extra'
            ELSE 'proposed only' END AS cell,
       partners, n_activities, n_proposed, activities, statuses, min_confidence,
       CASE WHEN r IS NULL THEN c.risk_score ELSE r.score END AS risk_score,
       CASE WHEN $tier_source = 'assessment' AND (CASE WHEN r IS NULL THEN c.assessed_tier ELSE r.assessed_tier END) IS NOT NULL
            THEN (CASE WHEN r IS NULL THEN c.assessed_tier ELSE r.assessed_tier END)
            ELSE (CASE WHEN r IS NULL THEN c.risk_tier ELSE r.tier END) END AS risk_tier,
       CASE WHEN $tier_source = 'assessment' AND (CASE WHEN r IS NULL THEN c.assessed_tier ELSE r.assessed_tier END) IS NOT NULL
            THEN 'analysts' ELSE 'model' END AS tier_source
ORDER BY coalesce(risk_score, -1.0) DESC, iso3, tool
