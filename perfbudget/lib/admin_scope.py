"""The admin site shows a unit administrator (staff, not superuser) only the records of the
units where they hold the 管理员 role."""

from django.contrib import admin


class UnitScopedAdmin(admin.ModelAdmin):
    """Subclasses name the path from their model to its unit in `unit_path`."""

    unit_path = "department"

    def _admin_units(self, request):
        from departments.models import Department, Role

        return Department.objects.filter(members__user=request.user, members__role=Role.ADMIN)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        if self.unit_path == "":
            return queryset.filter(pk__in=self._admin_units(request))
        return queryset.filter(**{f"{self.unit_path}__in": self._admin_units(request)}).distinct()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        from departments.models import Department, Section

        if not request.user.is_superuser:
            if db_field.related_model is Department:
                kwargs["queryset"] = self._admin_units(request)
            elif db_field.related_model is Section:
                kwargs["queryset"] = Section.objects.filter(
                    department__in=self._admin_units(request)
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
