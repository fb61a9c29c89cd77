from django.core.management.base import BaseCommand, CommandError

from projects.backup import BackupError, Scope, backup_write


class Command(BaseCommand):
    help = (
        "把一个单位一个年度（--department 与 --year），或全部数据（--all），连同修改记录备份到一个"
        "文件（gzip 压缩的 JSON）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", required=True, help="备份文件，如 backup.json.gz")
        parser.add_argument("--all", action="store_true", help="备份全部数据")
        parser.add_argument("--department", default="", help="单位编码")
        parser.add_argument("--year", type=int)

    def handle(self, *args, output: str, all: bool, department: str, year: int | None, **options):
        if all == bool(department):
            raise CommandError("请给出 --all，或者 --department 与 --year（二者选一）")
        if department and year is None:
            raise CommandError("备份一个单位时需要 --year")
        scope = Scope() if all else Scope(department, year)
        try:
            counts = backup_write(scope, output)
        except BackupError as error:
            raise CommandError(str(error)) from None
        total = sum(counts.values())
        self.stdout.write(f"已备份{scope.describe()}：{total} 行（{len(counts)} 张表）→ {output}")
