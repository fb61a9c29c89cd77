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
