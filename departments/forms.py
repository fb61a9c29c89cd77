from django import forms
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from departments.models import BOUND_FIELDS, DepartmentYear, Role, Section, SectionIndicator
from perfbudget.lib.numbers import format_number


class DepartmentYearForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = DepartmentYear
        fields = ["overall_target", "safeguards"]
        widgets = {
            "overall_target": forms.Textarea(attrs={"rows": 5}),
            "safeguards": forms.Textarea(attrs={"rows": 6}),
        }
        help_texts = {"safeguards": "每行一条措施"}


class _OrderLast:
    """A blank row's 序号 is blank, not 0; left blank, the row goes after the others."""

    def _blank_order(self) -> None:
        # Also when bound: a blank row sent back with its 序号 blank is unchanged, and left out.
        self.fields["order"].required = False
        if not self.instance.pk:
            self.initial["order"] = None

    def clean_order(self):
        order = self.cleaned_data.get("order")
        if order is None:
            last = self.siblings().aggregate(models.Max("order"))["order__max"]
            order = (last or 0) + 1
        return order


class SectionForm(_OrderLast, forms.ModelForm):
    class Meta:
        model = Section
        fields = ["order", "name", "duties"]
        widgets = {"duties": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"duties": "每行一条职责"}

    def __init__(self, *args, department=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.department = department
        self._blank_order()

    def siblings(self):
        return Section.objects.filter(department=self.department)


class SectionIndicatorForm(_OrderLast, forms.ModelForm):
    class Meta:
        model = SectionIndicator
        fields = [
            "section",
            "order",
            "name",
            *BOUND_FIELDS,
        ]

    def __init__(self, *args, department=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = Section.objects.filter(department=department).filter(
            Q(retired=False) | Q(pk=self.instance.section_id)
        )
        self.fields["section"].empty_label = "（选择科室）"
        self._blank_order()
        for name, field in self.fields.items():
            if name.endswith("_bound"):
                field.widget.attrs.update({"step": "any", "min": "0", "max": "100"})
                field.validators += [MinValueValidator(0), MaxValueValidator(100)]
                value = getattr(self.instance, name) if self.instance.pk else None
                if value is not None and not self.is_bound:
                    self.initial[name] = format_number(value)

    def validate_unique(self):
        # (section, year, name) is checked by the formset's save; the year is not a form field.
        pass

    def siblings(self):
        return SectionIndicator.objects.filter(section=self.cleaned_data.get("section"))


# Sections are not deleted here: projects and other years' indicators may point at them.
SectionFormSet = forms.modelformset_factory(Section, form=SectionForm, extra=1)
SectionIndicatorFormSet = forms.modelformset_factory(
    SectionIndicator, form=SectionIndicatorForm, extra=2, can_delete=True
)


# --- a unit administrator's pages -------------------------------------------------------------


class IdChoices(forms.ModelMultipleChoiceField):
    """Chosen rows by id; an id no database column can hold is "not a valid choice", not a
    database error (SQLite overflows on it)."""

    def _check_values(self, value):
        for pk in value:
            text = str(pk)
            if not (text.isascii() and text.isdigit() and int(text) < 2**63):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


class RolesForm(forms.Form):
    """A person's roles in one unit and the sections they answer for as 科室负责人."""

    full_name = forms.CharField(label="姓名", max_length=150, required=False)
    roles = forms.MultipleChoiceField(
        label="角色", choices=Role.choices, widget=forms.CheckboxSelectMultiple
    )
    sections = IdChoices(
        label="负责科室（科室负责人）",
        queryset=Section.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, department, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sections"].queryset = department.sections.filter(retired=False)

    def clean(self):
        cleaned = super().clean()
        if Role.CHIEF in cleaned.get("roles", ()) and not cleaned.get("sections"):
            self.add_error("sections", "科室负责人须选择负责的科室。")
        return cleaned


class PersonNewForm(RolesForm):
    username = forms.CharField(
        label="用户名",
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text="登录时使用，150 个字符以内：字母、数字和 @ . + - _",
    )
    password = forms.CharField(label="初始密码", widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label="再次输入密码", widget=forms.PasswordInput, strip=False)

    field_order = ["username", "full_name", "password", "password2", "roles", "sections"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password") != cleaned.get("password2"):
            self.add_error("password2", "两次输入的密码不一致。")
        return cleaned


class PasswordSetForm(forms.Form):
    password = forms.CharField(label="新密码", widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label="再次输入新密码", widget=forms.PasswordInput, strip=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password") != cleaned.get("password2"):
            self.add_error("password2", "两次输入的密码不一致。")
        return cleaned


class AdminSectionForm(forms.ModelForm):
    class Meta:
        model = Section
        fields = ["order", "name", "retired"]

    def validate_unique(self):
        # (department, name) is checked on save, where the department is known.
        pass


class BaseAdminSectionFormSet(forms.BaseModelFormSet):
    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            name = (form.cleaned_data or {}).get("name")
            if name and name in seen:
                form.add_error("name", "本单位已有同名科室")
            seen.add(name)


AdminSectionFormSet = forms.modelformset_factory(
    Section, form=AdminSectionForm, formset=BaseAdminSectionFormSet, extra=1
)


class UnitSettingsForm(forms.Form):
    single_person = forms.BooleanField(
        label="单人单位：允许提交人审核自己提交的绩效目标",
        required=False,
        help_text="只有一名工作人员的单位才勾选；每次自行审核都记入修改记录。",
    )
