from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from projects.importer import ImportRejected, import_apply, import_prepare


class Command(BaseCommand):
    help = "导入绩效目标：数据工作簿（含“项目”工作表）或本系统导出的绩效目标表；全部成功才写入。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="Excel 工作簿（.xlsx）")
        parser.add_argument(
            "--dry-run", action="store_true", help="只检查并列出将要进行的修改，不写入"
        )
        parser.add_argument("--year", type=int, help="绩效目标表没有年度信息时使用的年度")

    def handle(self, *args, file: str, dry_run: bool, year: int | None, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{file}")
        try:
            plan = import_prepare(path.read_bytes(), default_year=year)
            for line in plan.changes:
                self.stdout.write(line)
            if dry_run:
                self._findings(plan)
                self.stdout.write(self.style.WARNING(f"试运行：{plan.summary}；未写入任何数据。"))
                return
            import_apply(plan)
        except ImportRejected as rejected:
            for problem in rejected.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"导入被拒绝：发现 {len(rejected.problems)} 个问题，未写入任何数据。"
            ) from None
        self.stdout.write(self.style.SUCCESS(f"已导入 {plan.outcome}。"))

    def _findings(self, plan) -> None:
        """The quality findings of each project as it would be imported (审核检查)."""
        from projects.importer.findings import plan_findings

        for item in plan_findings(plan):
            spec = item.spec
            head = f"审核检查 {spec.year}年 {spec.code} {spec.table_name or spec.name}："
            if not item.findings:
                self.stdout.write(head + "未发现问题")
                continue
            self.stdout.write(head + f"错误 {item.errors} 项，警告 {item.warnings} 项")
            for f in item.findings:
                self.stdout.write(f"  [{f.severity_label}] {f.title}  {f.where}：{f.message}")
