from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from playground.views import accounts, compare, stream

urlpatterns = [
    path("", compare.compare, name="compare"),
    path("runs/", compare.run_create_view, name="run-create"),
    path("runs/<int:run_id>/", compare.run_detail, name="run-detail"),
    path("runs/<int:run_id>/stream/", stream.run_stream, name="run-stream"),
    path("accounts/login/", accounts.PlaygroundLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/setup/", accounts.first_account, name="first-account"),
    path("admin/", admin.site.urls),
]
