import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from perfbudget.lib.numbers import format_money
from projects.models import Project


class ProjectTable(tables.Table):
    year = tables.Column("年度")
    table_number = tables.Column("表序号")
    code = tables.Column("项目编码", attrs={"td": {"class": "mono"}})
    table_name = tables.Column("表名称")
    name = tables.Column("项目名称")
    department = tables.Column(
        "单位",
        accessor="department__name",
        order_by="department__code",
        attrs={"td": {"class": "nowrap"}},
    )
    section = tables.Column("责任科室", accessor="section__name", default="—")
    budget_total = tables.Column("预算数（万元）", attrs={"td": {"class": "num"}})
    status = tables.Column("状态")

    class Meta:
        model = Project
        fields = ()
        sequence = (
            "year",
            "table_number",
            "code",
            "table_name",
            "name",
            "department",
            "section",
            "budget_total",
            "status",
        )
        order_by = ("-year", "booklet_order")
        attrs = {"class": "data-table"}
        empty_text = "没有符合条件的项目"

    def render_table_name(self, value, record):
        url = reverse("projects:detail", args=[record.year, record.code])
        return format_html('<a href="{}">{}</a>', url, value)

    def render_name(self, value, record):
        url = reverse("projects:detail", args=[record.year, record.code])
        return format_html('<a href="{}">{}</a>', url, value)

    def render_budget_total(self, value):
        return format_money(value)

    def render_status(self, value, record):
        return format_html(
            '<span class="badge badge-{}">{}</span>', record.status, record.get_status_display()
        )
