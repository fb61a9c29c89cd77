"""The documents: what each printed form and workbook contains (the builders) and how HTML, PDF
and Excel draw it (the drawers, which only draw)."""
