// Handover risk: points of contact leaving their post while activities are planned in their country
// description: Export-control points of contact whose expected departure falls within `months` months
//   after the as-of month, in countries where activities are planned or proposed from the as-of month
//   on. months_left = (leaving year × 12 + month) − (as-of year × 12 + month); a departure without a
//   month counts as December.
// params:
//   as_of_year: int = 2009 — year of the reference date
//   as_of_month: int = 12 — month of the reference date
//   months: int = 6 — look-ahead window in months
// returns: contact_id, name, title, iso3, country, leaving_year, leaving_month, months_left,
//   n_activities, activities
MATCH (k:Contact)-[:REPRESENTS]->(c:Country)
WHERE k.export_control_poc = true AND k.leaving_year IS NOT NULL
WITH k, c, k.leaving_year * 12 + coalesce(k.leaving_month, 12) - ($as_of_year * 12 + $as_of_month) AS months_left
WHERE months_left >= 0 AND months_left <= $months
MATCH (c)<-[:TARGETS]-(a:Activity)
WHERE a.status IN ['planned', 'proposed'] AND a.year * 12 + coalesce(a.month, 12) >= $as_of_year * 12 + $as_of_month
WITH k, c, months_left, count(DISTINCT a) AS n_activities, collect(DISTINCT a.activity_id) AS activities
RETURN k.contact_id AS contact_id, k.name AS name, k.title AS title, c.iso3 AS iso3, c.name AS country,
       k.leaving_year AS leaving_year, k.leaving_month AS leaving_month, months_left, n_activities, activities
ORDER BY months_left, iso3, contact_id
