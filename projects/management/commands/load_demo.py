import json
import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from departments.models import DepartmentYear, Membership, Role
from projects.services import unit_year_load

REFERENCE = settings.BASE_DIR / "fixtures" / "reference-2024.json"

DEMO_USERS = [
    # username, full name, role, sections a chief answers for
    ("finance", "财务 张会计", Role.FINANCE, []),
    ("chief", "科室负责人 李科长", Role.CHIEF, ["综合科", "宣传科", "传媒科", "财务科"]),
    ("auditor", "审计 王审计", Role.AUDITOR, []),
    ("admin", "系统管理员", Role.ADMIN, []),
]


class Command(BaseCommand):
    help = (
        "载入参考单位（承德高新区宣传中心 2024 年）演示数据和演示用户 finance/chief/auditor/admin。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="即使 DEBUG 关闭也载入（会创建弱口令用户）"
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("DEBUG 已关闭：演示数据会创建弱口令用户，确需载入请加 --force。")
        data = json.loads(REFERENCE.read_text(encoding="utf-8"))
        password = os.getenv("DEMO_PASSWORD", "demo")
        with transaction.atomic():
            # Loaded once: every start of `make run` comes here, and must not undo what the
            # demo's users changed since (nor reset a password one of them changed).
            existing = DepartmentYear.objects.filter(
                department__code=data["department"]["code"], year=data["year"]
            ).first()
            department_year = existing or unit_year_load(data=data)
            department = department_year.department
            sections = {s.name: s for s in department.sections.all()}
            User = get_user_model()
            for username, full_name, role, section_names in DEMO_USERS:
                user, created = User.objects.get_or_create(
                    username=username,
                    defaults={
                        "first_name": full_name,
                        "is_staff": role == Role.ADMIN,
                        "is_superuser": role == Role.ADMIN,
                    },
                )
                if created:
                    user.set_password(password)
                    user.save()
                membership, made = Membership.objects.get_or_create(
                    user=user, department=department, role=role
                )
                if made:
                    membership.sections.set(
                        [sections[name] for name in section_names if name in sections]
                    )
        count = department.projects.filter(year=data["year"]).count()
        if existing:
            message = f"{department_year.title} 已载入过（{count} 个项目），未改动任何数据。"
        else:
            message = f"已载入 {department_year.title}：{count} 个项目；"
        self.stdout.write(
            self.style.SUCCESS(message + "演示用户 finance / chief / auditor / admin")
        )
