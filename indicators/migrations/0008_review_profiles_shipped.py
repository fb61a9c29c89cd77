"""Ship two 审核口径 for every framework version: 严格口径 (in force) and 宽松口径."""

from django.db import migrations

STRICT = {'FUNDS_SUM': 'error',
 'FUNDS_NEGATIVE': 'error',
 'SCHEDULE_RANGE': 'error',
 'SCHEDULE_DECREASING': 'error',
 'SCHEDULE_NOT_COMPLETE': 'error',
 'SCHEDULE_EMPTY': 'warning',
 'TARGET_EMPTY': 'error',
 'TARGET_PLACEHOLDER': 'error',
 'TARGET_NO_MEASURE': 'warning',
 'OVERALL_TARGET_EMPTY': 'error',
 'PRIMARY_MISSING': 'error',
 'DUPLICATE_NAME': 'error',
 'COST_MISSING': 'error',
 'COST_OVER_BUDGET': 'error',
 'VALUE_COPIED': 'warning',
 'VALUE_EMPTY': 'error',
 'VALUE_PLACEHOLDER': 'error',
 'VALUE_REPEATS_TEXT': 'error',
 'VALUE_VAGUE': 'error',
 'QUALITATIVE_NO_GRADES': 'error',
 'PERCENT_OVER_100': 'error',
 'NUMBER_WITHOUT_UNIT': 'warning',
 'PERCENT_SPELLING': 'info',
 'COST_NOT_MONEY': 'error',
 'COST_NO_CEILING': 'warning',
 'COST_LOWER_BOUND': 'warning',
 'COST_IS_BENEFIT': 'warning',
 'PROCESS_AS_OUTPUT': 'warning',
 'TIMELINESS_NO_DATE': 'warning',
 'BOUND_AS_EQUAL': 'warning',
 'QUANTITY_AS_RATE': 'warning',
 'NUMBER_IN_NAME': 'warning',
 'BASIS_EMPTY': 'info',
 'BASIS_INVALID': 'warning',
 'SCALE_HOLE': 'warning',
 'SCALE_OVERLAP': 'error'}

LENIENT = {'FUNDS_SUM': 'error',
 'FUNDS_NEGATIVE': 'error',
 'SCHEDULE_RANGE': 'error',
 'SCHEDULE_DECREASING': 'error',
 'SCHEDULE_NOT_COMPLETE': 'error',
 'SCHEDULE_EMPTY': 'info',
 'TARGET_EMPTY': 'error',
 'TARGET_PLACEHOLDER': 'warning',
 'TARGET_NO_MEASURE': 'info',
 'OVERALL_TARGET_EMPTY': 'error',
 'PRIMARY_MISSING': 'error',
 'DUPLICATE_NAME': 'error',
 'COST_MISSING': 'warning',
 'COST_OVER_BUDGET': 'error',
 'VALUE_COPIED': 'info',
 'VALUE_EMPTY': 'error',
 'VALUE_PLACEHOLDER': 'warning',
 'VALUE_REPEATS_TEXT': 'warning',
 'VALUE_VAGUE': 'warning',
 'QUALITATIVE_NO_GRADES': 'warning',
 'PERCENT_OVER_100': 'error',
 'NUMBER_WITHOUT_UNIT': 'info',
 'PERCENT_SPELLING': 'off',
 'COST_NOT_MONEY': 'warning',
 'COST_NO_CEILING': 'info',
 'COST_LOWER_BOUND': 'info',
 'COST_IS_BENEFIT': 'info',
 'PROCESS_AS_OUTPUT': 'info',
 'TIMELINESS_NO_DATE': 'info',
 'BOUND_AS_EQUAL': 'info',
 'QUANTITY_AS_RATE': 'info',
 'NUMBER_IN_NAME': 'info',
 'BASIS_EMPTY': 'off',
 'BASIS_INVALID': 'info',
 'SCALE_HOLE': 'warning',
 'SCALE_OVERLAP': 'error'}

PROFILES = [
    (
        "严格口径",
        "默认口径：指标值不可衡量（重复名称、占位文字、含糊定性、无评价等级）、缺少成本金额指标"
        "等为错误，须改正后才能提交。",
        True,
        STRICT,
    ),
    (
        "宽松口径",
        "过渡口径：只有资金、支出计划、缺项等完整性问题为错误；指标质量问题为警告或提示，不影响提交。",
        False,
        LENIENT,
    ),
]


def create_profiles(apps, schema_editor):
    FrameworkVersion = apps.get_model("indicators", "FrameworkVersion")
    ReviewProfile = apps.get_model("indicators", "ReviewProfile")
    ReviewProfileRule = apps.get_model("indicators", "ReviewProfileRule")
    for framework in FrameworkVersion.objects.all():
        for name, description, active, levels in PROFILES:
            profile, created = ReviewProfile.objects.get_or_create(
                framework=framework,
                name=name,
                defaults={"description": description, "is_active": active},
            )
            if created:
                ReviewProfileRule.objects.bulk_create(
                    ReviewProfileRule(profile=profile, rule=rule, level=level)
                    for rule, level in levels.items()
                )


def remove_profiles(apps, schema_editor):
    ReviewProfile = apps.get_model("indicators", "ReviewProfile")
    ReviewProfile.objects.filter(name__in=[p[0] for p in PROFILES]).delete()


class Migration(migrations.Migration):
    dependencies = [("indicators", "0007_review_profiles")]

    operations = [migrations.RunPython(create_profiles, remove_profiles)]
