"""Loaded once by the fork server that starts booklet layout workers for a threaded server
(projects/documents/pdf.py, `_pool`): Django set up and the renderer imported, so that each
worker it forks starts laying out at once."""

import django

django.setup()

from projects.documents import pdf_runs  # noqa: E402, F401  (the workers' functions)
