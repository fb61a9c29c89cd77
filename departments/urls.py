from django.urls import path

from departments import unit_admin

app_name = "departments"

urlpatterns = [
    path("<str:code>/manage/", unit_admin.unit_manage, name="manage"),
    path("<str:code>/manage/people/new/", unit_admin.person_new, name="person_new"),
    path("<str:code>/manage/people/<int:user_id>/", unit_admin.person_edit, name="person"),
    path(
        "<str:code>/manage/people/<int:user_id>/password/",
        unit_admin.person_password,
        name="person_password",
    ),
    path(
        "<str:code>/manage/people/<int:user_id>/active/",
        unit_admin.person_active,
        name="person_active",
    ),
    path(
        "<str:code>/manage/people/<int:user_id>/remove/",
        unit_admin.person_remove,
        name="person_remove",
    ),
    path(
        "<str:code>/manage/people/<int:user_id>/unlock/",
        unit_admin.person_unlock,
        name="person_unlock",
    ),
    path("<str:code>/manage/sections/", unit_admin.sections_edit, name="sections"),
    path("<str:code>/manage/settings/", unit_admin.unit_settings, name="settings"),
]
