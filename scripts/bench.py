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
os.environ["FILES_DIR"] = str(VAR / "bench-files")
# A large unit's booklet is a background job: here it runs within the timed request.
os.environ["JOB_BACKEND"] = "inline"

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from departments.models import DepartmentYear  # noqa: E402
from jobs.models import Job  # noqa: E402
from perfbudget.lib.frames import with_frame_room  # noqa: E402
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
            Job.objects.all().delete()  # a large booklet's finished job file too
        response = browser.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    return run


def data_export(code: str):
    def run():
        return data_workbook(DepartmentYear.objects.with_part_one(2024).get(department__code=code))

    return run


def data_import(code: str, change_every_value: bool = False):
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
    """Draw the booklet without the download cache. A large booklet's runs, cover and page
    numbers stay cached: the cost of joining them; a small booklet (under
    pdf.RUNS_MIN_TABLES tables) keeps nothing and is laid out again."""

    def run():
        department_year = DepartmentYear.objects.with_part_one(2024).get(department__code=code)
        return pdf.booklet_pdf(build_part_one(department_year), department_tables(department_year))

    return run


def _cpu() -> float:
    """CPU seconds of this process and of the children it has waited for."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _size(result) -> int | None:
    if isinstance(result, bytes):
        return len(result)
    if getattr(result, "streaming", False):
        return len(b"".join(result.streaming_content))
    content = getattr(result, "content", None)
    return len(content) if content else None


def _tree_pss_mb(root: int) -> float:
    """Proportional memory (PSS) of a process and all its descendants, in MB."""
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
            with open(f"/proc/{pid}/task/{pid}/children") as f:
                stack.extend(int(c) for c in f.read().split())
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
    return total / 1024


def measure(job, runs: int, warmup) -> dict:
    """In a child process: warm up, then time runs; median wall and CPU time, queries, file
    size; meanwhile the parent samples the memory of the child's whole process tree."""

    def child(queue):
        warmup()
        times, cpus, queries, size = [], [], 0, None
        for _ in range(runs):
            with CaptureQueriesContext(connection) as ctx:
                cpu, start = _cpu(), time.perf_counter()
                result = job()
                times.append(time.perf_counter() - start)
                cpus.append(_cpu() - cpu)
            queries, size = len(ctx.captured_queries), _size(result)
        queue.put(
            {
                "median": statistics.median(times),
                "cpu": statistics.median(cpus),
                "runs": runs,
                "queries": queries,
                "size": size,
            }
        )

    connections.close_all()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=child, args=(queue,))
    process.start()
    peak = 0.0
    while process.is_alive() and queue.empty():
        peak = max(peak, _tree_pss_mb(process.pid))
        # Reading a large process tree's memory costs CPU the measured work shares (two cores):
        # a few samples a second.
        time.sleep(0.25)
    if queue.empty():
        process.join()
        raise SystemExit(f"bench: the measuring process failed (exit code {process.exitcode})")
    result = queue.get()
    process.join()
    return {**result, "tree_mb": peak}


# --- floors: the libraries' own cost of the same work, run in the same process ---------------


# The halves of the floor's booklet, set before its two processes fork.
_FLOOR: dict = {}


def floor_booklet_pdf(code: str, processes: int = 1):
    """WeasyPrint laying out the booklet once, no run kept or joined: one process lays out the
    body and the cover as two documents and writes them as one file; two processes each lay
    out and write half the tables (the two-core floor of the body alone). With room on the
    frame stack, as the app's layouts have (perfbudget/lib/frames.py): without it, the floor's
    time would depend on how deep its stack happens to be."""

    def run():
        department_year = DepartmentYear.objects.with_part_one(2024).get(department__code=code)
        tables = department_tables(department_year)
        part_one = build_part_one(department_year)
        if processes == 1:
            return with_frame_room(pdf._booklet_apart)(part_one, tables)
        halves = [tables[i::processes] for i in range(processes)]
        _FLOOR["html"] = [
            pdf._booklet_html(part_one, half, {}, front=i == 0) for i, half in enumerate(halves)
        ]
        connections.close_all()
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            return b"".join(pool.map(_floor_part, range(processes)))

    return run


@with_frame_room
def _floor_part(index: int) -> bytes:
    return pdf._lay_out(_FLOOR["html"][index]).write_pdf()


def floor_workbook(code: str):
    """openpyxl's write-only mode writing the booklet workbook's values, sheet by sheet (no
    styles, no merges)."""
    from io import BytesIO

    from openpyxl import Workbook, load_workbook

    response = get(f"/departments/{code}/2024/booklet.xlsx")()
    data = b"".join(response.streaming_content) if response.streaming else response.content
    source = load_workbook(BytesIO(data), read_only=True)
    sheets = [(ws.title, [list(r) for r in ws.iter_rows(values_only=True)]) for ws in source]

    def run():
        wb = Workbook(write_only=True)
        for title, rows in sheets:
            ws = wb.create_sheet(title)
            for row in rows:
                ws.append(row)
        out = BytesIO()
        wb.save(out)
        return out.getvalue()

    return run


