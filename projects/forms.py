from django import forms
from django.db.models import Q

from departments.models import FIRST_YEAR, LAST_YEAR
from indicators.models import MAX_DESCRIPTION, SecondaryCategory, text_limit
from indicators.values import format_value, parse_value
from perfbudget.lib.numbers import format_money, format_number
from projects.importer import MAX_FILE_BYTES
from projects.models import MAX_INDICATORS_PER_PROJECT, Project


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="Excel 工作簿",
        help_text="数据工作簿（含“项目”“指标”等工作表）或本系统导出的绩效目标表（.xlsx）",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )
    year = forms.IntegerField(
        label="年度",
        required=False,
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
        help_text="仅在导入不含年度信息的绩效目标表时需要",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                f"文件过大（超过 {MAX_FILE_BYTES // 2**20} MB），请拆分后分批导入。"
            )
        return upload


class ProjectForm(forms.ModelForm):
    """The header of a 绩效目标表: numbers, names, funds, schedule and target text."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Project
        fields = [
            "table_number",
            "table_name",
            "code",
            "name",
            "section",
            "budget_total",
            "fiscal_funds",
            "other_funds",
            "fund_use",
            "target",
        ]
        widgets = {
            "fund_use": forms.Textarea(attrs={"rows": 2}),
            "target": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, department, year: int, milestones: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.department, self.year, self.milestones = department, year, milestones
        # A retired section is offered to nothing new; a project keeps the one it has.
        self.fields["section"].queryset = department.sections.filter(
            Q(retired=False) | Q(pk=self.instance.section_id)
        )
        self.fields["section"].empty_label = "（未指定）"
        self.fields["section"].help_text = "审核人为该科室的负责人；未指定时由单位管理员审核"
        for name in ("budget_total", "fiscal_funds", "other_funds"):
            self.fields[name].widget.attrs.update({"step": "any", "min": "0"})
        if self.instance.pk and not self.is_bound:
            # Show 150.00, not the stored 150.000000.
            for name in ("budget_total", "fiscal_funds", "other_funds"):
                value = getattr(self.instance, name)
                self.initial[name] = format_money(value) if value is not None else None
        for month in milestones:
            self.fields[f"schedule_{month}"] = forms.DecimalField(
                label=f"{month}月底",
                required=False,
                min_value=0,
                max_value=100,
                max_digits=7,
                decimal_places=4,
                widget=forms.NumberInput(attrs={"step": "any", "min": "0", "max": "100"}),
            )

    def schedule_fields(self):
        return [self[f"schedule_{m}"] for m in self.milestones]

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        clash = Project.objects.filter(year=self.year, code=code).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(f"{self.year}年已有项目编码为 {code} 的项目")
        return code

    def clean(self):
        cleaned = super().clean()
        for name in ("budget_total", "fiscal_funds", "other_funds"):
            value = cleaned.get(name)
            if value is not None and value < 0:
                self.add_error(name, "金额不能为负数")
        total, fiscal = cleaned.get("budget_total"), cleaned.get("fiscal_funds")
        if total is not None and fiscal is not None and not self.errors.get("other_funds"):
            other = cleaned.get("other_funds") or 0
            if fiscal + other != total:
                self.add_error(
                    "fiscal_funds",
                    f"财政资金与其他资金之和（{format_money(fiscal + other)}）"
                    f"不等于预算数（{format_money(total)}）",
                )
        previous = None
        for month in self.milestones:
            value = cleaned.get(f"schedule_{month}")
            if value is None:
                continue
            if previous is not None and value < previous:
                self.add_error(f"schedule_{month}", "累计支出百分比不能比前一节点小")
            previous = value
        if previous is not None and previous != 100:
            last = [m for m in self.milestones if cleaned.get(f"schedule_{m}") is not None][-1]
            self.add_error(f"schedule_{last}", "最后一个节点应为 100%")
        return cleaned

    def planned(self) -> dict:
        return {m: self.cleaned_data.get(f"schedule_{m}") for m in self.milestones}


OPERATOR_CHOICES = [("≥", "≥"), ("≤", "≤"), ("=", "="), (">", ">"), ("<", "<"), ("定性", "定性")]


PERCENT_OVER_100 = "百分比不能超过 100%（现为 {value}%），请检查数值或单位"


class IndicatorRowForm(forms.Form):
    """One 三级 row: its value entered as structure (operator, number, unit) or as 定性 text."""

    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    category = forms.ModelChoiceField(
        queryset=SecondaryCategory.objects.none(), label="二级指标", widget=forms.HiddenInput
    )
    name = forms.CharField(label="三级指标", max_length=200, required=False)
    description = forms.CharField(
        label="绩效指标描述",
        required=False,
        validators=[text_limit(MAX_DESCRIPTION)],
        widget=forms.Textarea(attrs={"rows": 1}),
    )
    operator = forms.ChoiceField(label="比较", choices=OPERATOR_CHOICES, initial="≥")
    number = forms.DecimalField(
        label="数值",
        required=False,
        max_digits=20,
        decimal_places=6,
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    unit = forms.CharField(label="单位", max_length=20, required=False)
    text = forms.CharField(label="定性指标值", max_length=200, required=False)
    basis = forms.CharField(label="确定依据", max_length=200, required=False)

    def __init__(self, *args, categories=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories

    def has_changed(self) -> bool:
        # A row the user left blank is not a row.
        return bool(
            super().has_changed()
            and any(
                self.data.get(self.add_prefix(f)) for f in ("name", "text", "number", "description")
            )
        )

    def clean(self):
        cleaned = super().clean()
        if self.cleaned_data.get("DELETE"):
            return cleaned
        if not (cleaned.get("name") or "").strip():
            self.add_error("name", "请填写三级指标名称")
        operator = cleaned.get("operator")
        if operator and operator != "定性" and cleaned.get("number") is None:
            if (cleaned.get("text") or "").strip():
                cleaned["operator"] = "定性"  # a value typed as text is kept as text
            else:
                self.add_error("number", "请填写数值，或把比较符改为“定性”")
        number, unit = cleaned.get("number"), (cleaned.get("unit") or "").strip()
        if cleaned.get("operator") != "定性" and number is not None and unit in ("%", "％"):
            if number > 100:
                self.add_error("number", PERCENT_OVER_100.format(value=format_number(number)))
        return cleaned

    def value_text(self) -> str:
        data = self.cleaned_data
        if data["operator"] == "定性":
            return data.get("text", "").strip()
        return format_value(data["operator"], data["number"], data.get("unit", "").strip())


class BaseIndicatorFormSet(forms.BaseFormSet):
    default_error_messages = {
        "too_many_forms": "一个项目最多只能有 %(num)d 条三级指标，请精简后再保存；未保存任何内容。",
    }

    def __init__(self, *args, categories=None, **kwargs):
        self.categories = categories
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "categories": self.categories}

    def clean(self):
        """The editor posts every row it showed (a removed row is marked 删除, never dropped), so
        fewer rows than it was opened with is a damaged page, not an instruction to delete."""
        super().clean()
        counts = self.management_form.cleaned_data
        if counts["INITIAL_FORMS"] < 0 or counts["TOTAL_FORMS"] < counts["INITIAL_FORMS"]:
            raise forms.ValidationError(INCOMPLETE_PAGE, code="incomplete")

    @property
    def empty_form(self):
        form = self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix("__prefix__"),
            empty_permitted=True,
            use_required_attribute=False,
            categories=self.categories,
            renderer=self.renderer,
        )
        self.add_fields(form, None)
        return form

    def rows(self) -> list[dict]:
        """The rows to keep, in the order the user put them."""
        kept = [
            form
            for form in self.forms
            if form.has_changed() and not form.cleaned_data.get("DELETE")
        ]
        kept.sort(key=lambda f: f.cleaned_data.get("ORDER") or 0)
        rows = []
        for form in kept:
            data = form.cleaned_data
            value = parse_value(form.value_text()) if data["operator"] != "定性" else None
            rows.append(
                {
                    "id": data.get("id"),
                    "category": data["category"],
                    "name": data["name"].strip(),
                    "description": data.get("description", "").strip(),
                    "value_text": form.value_text(),
                    "operator": data["operator"],
                    "value_number": value.number if value else None,
                    "value_unit": value.unit if value else "",
                    "basis": data.get("basis", "").strip(),
                }
            )
        return rows


INCOMPLETE_PAGE = "提交的指标表不完整（行数少于打开时），未保存任何内容；请重新打开编辑页。"

IndicatorFormSet = forms.formset_factory(
    IndicatorRowForm,
    formset=BaseIndicatorFormSet,
    extra=0,
    can_delete=True,
    can_order=True,
    max_num=MAX_INDICATORS_PER_PROJECT,
    validate_max=True,
)
