from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from indicators.models import Indicator
from projects.models import BudgetYear, Project, ScheduleEntry


class ScheduleInline(admin.TabularInline):
    model = ScheduleEntry
    extra = 0


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0
    fields = ["category", "order", "name", "description", "value_text", "basis"]


@admin.register(BudgetYear)
class BudgetYearAdmin(admin.ModelAdmin):
    list_display = ["year", "framework", "milestone_months"]


@admin.register(Project)
class ProjectAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "year", "department", "table_number", "budget_total", "status"]
    list_filter = ["year", "status", "department"]
    search_fields = ["code", "name", "table_name"]
    list_select_related = ["department"]
    inlines = [ScheduleInline, IndicatorInline]


@admin.register(ScheduleEntry)
class ScheduleEntryAdmin(SimpleHistoryAdmin):
    list_display = ["project", "month", "planned_percent", "actual_percent"]
    raw_id_fields = ["project"]
