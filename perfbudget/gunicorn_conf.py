"""gunicorn settings for `make serve`, read from the environment.

Workers are processes with a few threads each: pages are short, while PDF and Excel downloads
hold a thread for up to a few seconds; a large unit's booklet is a background job (jobs/).
"""

import multiprocessing
import os

bind = os.getenv("BIND", "127.0.0.1:8000")
workers = int(os.getenv("WEB_CONCURRENCY", str(multiprocessing.cpu_count() * 2 + 1)))
worker_class = "gthread"
threads = int(os.getenv("WEB_THREADS", "4"))
timeout = int(os.getenv("WEB_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests, so no slow growth of memory lasts.
max_requests = int(os.getenv("WEB_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
accesslog = os.getenv("ACCESS_LOG") or None
errorlog = "-"
loglevel = os.getenv("GUNICORN_LOG_LEVEL", "info")
# gunicorn's control socket (one path per user: two servers on one machine would take it from
# each other) is not used: servers are started and stopped by their supervisor.
control_socket_disable = True
# The proxy in front sets X-Forwarded-* (see TRUST_X_FORWARDED_PROTO in settings).
forwarded_allow_ips = os.getenv("FORWARDED_ALLOW_IPS", "127.0.0.1")
