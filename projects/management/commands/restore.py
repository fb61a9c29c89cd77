from django.core.management.base import BaseCommand, CommandError

from projects.backup import BackupError, backup_read, describe, restore


class Command(BaseCommand):
    help = "把 backup 命令生成的文件恢复到空数据库（先执行 migrate）；全部写入或什么都不写。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="备份文件")

    def handle(self, *args, file: str, **options):
        try:
            document = backup_read(file)
            self.stdout.write(f"恢复：{describe(document)}")
            counts = restore(document)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"已恢复 {sum(counts.values())} 行（{len(counts)} 张表）。")
