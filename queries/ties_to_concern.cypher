// Ties to nations of concern: every direct tie between a country and PRC, DPRK or Iran, with strength
// description: One row per country, nation of concern and kind of tie in a year: trade (exports and
//   imports, USD mn; IMF DOTS where it has the flow, else COW), border (land 1.0, sea <=12 mi 0.8,
//   <=24 mi 0.7, <=150 mi 0.5, <=400 mi 0.3, in force that year), alliance (ATOP, either direction:
//   defense/offense 1.0, neutrality/consultation 0.6, non-aggression 0.3), shared IGOs (count), common
//   language (official 1.0, ethnic 0.5), colonial link (colony or same country 1.0, common coloniser
//   0.5), analyst-recorded history (strength 0-1, up to that year), rivalry (-1, a negative tie) and
//   capital distance (km). The same facts feed the risk score.
// params:
//   iso3: string = '' — one country, or '' for all
//   year: int = 2008 — year for trade, borders, alliances, IGOs and rivalries
// returns: iso3, country, concern_iso3, concern, tie, strength, unit, detail
MATCH (c:Country)-[t:TRADES_WITH]->(k:Country)
WHERE ($iso3 = '' OR c.iso3 = $iso3) AND c.iso3 <> k.iso3 AND k.concern = true AND t.year = $year
WITH c, k, sum(CASE WHEN t.dataset = 'IMF_DOTS' THEN t.value_usd_mn END) AS imf,
     sum(CASE WHEN t.dataset = 'COW' THEN t.value_usd_mn END) AS cow,
     count(CASE WHEN t.dataset = 'IMF_DOTS' THEN 1 END) AS n_imf
RETURN c.iso3 AS iso3, c.name AS country, k.iso3 AS concern_iso3, k.name AS concern, 'trade_exports' AS tie,
       CASE WHEN n_imf > 0 THEN imf ELSE cow END AS strength, 'USD mn' AS unit, CASE WHEN n_imf > 0 THEN 'IMF_DOTS' ELSE 'COW' END AS detail
UNION ALL
MATCH (k:Country)-[t:TRADES_WITH]->(c:Country)
WHERE ($iso3 = '' OR c.iso3 = $iso3) AND c.iso3 <> k.iso3 AND k.concern = true AND t.year = $year
WITH c, k, sum(CASE WHEN t.dataset = 'IMF_DOTS' THEN t.value_usd_mn END) AS imf,
     sum(CASE WHEN t.dataset = 'COW' THEN t.value_usd_mn END) AS cow,
     count(CASE WHEN t.dataset = 'IMF_DOTS' THEN 1 END) AS n_imf
RETURN c.iso3 AS iso3, c.name AS country, k.iso3 AS concern_iso3, k.name AS concern, 'trade_imports' AS tie,
       CASE WHEN n_imf > 0 THEN imf ELSE cow END AS strength, 'USD mn' AS unit, CASE WHEN n_imf > 0 THEN 'IMF_DOTS' ELSE 'COW' END AS detail
UNION ALL
MATCH (c:Country)-[x:CONTIGUOUS]-(k:Country)
WHERE ($iso3 = '' OR c.iso3 = $iso3) AND c.iso3 <> k.iso3 AND k.concern = true
  AND (x.from_year IS NULL OR x.from_year <= $year) AND (x.to_year IS NULL OR x.to_year >= $year)
WITH c, k, max(CASE x.kind WHEN 'land' THEN 5 WHEN 'sea_12mi' THEN 4 WHEN 'sea_24mi' THEN 3
                           WHEN 'sea_150mi' THEN 2 ELSE 1 END) AS best
RETURN c.iso3 AS iso3, c.name AS country, k.iso3 AS concern_iso3, k.name AS concern, 'border' AS tie,
       CASE best WHEN 5 THEN 1.0 WHEN 4 THEN 0.8 WHEN 3 THEN 0.7 WHEN 2 THEN 0.5 ELSE 0.3 END AS strength,
       'score 0-1' AS unit,
       CASE best WHEN 5 THEN 'land' WHEN 4 THEN 'sea_12mi' WHEN 3 THEN 'sea_24mi' WHEN 2 THEN 'sea_150mi'
                 ELSE 'sea_400mi' END AS detail
