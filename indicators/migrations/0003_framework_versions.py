"""Ship the framework versions every database needs: 2020 (classic) and 2021 (成本 as 一级)."""

from decimal import Decimal

from django.db import migrations

BENEFITS = ["经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"]

VERSIONS = [
    {
        "code": "2020",
        "name": "经典三级指标体系",
        "description": "产出、效益、满意度三个一级指标；成本指标为产出指标下的二级指标。",
        "primaries": [
            ("产出指标", "output", 50, ["数量指标", "质量指标", "时效指标", "成本指标"]),
            ("效益指标", "benefit", 30, BENEFITS),
            ("满意度指标", "satisfaction", 10, ["服务对象满意度指标"]),
        ],
    },
    {
        "code": "2021",
        "name": "财预〔2021〕101号指标体系",
        "description": "成本指标单列为一级指标，下设经济成本、社会成本、生态环境成本指标。",
        "primaries": [
            ("成本指标", "cost", 20, ["经济成本指标", "社会成本指标", "生态环境成本指标"]),
            ("产出指标", "output", 30, ["数量指标", "质量指标", "时效指标"]),
            ("效益指标", "benefit", 30, BENEFITS),
            ("满意度指标", "satisfaction", 10, ["服务对象满意度指标"]),
        ],
    },
]


def create_versions(apps, schema_editor):
    FrameworkVersion = apps.get_model("indicators", "FrameworkVersion")
    PrimaryCategory = apps.get_model("indicators", "PrimaryCategory")
    SecondaryCategory = apps.get_model("indicators", "SecondaryCategory")
    for spec in VERSIONS:
        version, _ = FrameworkVersion.objects.get_or_create(
            code=spec["code"],
            defaults={"name": spec["name"], "description": spec["description"]},
        )
        for p_order, (p_name, kind, points, secondaries) in enumerate(spec["primaries"], 1):
            primary, _ = PrimaryCategory.objects.get_or_create(
                framework=version,
                name=p_name,
                defaults={"order": p_order, "kind": kind, "points": Decimal(points)},
            )
            for s_order, s_name in enumerate(secondaries, 1):
                SecondaryCategory.objects.get_or_create(
                    primary=primary,
                    name=s_name,
                    defaults={"order": s_order, "is_cost": "成本" in s_name},
                )


def remove_versions(apps, schema_editor):
    FrameworkVersion = apps.get_model("indicators", "FrameworkVersion")
    FrameworkVersion.objects.filter(code__in=[v["code"] for v in VERSIONS]).delete()


class Migration(migrations.Migration):
    dependencies = [("indicators", "0002_initial")]

    operations = [migrations.RunPython(create_versions, remove_versions)]
