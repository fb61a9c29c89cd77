"""An RQ worker for perfbudget's background jobs (JOB_BACKEND "rq"; `make serve` starts
JOB_WORKERS of them beside gunicorn)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections


class Command(BaseCommand):
    help = "运行后台任务（整本绩效目标、全部单位压缩包）的工作进程；需要设置 REDIS_URL。"

    def add_arguments(self, parser):
        parser.add_argument("--burst", action="store_true", help="处理完队列中的任务后退出")

    def handle(self, *args, burst: bool = False, **options):
        if not settings.REDIS_URL:
            raise CommandError(
                "未设置 REDIS_URL：没有 Redis 时后台任务在应用进程内运行，无需单独的工作进程。"
            )
        from rq import Worker

        from jobs.queue import rq_queue

        queue = rq_queue()
        # Each job runs in a child the worker forks: it must not inherit a database connection.
        connections.close_all()
        Worker([queue], connection=queue.connection).work(burst=burst, with_scheduler=False)
