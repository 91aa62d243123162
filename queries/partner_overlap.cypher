// Partner overlap: the same tool offered to the same country by several partners, or too often
// description: The flooding signal (the 2009 complaint of donors crowding Malaysia with overlapping
//   "best practice" training). One row per country and tool whose activities in the window (held,
//   planned or proposed — offers count) come from more than one partner or number more than
//   max_activities. Only outreach counts: activities of kind 'diplomatic_contact' (a lunch conversation, a
//   margin talk on another subject) are left out; a blank kind is outreach.
// params:
//   year_from: int = 2008 — first year of the window
//   year_to: int = 2008 — last year of the window
//   max_activities: int = 2 — more activities than this of one tool in one country is flooding
// returns: iso3, country, tool, n_partners, n_activities, partners, activities
MATCH (p:Country)-[:CONDUCTS]->(a:Activity)-[:TARGETS]->(c:Country)
WHERE a.year >= $year_from AND a.year <= $year_to AND a.status IN ['held', 'planned', 'proposed']
  AND coalesce(a.kind, 'outreach') = 'outreach'
MATCH (a)-[:USES]->(t:Tool)
// each activity has one partner and one tool and lists a target once, so count(*) counts activities (and
// the activity ids are distinct) without the costly DISTINCT over every activity id
WITH c, t, count(DISTINCT p) AS n_partners, count(*) AS n_activities,
     collect(DISTINCT p.iso3) AS partners, collect(a.activity_id) AS activities
WHERE n_partners > 1 OR n_activities > $max_activities
RETURN c.iso3 AS iso3, c.name AS country, t.tool_id AS tool, n_partners, n_activities, partners, activities
ORDER BY n_partners DESC, n_activities DESC, iso3, tool
