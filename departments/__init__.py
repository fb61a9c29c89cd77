"""Units and who works in them: departments, sections, memberships and roles, the unit-year's
第一部分 (overall target, safeguards, section rating indicators and their 优/良/中/差 scales,
ratings). `access.py` is the one answer to "who may see and change which unit"; `unit_admin.py`
holds the unit administrator's pages; `views.py` the 第一部分 pages (mounted with the other
unit-year pages in `projects/urls.py`)."""
