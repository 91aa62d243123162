// Meeting participation: who attended which meeting, and who was invited and stayed away
// description: One row per meeting and participant (country or international organisation) with the
//   status (attended, invited_absent, announced), the level of representation and notes.
// params:
//   meeting_id: string = '' — one meeting, or '' for all
// returns: meeting_id, meeting, date, year, participant, participant_name, participant_kind, status,
//   representation, note
MATCH (p:Country)-[x:ATTENDED]->(m:Meeting)
WHERE $meeting_id = '' OR m.meeting_id = $meeting_id
RETURN m.meeting_id AS meeting_id, m.name AS meeting, m.date AS date, m.year AS year, p.iso3 AS participant,
       p.name AS participant_name, 'country' AS participant_kind, x.status AS status,
       x.representation AS representation, x.note AS note
UNION ALL
MATCH (o:Organisation)-[x:ATTENDED]->(m:Meeting)
WHERE $meeting_id = '' OR m.meeting_id = $meeting_id
RETURN m.meeting_id AS meeting_id, m.name AS meeting, m.date AS date, m.year AS year, o.org_id AS participant,
       o.name AS participant_name, 'organisation' AS participant_kind, x.status AS status,
       x.representation AS representation, x.note AS note
ORDER BY year, meeting_id, status, participant
