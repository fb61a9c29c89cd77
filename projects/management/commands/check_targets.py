import json

from django.core.management.base import BaseCommand, CommandError

from departments.models import DepartmentYear
from indicators.checks import Severity
from projects.findings import department_findings


class Command(BaseCommand):
    help = "检查一个单位一个年度的绩效目标质量（审核规则），列出错误、警告和提示。"

    def add_arguments(self, parser):
        parser.add_argument("--department", required=True, help="单位编码")
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--json", action="store_true", help="以 JSON 输出")

    def handle(self, *args, department: str, year: int, json: bool = False, **options):
        try:
            department_year = DepartmentYear.objects.with_part_one(year).get(
                department__code=department, year=year
            )
        except DepartmentYear.DoesNotExist:
            raise CommandError(f"没有单位 {department} 的 {year} 年绩效目标") from None
        results = department_findings(department_year)
        if json:
            self.stdout.write(_as_json(department_year, results))
            return
        counts = {s: 0 for s in Severity}
        for project, findings in results:
            title = (
                f"{project.heading}（{project.code}）" if project else "第一部分 部门整体绩效目标"
            )
            self.stdout.write(title)
            for finding in findings:
                counts[finding.severity] += 1
                label = f"[{finding.severity_label}] {finding.title}"
                self.stdout.write(f"  {label}  {finding.where}：{finding.message}")
                if finding.suggestion:
                    self.stdout.write(f"      建议：{finding.suggestion}")
            if not findings:
                self.stdout.write("  未发现问题")
        summary = "，".join(f"{s.label} {counts[s]} 项" for s in Severity)
        self.stdout.write(f"合计：{summary}")


def _as_json(department_year, results) -> str:
    payload = {
        "department": department_year.department.code,
        "year": department_year.year,
        "findings": [
            {"project": project.code if project else None, **finding.as_dict()}
            for project, findings in results
            for finding in findings
        ],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2)
