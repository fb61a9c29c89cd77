from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from departments.models import DepartmentYear
from projects.documents.booklet import DRAWERS, department_tables
from projects.documents.data_workbook import data_workbook
from projects.documents.part_one import build_part_one


class Command(BaseCommand):
    help = "导出一个单位一个年度的绩效目标：整本 PDF、整本 Excel、整本 Word 或数据工作簿。"

    def add_arguments(self, parser):
        parser.add_argument("--department", required=True, help="单位编码，如 136001")
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--format", choices=["pdf", "xlsx", "docx", "data"], required=True)
        parser.add_argument("-o", "--output", required=True, help="输出文件")

    def handle(self, *args, department: str, year: int, format: str, output: str, **options):
        try:
            department_year = DepartmentYear.objects.with_part_one(year).get(
                department__code=department, year=year
            )
        except DepartmentYear.DoesNotExist:
            raise CommandError(f"没有单位 {department} 的 {year} 年绩效目标") from None
        if format == "data":
            data = data_workbook(department_year)
        else:
            tables = department_tables(department_year)
            draw = DRAWERS[format]
            data = draw(build_part_one(department_year), tables)
        Path(output).write_bytes(data)
        self.stdout.write(self.style.SUCCESS(f"已导出 {output}（{len(data)} 字节）"))
