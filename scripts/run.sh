#!/usr/bin/env bash
# The demo (make run): migrations, the demo data, then Django's own server on 127.0.0.1:PORT
# (8000). It runs as production does, with DEBUG off, so a user sees the app's own pages (a
# missing page is the app's 404, never Django's debug page); only what plain HTTP on this
# machine needs is relaxed (no HTTPS redirect, cookies without the Secure flag), and the static
# files are served from the sources.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON_BIN:-.venv/bin/python}
PORT=${PORT:-8000}
"$PY" manage.py migrate --noinput
"$PY" manage.py load_demo
echo "perfbudget: http://127.0.0.1:${PORT}/  (finance / chief / auditor / admin, password: ${DEMO_PASSWORD:-demo})"
export DEBUG=0 SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0 SECURE_HSTS_SECONDS=0 STATIC_PLAIN=1
export SECRET_KEY="${SECRET_KEY:-demo-only-$(hostname)-not-for-production-0123456789abcdef}"
mkdir -p "${STATIC_ROOT:-staticfiles}"  # the production static folder, unused here (runserver serves the sources)
exec "$PY" manage.py runserver --insecure "127.0.0.1:${PORT}"
