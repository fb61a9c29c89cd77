"""The Content-Security-Policy header (Django 5.2 has none of its own)."""

from django.conf import settings


class ContentSecurityPolicyMiddleware:
    """Every response says which sources the browser may load from: the app's own server only."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if policy:
            response.headers.setdefault("Content-Security-Policy", policy)
        return response
