from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from indicators.models import (
    FrameworkVersion,
    Indicator,
    IndicatorResult,
    LibraryIndicator,
    PrimaryCategory,
    SecondaryCategory,
    SelfEvaluation,
)


class PrimaryInline(admin.TabularInline):
    model = PrimaryCategory
    extra = 0


class SecondaryInline(admin.TabularInline):
    model = SecondaryCategory
    extra = 0


@admin.register(FrameworkVersion)
class FrameworkVersionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "budget_points"]
    inlines = [PrimaryInline]


@admin.register(PrimaryCategory)
class PrimaryCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "framework", "order", "kind", "points"]
    list_filter = ["framework"]
    inlines = [SecondaryInline]


@admin.register(SecondaryCategory)
class SecondaryCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "primary", "order", "is_cost"]
    list_filter = ["primary__framework"]


@admin.register(Indicator)
class IndicatorAdmin(SimpleHistoryAdmin):
    list_display = ["name", "project", "category", "value_text", "basis"]
    list_filter = ["category__primary__framework", "project__year"]
    search_fields = ["name", "project__code", "project__name"]
    list_select_related = ["project", "category__primary"]
    raw_id_fields = ["project"]


@admin.register(LibraryIndicator)
class LibraryIndicatorAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "operator", "unit", "basis"]
    list_filter = ["category__primary__framework"]
    search_fields = ["name"]


@admin.register(SelfEvaluation)
class SelfEvaluationAdmin(SimpleHistoryAdmin):
    list_display = ["project", "annual_budget", "executed", "status"]
    raw_id_fields = ["project"]


@admin.register(IndicatorResult)
class IndicatorResultAdmin(SimpleHistoryAdmin):
    list_display = ["indicator", "actual_text", "achievement"]
    raw_id_fields = ["indicator"]
