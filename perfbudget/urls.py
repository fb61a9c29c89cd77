from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from perfbudget.lib.login_throttle import ThrottledLoginView
from perfbudget.views import healthz
from projects.urls import booklet_urlpatterns
from projects.views import home

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("projects/", include("projects.urls")),
    path("departments/", include("departments.urls")),
    path("departments/", include((booklet_urlpatterns, "booklet"))),
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
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
    path("admin/", admin.site.urls),
]

handler400 = "perfbudget.views.bad_request"
handler500 = "perfbudget.views.server_error"
