"""Land for the priority projects (附件2): the project table and sites (projects), the land check of a
site against the plan's spatial layers (landcheck), downloadable reports (report) and the projects
page's displayed values (sites_table)."""
