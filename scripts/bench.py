"""perfbudget benchmark: `make bench`.

Builds a fresh SQLite database with the reference unit (136001) and a generated large unit
(200 projects × 20 indicators), then times pages and exports of each, the way a user gets them
(through the app's URLs, download cache emptied unless the line says cached). Each line runs in
a process of its own after a warm-up, so its peak memory is its own; times are medians.
"""

import multiprocessing
import os
import resource
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
VAR = BASE_DIR / "var"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perfbudget.settings")
os.environ["DATABASE_URL"] = os.getenv("BENCH_DATABASE_URL", f"sqlite:///{VAR / 'bench.sqlite3'}")
os.environ["CACHE_DIR"] = str(VAR / "bench-cache")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from departments.models import DepartmentYear  # noqa: E402
from projects.documents import pdf  # noqa: E402
from projects.documents.booklet import department_tables  # noqa: E402
from projects.documents.data_workbook import data_workbook  # noqa: E402
from projects.documents.part_one import build_part_one  # noqa: E402
from projects.importer import import_apply, import_prepare  # noqa: E402
from projects.models import Project  # noqa: E402
from scripts.bench_data import LARGE_CODE, build_large_unit  # noqa: E402

REFERENCE_CODE = "136001"


def setup() -> None:
    VAR.mkdir(exist_ok=True)
    if os.environ["DATABASE_URL"].startswith("sqlite"):
        (VAR / "bench.sqlite3").unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    os.environ.setdefault("DEMO_PASSWORD", "bench-password-1")
    with open(os.devnull, "w") as devnull:
        call_command("load_demo", force=True, stdout=devnull)
    build_large_unit()
    user = get_user_model().objects.get(username="admin")
    user.is_superuser = True
    user.save()


def client() -> Client:
    c = Client()
    c.force_login(get_user_model().objects.get(username="admin"))
    return c


def first_project(code: str) -> Project:
    return (
        Project.objects.filter(department__code=code, year=2024).order_by("booklet_order").first()
    )


def get(url: str, *, cached: bool = False):
    browser = client()  # logged in once, outside the timing

    def run():
        if not cached:
            cache.clear()
        response = browser.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    return run


def data_export(code: str):
    def run():
        return data_workbook(DepartmentYear.objects.with_part_one(2024).get(department__code=code))

    return run


def data_import(code: str, *, change_every_value: bool = False):
    data = data_export(code)()
    if change_every_value:
        from io import BytesIO

        from openpyxl import load_workbook

        wb = load_workbook(BytesIO(data))
        for (cell,) in wb["指标"].iter_rows(min_row=2, min_col=7, max_col=7):
            cell.value = f"{cell.value}（修订）"
        out = BytesIO()
        wb.save(out)
        data = out.getvalue()

    def run():
        with transaction.atomic():
            import_apply(import_prepare(data))
            transaction.set_rollback(True)

    return run


def booklet_direct(code: str):
    """Render the booklet without the download cache; the tables' layouts stay cached, as
    after an edit of part one or of a single table."""

    def run():
        department_year = DepartmentYear.objects.with_part_one(2024).get(department__code=code)
        return pdf.booklet_pdf(build_part_one(department_year), department_tables(department_year))

    return run


def measure(job, runs: int, warmup) -> dict:
    """In a child process: warm up, then time runs; report median, queries and peak memory."""

    def child(queue):
        warmup()
        times, queries = [], 0
        for _ in range(runs):
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                job()
                times.append(time.perf_counter() - start)
            queries = len(ctx.captured_queries)
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        forked = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        queue.put(
            {
                "median": statistics.median(times),
                "runs": runs,
                "queries": queries,
                "peak_mb": max(own, forked) / 1024,
            }
        )

    connections.close_all()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=child, args=(queue,))
    process.start()
    result = queue.get()
    process.join()
    return result


def main() -> None:
    print("准备基准数据（参考单位 + 200 个项目 × 20 条指标的生成单位）…", flush=True)
    setup()
    rows = []
    for label, code, big in (
        ("参考单位 136001（5 个项目）", REFERENCE_CODE, False),
        ("生成单位 900001（200 个项目）", LARGE_CODE, True),
    ):
        project = first_project(code)
        table = f"/projects/2024/{project.code}/"
        dept = f"/departments/{code}/2024/"
        warm = get(f"/projects/2024/{first_project(REFERENCE_CODE).code}/table.pdf")
        jobs = [
            ("项目页面", get(table), 9),
            ("项目绩效目标表 PDF", get(table + "table.pdf"), 9),
            ("项目绩效目标表 PDF（缓存）", get(table + "table.pdf", cached=True), 21),
            ("项目绩效目标表 Excel", get(table + "table.xlsx"), 9),
            ("整本 PDF", get(dept + "booklet.pdf"), 1 if big else 5),
            ("整本 PDF（各表版式已缓存）", None, 1 if big else 5),
            ("整本 Excel", get(dept + "booklet.xlsx"), 3 if big else 9),
            ("数据工作簿导出", data_export(code), 3 if big else 9),
            ("数据工作簿导入（无改动）", data_import(code), 3 if big else 9),
            (
                "数据工作簿导入（每条指标值都改动）",
                data_import(code, change_every_value=True),
                3 if big else 9,
            ),
        ]
        for name, job, runs in jobs:
            warmup = warm
            if job is None:  # the booklet again, its tables' layouts already measured
                job = booklet_direct(code)
                warmup = job
            result = measure(job, runs, warmup)
            rows.append((label, name, result))
            print(
                f"  {label} · {name}: {_fmt(result['median'])}，{result['queries']} 次查询，"
                f"峰值内存 {result['peak_mb']:,.0f} MB",
                flush=True,
            )
    print()
    print("| 数据 | 操作 | 中位时间 | 次数 | SQL 查询 | 峰值内存 |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for label, name, r in rows:
        print(
            f"| {label} | {name} | {_fmt(r['median'])} | {r['runs']} | {r['queries']} | "
            f"{r['peak_mb']:,.0f} MB |"
        )


def _fmt(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms" if seconds < 1 else f"{seconds:,.2f} s"


if __name__ == "__main__":
    main()
