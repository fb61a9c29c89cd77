from django.urls import path

from departments import views

app_name = "departments"

urlpatterns = [
    path("<str:code>/<int:year>/", views.department_year_detail, name="year_detail"),
    path("<str:code>/<int:year>/edit/", views.department_year_edit, name="year_edit"),
    path("<str:code>/<int:year>/ratings/", views.section_ratings, name="ratings"),
]