def floor_docx(code: str):
    """python-docx writing the booklet document's paragraphs and table cells, in order, into a
    new document (no styles, no merges, no fields, no page set-up)."""
    from io import BytesIO

    from docx import Document
    from docx.table import Table

    blocks = []

    def warm():
        """The app's document, drawn and read back in the measuring process (drawing a large
        one in this process would leave its memory to every later line's)."""
        response = get(f"/departments/{code}/2024/booklet.docx")()
        data = b"".join(response.streaming_content) if response.streaming else response.content
        for block in Document(BytesIO(data)).iter_inner_content():
            if isinstance(block, Table):
                blocks.append([[cell.text for cell in row.cells] for row in block.rows])
            else:
                blocks.append(block.text)

    def run():
        document = Document()
        for block in blocks:
            if isinstance(block, str):
                document.add_paragraph(block)
                continue
            table = document.add_table(rows=len(block), cols=max(len(row) for row in block))
            for row, texts in zip(table.rows, block, strict=True):
                for cell, text in zip(row.cells, texts, strict=False):
                    cell.text = text
        out = BytesIO()
        document.save(out)
        return out.getvalue()

    return run, warm


def floor_one_table(code: str):
    """WeasyPrint laying out and writing, once and alone, the table that the 改动一张表后 line
    changes: the least any booklet must lay out again after that change."""
    department_year = DepartmentYear.objects.with_part_one(2024).get(department__code=code)
    tables = department_tables(department_year)
    html = pdf._booklet_html(
        build_part_one(department_year), [tables[len(tables) // 2]], {}, front=False
    )

    @with_frame_room
    def run():
        return pdf._lay_out(html).write_pdf()

    return run


def floor_read(code: str):
    """openpyxl reading every cell of the unit's data workbook (read-only mode)."""
    from io import BytesIO

    from openpyxl import load_workbook

    data = data_export(code)()

    def run():
        wb = load_workbook(BytesIO(data), read_only=True)
        for ws in wb:
            for _ in ws.iter_rows(values_only=True):
                pass

    return run


def changed_booklet(code: str):
    """The booklet after one table in the middle changed (its indicator value), the other
    runs as the previous booklet left them in the cache."""
    browser = client()
    url = f"/departments/{code}/2024/booklet.pdf"
    state = {"n": 0}

    def warm():
        browser.get(url)

    def run():
        state["n"] += 1
        middle = Project.objects.filter(department__code=code, year=2024).order_by("booklet_order")[
            Project.objects.filter(department__code=code, year=2024).count() // 2
        ]
        indicator = middle.indicators.order_by("pk").first()
        indicator.value_text = f"≥{state['n']}项"
        indicator.save()
        response = browser.get(url)
        assert response.status_code == 200
        return response

    return run, warm


def revalidated(url: str):
    """A browser asking again with the ETag it holds."""
    browser = client()
    etag = {}

    def warm():
        etag["value"] = browser.get(url)["ETag"]

    def run():
        response = browser.get(url, headers={"if-none-match": etag["value"]})
        assert response.status_code == 304
        return response

    return run, warm


GOALS = []  # (goal, target seconds, measured, floor name, floor measured)


def goal(name: str, target: float, result: dict, floor: dict | None, floor_name: str) -> None:
    GOALS.append((name, target, result, floor, floor_name))


def main() -> None:
    load = os.getloadavg()
    print(
        f"机器：{multiprocessing.cpu_count()} 核，开始时负载 {load[0]:.2f} / {load[1]:.2f} / "
        f"{load[2]:.2f}（1/5/15 分钟）",
        flush=True,
    )
    print("准备基准数据（参考单位 + 200 个项目 × 20 条指标的生成单位）…", flush=True)
    setup()
    rows = []
    for label, code, big in (
        ("参考单位 136001（5 个项目）", REFERENCE_CODE, False),
        ("生成单位 900001（200 个项目）", LARGE_CODE, True),
    ):
        _unit(rows, label, code, big)
    _report(rows)


def _unit(rows: list, label: str, code: str, big: bool) -> None:
    """Every line of one unit, and its goals."""
    warm = get(f"/projects/2024/{first_project(REFERENCE_CODE).code}/table.pdf")

    def line(name, job, runs, warmup=None):
        result = measure(job, runs, warmup or warm)
        rows.append((label, name, result))
        size = f"，{result['size'] / 1024:,.0f} kB" if result["size"] else ""
        print(
            f"  {label} · {name}: {_fmt(result['median'])}（CPU {_fmt(result['cpu'])}），"
            f"{result['queries']} 次查询{size}，进程树内存峰值 {result['tree_mb']:,.0f} MB",
            flush=True,
        )
        return result

    table = f"/projects/2024/{first_project(code).code}/"
    booklet = f"/departments/{code}/2024/booklet.pdf"
    few, some = (1, 3) if big else (5, 9)
    trivial = line("健康检查（最简请求）", get("/healthz"), 21)
    line("项目页面", get(table), 9)
    unit = DepartmentYear.objects.get(department__code=code, year=2024).department_id
    line("项目列表（本单位，第一页）", get(f"/projects/?year=2024&department={unit}"), 9)
    line("项目编辑页面", get(table + "edit/"), 9)
    line("项目绩效目标表 PDF", get(table + "table.pdf"), 9)
    line("项目绩效目标表 PDF（缓存）", get(table + "table.pdf", cached=True), 21)
    line("项目绩效目标表 Excel", get(table + "table.xlsx"), 9)
    # The cold booklet and its floor vary most from run to run: three runs of each.
    cold = line("整本 PDF（冷）", get(booklet), 3 if big else few)
    line(
        "整本 PDF（各段已缓存）" if big else "整本 PDF（不经下载缓存）",
        booklet_direct(code),
        few,
        booklet_direct(code),
    )
    changed, warm_changed = changed_booklet(code)
    after = line("整本 PDF（改动一张表后）", changed, few, warm_changed)
    again_304, warm_304 = revalidated(booklet)
    not_modified = line("整本 PDF（再次下载，304）", again_304, 21, warm_304)
    again = line("整本 PDF（再次下载，缓存）", get(booklet, cached=True), 21, get(booklet))
    floor_pdf = line("下限：WeasyPrint 一次排版整本（单进程）", floor_booklet_pdf(code), few)
    excel = line("整本 Excel", get(booklet.replace(".pdf", ".xlsx")), some)
    word = line("整本 Word", get(booklet.replace(".pdf", ".docx")), few)
    floor_xlsx = line("下限：openpyxl 只写模式写同样的值", floor_workbook(code), 3)
    docx_floor, docx_warm = floor_docx(code)
    floor_word = line("下限：python-docx 写同样的段落和单元格", docx_floor, 3, docx_warm)
    line("数据工作簿导出", data_export(code), some)
    unchanged = line("数据工作簿导入（无改动）", data_import(code), some)
    every = line("数据工作簿导入（每条指标值都改动）", data_import(code, True), some)
    floor_import = line("下限：openpyxl 只读模式读出全部单元格", floor_read(code), 3)
    if not big:
        goal("参考单位整本 PDF 冷", 1, cold, floor_pdf, "单进程一次排版")
        goal("参考单位整本 PDF 304", 0.020, not_modified, trivial, "健康检查")
        return
    two = line("下限：WeasyPrint 一次排版整本（两个进程）", floor_booklet_pdf(code, 2), 3)
    one_table = line("下限：WeasyPrint 一次排版改动的那张表", floor_one_table(code), 3)
    goal("整本 PDF 冷（200 表）", 15, cold, two, "两核一次排版")
    goal("改动一张表后的整本 PDF", 3, after, one_table, "只排这一张表")
    goal("整本 PDF 304（200 表）", 0.020, not_modified, trivial, "健康检查")
    goal("整本 PDF 缓存再次下载（200 表）", 0.020, again, trivial, "健康检查")
    goal("整本 Excel（200 表）", 3, excel, floor_xlsx, "openpyxl 只写")
    goal("整本 Word（200 表）", 30, word, floor_word, "python-docx 无格式")
    goal("导入无改动（200×20）", 0.5, unchanged, floor_import, "openpyxl 只读")
    goal("导入全部改动（200×20）", 1.5, every, floor_import, "openpyxl 只读")


def _report(rows) -> None:
    print()
    print("| 数据 | 操作 | 中位时间 | CPU 时间 | 次数 | SQL 查询 | 文件大小 | 进程树内存峰值 |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, name, r in rows:
        size = f"{r['size'] / 1024:,.0f} kB" if r["size"] else ""
        print(
            f"| {label} | {name} | {_fmt(r['median'])} | {_fmt(r['cpu'])} | {r['runs']} | "
            f"{r['queries']} | {size} | {r['tree_mb']:,.0f} MB |"
        )
    print()
    print("| 目标 | 要求 | 实测 | 下限 | 下限实测 | 倍数 | 文件大小 | 进程树内存峰值 | 达到 |")
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- |")
    for name, target, result, floor, floor_name in GOALS:
        ratio = f"{result['median'] / floor['median']:.2f}×" if floor else ""
        size = f"{result['size'] / 1024:,.0f} kB" if result["size"] else ""
        print(
            f"| {name} | ≤ {_fmt(target)} | {_fmt(result['median'])} | {floor_name} | "
            f"{_fmt(floor['median']) if floor else ''} | {ratio} | {size} | "
            f"{result['tree_mb']:,.0f} MB | {'是' if result['median'] <= target else '否'} |"
        )
    own = max(r["tree_mb"] for _, name, r in rows if not name.startswith("下限"))
    print(f"| 进程树内存（下限以外各项） | < 1 GiB | 最大 {own:,.0f} MB |")


def _fmt(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms" if seconds < 1 else f"{seconds:,.2f} s"


if __name__ == "__main__":
    main()
