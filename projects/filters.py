import django_filters
from django.db.models import Q

from departments.models import Department, Section
from perfbudget.lib.grades import Status
from projects.models import Project


class ProjectFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="搜索", method="search")
    year = django_filters.NumberFilter(label="年度")
    department = django_filters.ModelChoiceFilter(
        label="单位", queryset=Department.objects.none(), empty_label="全部单位"
    )
    section = django_filters.ModelChoiceFilter(
        label="科室", queryset=Section.objects.none(), empty_label="全部科室"
    )
    status = django_filters.ChoiceFilter(
        label="状态", choices=Status.choices, empty_label="全部状态"
    )

    class Meta:
        model = Project
        fields = ["q", "year", "department", "section", "status"]

    def __init__(self, *args, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Choices come only from the units the user may read, never from every unit.
        self.filters["department"].queryset = departments
        self.filters["section"].queryset = Section.objects.filter(
            department__in=departments
        ).select_related("department")

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(code__icontains=value) | Q(name__icontains=value) | Q(table_name__icontains=value)
        )
