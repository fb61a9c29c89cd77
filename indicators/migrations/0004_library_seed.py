"""Seed the indicator library (指标库) with common 三级 indicators per 二级, and with the sound
ones of the reference document, with a suggested operator, unit and basis."""

from django.db import migrations

# 二级 name -> [(三级, description, operator, unit, basis)]
COMMON = {
    "数量指标": [
        ("完成项目数量", "年度内完成的项目个数", "≥", "个", "计划标准"),
        ("培训人次", "年度内开展培训的人次", "≥", "人次", "计划标准"),
        ("补贴发放人数", "年度内获得补贴的人数", "=", "人", "计划标准"),
        ("宣传报道数量", "在各级媒体刊发的宣传报道篇数", "≥", "篇", "计划标准"),
        ("广播节目播出时间", "全年广播电视节目播出天数", "≥", "天", "合同"),
        ("广告宣传数量", "楼宇电视、APP 等投放的宣传条数", "≥", "条", "合同"),
        ("开展活动次数", "年度内组织开展的活动次数", "≥", "次", "计划标准"),
    ],
    "质量指标": [
        ("验收合格率", "通过验收的项目占全部项目的比例", "=", "%", "行业标准"),
        ("资金使用合规率", "合规使用的资金占项目资金的比例", "=", "%", "计划标准"),
        ("专款专用率", "专款专用的资金占项目资金的比例", "=", "%", "计划标准"),
        ("补贴发放准确率", "准确发放的补贴占应发补贴的比例", "=", "%", "计划标准"),
        ("数据合格率", "审核合格的数据占全部数据的比例", "≥", "%", "行业标准"),
    ],
    "时效指标": [
        ("项目完成时间", "项目全部完成的时间", "定性", "", "计划标准"),
        ("资金支付及时率", "按计划时间支付的资金占应付资金的比例", "≥", "%", "计划标准"),
        ("补贴发放及时率", "按时发放的补贴占应发补贴的比例", "=", "%", "计划标准"),
    ],
    "成本指标": [
        ("项目总成本", "项目全部支出", "≤", "万元", "计划标准"),
        ("单位成本", "每个产出单位的平均成本", "≤", "元", "历史标准"),
        ("人均补贴标准", "每人补贴金额", "=", "元", "计划标准"),
    ],
    "经济成本指标": [
        ("项目总成本", "项目全部支出", "≤", "万元", "计划标准"),
        ("单位成本", "每个产出单位的平均成本", "≤", "元", "历史标准"),
    ],
    "社会成本指标": [("对社会发展的负面影响", "项目实施对社会发展可能造成的负面影响", "定性", "", "其他标准")],
    "生态环境成本指标": [("对生态环境的负面影响", "项目实施对自然生态环境可能造成的负面影响", "定性", "", "其他标准")],
    "经济效益指标": [
        ("带动相关产业增收", "项目带动相关产业增加的收入", "≥", "万元", "历史标准"),
        ("节约支出", "项目实施后节约的支出", "≥", "万元", "历史标准"),
    ],
    "社会效益指标": [
        ("受益人数", "项目直接受益的人数", "≥", "人", "计划标准"),
        ("社会知晓率", "抽样调查中知晓项目的人数比例", "≥", "%", "其他标准"),
        ("观众人次", "观看放映或节目的人次", "≥", "人次", "历史标准"),
        ("达标服务区比例", "服务达标的区域占全部区域的比例", "≥", "%", "行业标准"),
    ],
    "生态效益指标": [
        ("对生态环境的影响", "项目实施对生态环境的影响", "定性", "", "其他标准"),
        ("资源消耗降低率", "与上年相比资源消耗降低的比例", "≥", "%", "历史标准"),
    ],
    "可持续影响指标": [
        ("长效管理机制建立", "建立并执行长效管理制度", "定性", "", "其他标准"),
        ("项目持续发挥作用年限", "项目持续发挥作用的年限", "≥", "年", "计划标准"),
    ],
    "服务对象满意度指标": [
        ("服务对象满意度", "抽样调查中服务对象满意的比例", "≥", "%", "行业标准"),
        ("群众满意度", "群众满意数量占调查总数的比例", "≥", "%", "行业标准"),
    ],
}


def seed(apps, schema_editor):
    SecondaryCategory = apps.get_model("indicators", "SecondaryCategory")
    LibraryIndicator = apps.get_model("indicators", "LibraryIndicator")
    for category in SecondaryCategory.objects.all():
        for name, description, operator, unit, basis in COMMON.get(category.name, []):
            LibraryIndicator.objects.get_or_create(
                category=category,
                name=name,
                defaults={"description": description, "operator": operator, "unit": unit, "basis": basis},
            )


def unseed(apps, schema_editor):
    LibraryIndicator = apps.get_model("indicators", "LibraryIndicator")
    for name, entries in COMMON.items():
        LibraryIndicator.objects.filter(
            category__name=name, name__in=[e[0] for e in entries]
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("indicators", "0003_framework_versions")]

    operations = [migrations.RunPython(seed, unseed)]
