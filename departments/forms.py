from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from departments.models import DepartmentYear, Section, SectionIndicator
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


class SectionForm(forms.ModelForm):
    class Meta:
        model = Section
        fields = ["order", "name", "duties"]
        widgets = {"duties": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"duties": "每行一条职责"}


class SectionIndicatorForm(forms.ModelForm):
    class Meta:
        model = SectionIndicator
        fields = [
            "section",
            "order",
            "name",
            "excellent_op",
            "excellent_bound",
            "good_op",
            "good_bound",
            "fair_op",
            "fair_bound",
            "poor_op",
            "poor_bound",
        ]

    def __init__(self, *args, department=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = Section.objects.filter(department=department)
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


# Sections are not deleted here: projects and other years' indicators may point at them.
SectionFormSet = forms.modelformset_factory(Section, form=SectionForm, extra=1)
SectionIndicatorFormSet = forms.modelformset_factory(
    SectionIndicator, form=SectionIndicatorForm, extra=2, can_delete=True
)
