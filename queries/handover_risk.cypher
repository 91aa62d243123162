// Handover risk: points of contact who may leave their post while activities are planned in their country
// description: Export-control points of contact whose leaving window overlaps the look-ahead window, in
//   countries where activities are planned or proposed from the as-of month on. Months are counted as
//   year × 12 + month. The leaving window runs from leaving_from (a blank month = January; a blank start =
//   earliest unknown, i.e. any month up to the end) to leaving_year/leaving_month (a blank month =
//   December). The look-ahead window runs from the as-of month to as-of + months. They overlap when
//   leaving_end >= as_of AND leaving_start <= as_of + months — so "within six months" said in December 2009
//   (window 2009-12 to 2010-06) is caught by a three-month look-ahead, where the latest date alone was not.
//   months_left = months from the as-of month to the earliest possible departure (0 when it may be now);
//   months_to_latest = months to the end of the window.
// params:
//   as_of_year: int = 2009 — year of the reference date
//   as_of_month: int = 12 — month of the reference date
//   months: int = 6 — look-ahead window in months
// returns: contact_id, name, title, iso3, country, leaving_from_year, leaving_from_month, leaving_year,
//   leaving_month, months_left, months_to_latest, n_activities, activities
MATCH (k:Contact)-[:REPRESENTS]->(c:Country)
WHERE k.export_control_poc = true AND k.leaving_year IS NOT NULL
WITH k, c, $as_of_year * 12 + $as_of_month AS as_of,
     k.leaving_year * 12 + coalesce(k.leaving_month, 12) AS leaving_end,
     CASE WHEN k.leaving_from_year IS NULL THEN $as_of_year * 12 + $as_of_month
          ELSE k.leaving_from_year * 12 + coalesce(k.leaving_from_month, 1) END AS leaving_start
WHERE leaving_end >= as_of AND leaving_start <= as_of + $months
WITH k, c, as_of, leaving_end,
     CASE WHEN leaving_start > as_of THEN leaving_start - as_of ELSE 0 END AS months_left
MATCH (c)<-[:TARGETS]-(a:Activity)
WHERE a.status IN ['planned', 'proposed'] AND a.year * 12 + coalesce(a.month, 12) >= as_of
WITH k, c, months_left, leaving_end - as_of AS months_to_latest, count(DISTINCT a) AS n_activities,
     collect(DISTINCT a.activity_id) AS activities
RETURN k.contact_id AS contact_id, k.name AS name, k.title AS title, c.iso3 AS iso3, c.name AS country,
       k.leaving_from_year AS leaving_from_year, k.leaving_from_month AS leaving_from_month,
       k.leaving_year AS leaving_year, k.leaving_month AS leaving_month, months_left, months_to_latest,
       n_activities, activities
ORDER BY months_left, months_to_latest, iso3, contact_id
