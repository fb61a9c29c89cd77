from django.urls import path

from jobs import views

app_name = "jobs"
urlpatterns = [
    path("year.zip", views.year_zip, name="year_zip"),
    path("<uuid:token>/", views.job_detail, name="detail"),
    path("<uuid:token>/status", views.job_status, name="status"),
    path("<uuid:token>/file", views.job_file, name="file"),
]
