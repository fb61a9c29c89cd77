"""系统管理 (`/admin/`) is a superuser's tool. A unit administrator manages their unit on the
app's own pages (departments/unit_admin.py), under the same access rules as every page, so the
admin's history, revert and raw-id views never need to know about units."""

from axes.apps import AppConfig as AxesAppConfig
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class SuperuserAdminSite(admin.AdminSite):
    site_header = "预算绩效目标管理 · 系统管理"
    site_title = "预算绩效目标管理"

    def has_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser


class SuperuserAdminConfig(AdminConfig):
    default_site = "perfbudget.admin_site.SuperuserAdminSite"


class LoginSecurityConfig(AxesAppConfig):
    """django-axes (failed logins and lockouts) under a Chinese name in 系统管理."""

    verbose_name = "登录安全"
