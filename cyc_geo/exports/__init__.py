"""Files planners file away: the one export helper for every page and command.

- ``meta``: what every export states (title, date in Beijing time, filter or scenario, data
  sources with their data years, demo note) and rounding as the plan prints numbers;
- ``cells``: the one neutraliser of spreadsheet text (a name never becomes a formula, OWASP CSV
  injection) and ``csv_bytes``, the writer of every CSV download;
- ``excel``: tidy workbooks (a title block, units in headers, numbers stored as numbers);
- ``pdf``: printable PDF reports with Chinese fonts embedded and text kept as text (fpdf2).
"""
