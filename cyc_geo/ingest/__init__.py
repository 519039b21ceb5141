"""Taking planner files in: upload safety (size, names, zip checks, format sniffing) and the import
pipeline (encoding and CRS detection, column mapping, checks against the county) that turns a file into
a new version of a layer, or refuses it with a reason and changes nothing."""
