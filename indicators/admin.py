from django import forms
from django.contrib import admin
from django.db import transaction
from simple_history.admin import SimpleHistoryAdmin

from indicators.models import (
    FrameworkVersion,
    Indicator,
    IndicatorResult,
    LibraryIndicator,
    PrimaryCategory,
    ReviewProfile,
    ReviewProfileRule,
    SecondaryCategory,
    SelfEvaluation,
)


class ReviewProfileRuleInline(admin.TabularInline):
    model = ReviewProfileRule
    extra = 0
    fields = ["rule", "level", "reason"]
    readonly_fields = ["reason"]

    @admin.display(description="依据")
    def reason(self, obj) -> str:
        from indicators.checks import CATALOGUE

        rule = CATALOGUE.get(obj.rule)
        return rule.reason if rule else ""


class ReviewProfileForm(forms.ModelForm):
    class Meta:
        model = ReviewProfile
        fields = ["framework", "name", "description", "is_active"]

    def _get_validation_exclusions(self):
        # Putting a profile in force retires the framework's current one on save (below), so
        # the one-in-force constraint is not a reason to refuse the form.
        exclude = super()._get_validation_exclusions()
        exclude.add("is_active")
        return exclude


@admin.register(ReviewProfile)
class ReviewProfileAdmin(SimpleHistoryAdmin):
    """审核口径: a superuser sets each rule to 错误/警告/提示/关闭, and which profile is in force
    for a framework version; the checks read it on their next run, no code change."""

    form = ReviewProfileForm
    list_display = ["name", "framework", "is_active"]
    list_filter = ["framework", "is_active"]
    inlines = [ReviewProfileRuleInline]

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        if obj.is_active:
            # One change of a framework's profiles at a time (row lock on the framework): two
            # superusers putting different profiles in force cannot both pass the constraint.
            FrameworkVersion.objects.select_for_update().get(pk=obj.framework_id)
            # The profile put in force replaces the framework's current one.
            ReviewProfile.objects.filter(framework=obj.framework, is_active=True).exclude(
                pk=obj.pk
            ).update(is_active=False)
        super().save_model(request, obj, form, change)


@admin.register(ReviewProfileRule)
class ReviewProfileRuleAdmin(SimpleHistoryAdmin):
    list_display = ["rule", "level", "profile"]
    list_filter = ["profile__framework", "profile", "level"]


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