UNION ALL
MATCH (c:Country)-[x:ALLIED_WITH]-(k:Country)
WHERE ($iso3 = '' OR c.iso3 = $iso3) AND c.iso3 <> k.iso3 AND k.concern = true AND x.year = $year
WITH c, k, max(CASE WHEN x.defense THEN 5 WHEN x.offense THEN 4 WHEN x.neutrality THEN 3
                    WHEN x.consultation THEN 2 WHEN x.nonaggression THEN 1 ELSE 0 END) AS best
RETURN c.iso3 AS iso3, c.name AS country, k.iso3 AS concern_iso3, k.name AS concern, 'alliance' AS tie,
       CASE WHEN best >= 4 THEN 1.0 WHEN best >= 2 THEN 0.6 WHEN best = 1 THEN 0.3 ELSE 0.0 END AS strength,
       'score 0-1' AS unit,
       CASE best WHEN 5 THEN 'defense' WHEN 4 THEN 'offense' WHEN 3 THEN 'neutrality' WHEN 2 THEN 'consultation'
                 WHEN 1 THEN 'non-aggression' ELSE 'none' END AS detail
UNION ALL
MATCH (c:Country)-[x:SHARES_IGO]-(k:Country)
WHERE ($iso3 = '' OR c.iso3 = $iso3) AND c.iso3 <> k.iso3 AND k.concern = true AND x.year = $year
RETURN c.iso3 AS iso3, c.name AS country, k.iso3 AS concern_iso3, k.name AS concern, 'shared_igos' AS tie,
       x.count * 1.0 AS strength, 'count' AS unit, 'COW IGO' AS detail
UNION ALL
MATCH (c:Country)-[x:LANGUAGE_TIE]-(k:Country)
WHERE ($iso3 = '' OR c.iso3 = $iso3) AND c.iso3 <> k.iso3 AND k.concern = true
RETURN c.iso3 AS iso3, c.name AS country, k.iso3 AS concern_iso3, k.name AS concern, 'language' AS tie,
       CASE WHEN x.official THEN 1.0 WHEN x.ethnic THEN 0.5 ELSE 0.0 END AS strength, 'score 0-1' AS unit, CASE WHEN x.official THEN 'common official language' ELSE 'common ethnic language' END AS detail
UNION ALL
MATCH (c:Country)-[x:COLONIAL_TIE]-(k:Country)
WHERE ($iso3 = '' OR c.iso3 = $iso3) AND c.iso3 <> k.iso3 AND k.concern = true
RETURN c.iso3 AS iso3, c.name AS country, k.iso3 AS concern_iso3, k.name AS concern, 'colonial' AS tie,
       CASE WHEN x.colony OR x.same_country THEN 1.0 WHEN x.common_colonizer THEN 0.5 ELSE 0.0 END AS strength, 'score 0-1' AS unit, CASE WHEN x.same_country THEN 'same country' WHEN x.colony THEN 'colony' ELSE 'common coloniser' END AS detail
UNION ALL
MATCH (c:Country)-[x:HISTORICAL_TIE]-(k:Country)
WHERE ($iso3 = '' OR c.iso3 = $iso3) AND c.iso3 <> k.iso3 AND k.concern = true AND x.year <= $year
RETURN c.iso3 AS iso3, c.name AS country, k.iso3 AS concern_iso3, k.name AS concern, 'recorded' AS tie,
       x.strength AS strength, 'score 0-1' AS unit, x.kind AS detail
UNION ALL
MATCH (c:Country)-[x:RIVALRY]-(k:Country)
WHERE ($iso3 = '' OR c.iso3 = $iso3) AND c.iso3 <> k.iso3 AND k.concern = true AND x.start_year <= $year
  AND (x.end_year IS NULL OR x.end_year >= $year OR x.end_year >= 2010)
RETURN c.iso3 AS iso3, c.name AS country, k.iso3 AS concern_iso3, k.name AS concern, 'rivalry' AS tie,
       -1.0 AS strength, 'score 0-1' AS unit, x.name AS detail
UNION ALL
MATCH (c:Country)-[x:DISTANCE]-(k:Country)
WHERE ($iso3 = '' OR c.iso3 = $iso3) AND c.iso3 <> k.iso3 AND k.concern = true AND x.distcap_km IS NOT NULL
RETURN c.iso3 AS iso3, c.name AS country, k.iso3 AS concern_iso3, k.name AS concern, 'distance' AS tie,
       x.distcap_km AS strength, 'km' AS unit, 'capital to capital' AS detail
ORDER BY iso3, concern_iso3, tie, detail
