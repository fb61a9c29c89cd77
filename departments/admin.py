from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from simple_history.admin import SimpleHistoryAdmin

from departments.models import (
    Department,
    DepartmentYear,
    Membership,
    Section,
    SectionIndicator,
    SectionRating,
)


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0
    fields = ["order", "name", "duties"]


@admin.register(Department)
class DepartmentAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "parent"]
    search_fields = ["code", "name"]
    inlines = [SectionInline]


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "department", "role"]
    list_filter = ["role", "department"]
    search_fields = ["user__username", "department__name"]
    filter_horizontal = ["sections"]


@admin.register(Section)
class SectionAdmin(SimpleHistoryAdmin):
    list_display = ["name", "department", "order"]
    list_filter = ["department"]
    search_fields = ["name"]


@admin.register(DepartmentYear)
class DepartmentYearAdmin(SimpleHistoryAdmin):
    list_display = ["department", "year", "status"]
    list_filter = ["year", "status"]


@admin.register(SectionIndicator)
class SectionIndicatorAdmin(SimpleHistoryAdmin):
    list_display = ["name", "section", "year", "order", "criteria_text"]
    list_filter = ["year", "section__department"]
    search_fields = ["name"]

    @admin.display(description="评价标准（优/良/中/差）")
    def criteria_text(self, obj: SectionIndicator) -> str:
        return " / ".join(obj.criteria())


@admin.register(SectionRating)
class SectionRatingAdmin(SimpleHistoryAdmin):
    list_display = ["indicator", "actual_value", "manual_grade", "confirmed", "reviewed_by"]
    list_filter = ["confirmed"]


# The app decides who may do what by units and roles (departments/access.py), never by Django's
# groups and permissions: 系统管理 does not offer them (their names are English, stored by
# migrate), so no one sets one in the belief that it does something.
admin.site.unregister(Group)
admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class PersonAdmin(UserAdmin):
    list_filter = ["is_staff", "is_superuser", "is_active"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("个人信息", {"fields": ["first_name", "last_name", "email"]}),
        ("权限", {"fields": ["is_active", "is_staff", "is_superuser"]}),
        ("重要日期", {"fields": ["last_login", "date_joined"]}),
    ]
