"""A long piece of work (a large unit's booklet or data workbook, every unit's booklets of a
year, a large import) done by a background worker, with its progress, its outcome and the file
it made."""

import uuid

from django.conf import settings
from django.db import models

from departments.models import Department


class Kind(models.TextChoices):
    BOOKLET_PDF = "booklet_pdf", "整本绩效目标（PDF）"
    BOOKLET_XLSX = "booklet_xlsx", "整本绩效目标（Excel）"
    BOOKLET_DOCX = "booklet_docx", "整本绩效目标（Word）"
    YEAR_ZIP = "year_zip", "全部单位绩效目标（压缩包）"
    DATA_XLSX = "data_xlsx", "数据工作簿（Excel）"
    IMPORT = "import", "导入绩效目标"


class State(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "正在生成"
    DONE = "done", "已完成"
    FAILED = "failed", "未能完成"


class Job(models.Model):
    # The address of the job's page: not a counter another user could step through.
    token = models.UUIDField("编号", default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField("内容", max_length=20, choices=Kind.choices)
    # A booklet's or a data workbook's unit; none for a year's zip or an import, which belong
    # to the one who asked for them.
    department = models.ForeignKey(
        Department, verbose_name="单位", null=True, blank=True, on_delete=models.CASCADE
    )
    year = models.PositiveIntegerField("年度")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发起人", on_delete=models.CASCADE, related_name="+"
    )
    # Everything the file shows (the unit-years' stamps): equal stamps, the same file.
    stamp = models.CharField("内容标识", max_length=64, db_index=True)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.QUEUED)
    done = models.PositiveIntegerField("已完成", default=0)
    total = models.PositiveIntegerField("总数", default=0)
    error = models.TextField("未完成原因", blank=True)
    # A year's zip: the units it holds (their ids), written when it is drawn.
    units = models.JSONField("所含单位", default=list, blank=True)
    file = models.CharField("文件", max_length=200, blank=True)
    # An import: the workbook uploaded (kept until the job ends) and what its preview saw.
    upload = models.CharField("上传的文件", max_length=200, blank=True)
    seen = models.JSONField("预览时的版本", default=dict, blank=True)
    outcome = models.TextField("结果", blank=True)
    filename = models.CharField("文件名", max_length=300)
    attempts = models.PositiveSmallIntegerField("已尝试次数", default=0)
    created_at = models.DateTimeField("发起时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    # Written with every step of progress: a job whose worker died stops beating.
    beat_at = models.DateTimeField("最近进展", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "后台任务"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.year}年"

    @property
    def makes_file(self) -> bool:
        """Whether the job draws a file (an import writes records and makes none)."""
        return self.kind != Kind.IMPORT

    @property
    def extension(self) -> str:
        """The file's kind: pdf, xlsx, docx (booklet_pdf …, data_xlsx) or zip (year_zip)."""
        return self.kind.rsplit("_", 1)[-1]

    @property
    def percent(self) -> int:
        if self.state == State.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0
