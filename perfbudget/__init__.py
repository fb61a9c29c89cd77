"""The site: settings (from the environment, `lib/env.py`), URLs, the error pages and health
check, and `lib/`, the helpers every app uses (numbers and their formats, grades and the review
state, cached downloads, the login throttle, security headers, logs)."""
