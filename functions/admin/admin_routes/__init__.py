"""The admin API's routes, one Powertools router per resource; each speaks only to the domain's AdminService."""
