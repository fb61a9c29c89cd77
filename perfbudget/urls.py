from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView

from perfbudget.lib.login_throttle import ThrottledLoginView
from perfbudget.views import LogoutView, healthz
from projects.urls import unit_year_urlpatterns
from projects.views.home import home

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("projects/", include("projects.urls")),
    path("departments/", include((unit_year_urlpatterns, "unit_year"))),
    path("departments/", include("departments.urls")),
    path("jobs/", include("jobs.urls")),
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path(
        "accounts/password_change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    # One login page for the app and 系统管理: the admin's own would check passwords without
    # the throttle's one-at-a-time lock and answer a lockout without its message.
    path(
        "admin/login/",
        login_not_required(RedirectView.as_view(url="/accounts/login/", query_string=True)),
    ),
    path("admin/", admin.site.urls),
]

handler400 = "perfbudget.views.bad_request"
handler500 = "perfbudget.views.server_error"
