// Role-sharing matrix: which partner delivers which tool to which category
// description: The proposal's role-sharing among the partners, with what each category needs: one row per
//   category, partner and assigned tool. needed is the category's own requirement for the tool
//   (primary, if_necessary, or null when the category does not list it).
// params:
//   category: int = 0 — one category (1–4), or 0 for all
// returns: category, objective, partner, partner_name, tool, tool_name, assignment, needed
MATCH (p:Country)-[s:ASSIGNED]->(t:Tool)
MATCH (cat:Category)
WHERE cat.category = s.category AND ($category = 0 OR s.category = $category)
OPTIONAL MATCH (cat)-[n:NEEDS]->(t)
RETURN s.category AS category, cat.objective AS objective, p.iso3 AS partner, p.name AS partner_name,
       t.tool_id AS tool, t.name AS tool_name, s.requirement AS assignment, n.requirement AS needed
ORDER BY category, partner, tool
