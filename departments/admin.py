from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from departments.models import (
    Department,
    DepartmentYear,
    Membership,
    Section,
    SectionIndicator,
    SectionRating,
)
from perfbudget.lib.admin_scope import UnitScopedAdmin


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0
    fields = ["order", "name", "duties"]


@admin.register(Department)
class DepartmentAdmin(UnitScopedAdmin, SimpleHistoryAdmin):
    unit_path = ""

    list_display = ["code", "name", "parent"]
    search_fields = ["code", "name"]
    inlines = [SectionInline]


@admin.register(Membership)
class MembershipAdmin(UnitScopedAdmin, SimpleHistoryAdmin):
    unit_path = "department"

    list_display = ["user", "department", "role"]
    list_filter = ["role", "department"]
    search_fields = ["user__username", "department__name"]
    filter_horizontal = ["sections"]


@admin.register(Section)
class SectionAdmin(UnitScopedAdmin, SimpleHistoryAdmin):
    unit_path = "department"

    list_display = ["name", "department", "order"]
    list_filter = ["department"]
    search_fields = ["name"]


@admin.register(DepartmentYear)
class DepartmentYearAdmin(UnitScopedAdmin, SimpleHistoryAdmin):
    unit_path = "department"

    list_display = ["department", "year", "status"]
    list_filter = ["year", "status"]


@admin.register(SectionIndicator)
class SectionIndicatorAdmin(UnitScopedAdmin, SimpleHistoryAdmin):
    unit_path = "section__department"

    list_display = ["name", "section", "year", "order", "criteria_text"]
    list_filter = ["year", "section__department"]
    search_fields = ["name"]

    @admin.display(description="评价标准（优/良/中/差）")
    def criteria_text(self, obj: SectionIndicator) -> str:
        return " / ".join(obj.criteria())


@admin.register(SectionRating)
class SectionRatingAdmin(UnitScopedAdmin, SimpleHistoryAdmin):
    unit_path = "indicator__section__department"

    list_display = ["indicator", "actual_value", "manual_grade", "confirmed", "reviewed_by"]
    list_filter = ["confirmed"]
