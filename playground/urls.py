from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from playground.views import (
    accounts,
    catalog,
    compare,
    history,
    inspect,
    keys,
    presets,
    shares,
    stream,
    usage,
)

handler400 = "playground.views.errors.bad_request"
handler404 = "playground.views.errors.page_not_found"

urlpatterns = [
    path("", compare.compare, name="compare"),
    path("runs/", compare.runs, name="runs"),
    path("models/", catalog.model_picker, name="model-picker"),
    path("models/refresh/", catalog.model_list_refresh, name="model-list-refresh"),
    path("runs/<int:run_id>/", compare.run_detail, name="run-detail"),
    path("runs/<int:run_id>/inspect/", inspect.run_inspect, name="run-inspect"),
    path("runs/<int:run_id>/download/", inspect.run_download, name="run-download"),
    path(
        "runs/<int:run_id>/columns/<int:position>/",
        inspect.column_inspect,
        name="column-inspect",
    ),
    path(
        "runs/<int:run_id>/columns/<int:position>/events/",
        inspect.column_events,
        name="column-events",
    ),
    path("runs/<int:run_id>/rerun/", history.run_rerun, name="run-rerun"),
    path("runs/<int:run_id>/delete/", history.run_delete, name="run-delete"),
    path("runs/<int:run_id>/save-preset/", history.run_save_preset, name="run-save-preset"),
    path("runs/<int:run_id>/share/", shares.run_share, name="run-share"),
    path("presets/<int:preset_id>/share/", shares.preset_share, name="preset-share"),
    path("shares/", shares.share_list, name="shares"),
    path("shares/<int:share_id>/revoke/", shares.share_revoke, name="share-revoke"),
    path("s/<str:token>/", shares.shared, name="shared"),
    path("s/<str:token>/fork/", shares.shared_fork, name="shared-fork"),
    path("runs/<int:run_id>/stream/", stream.run_stream, name="run-stream"),
    path("presets/save/", compare.preset_save, name="preset-save"),
    path("presets/<int:preset_id>/save/", compare.preset_save, name="preset-save-version"),
    path("presets/", presets.preset_list, name="presets"),
    path("presets/export/", presets.presets_export, name="presets-export"),
    path("presets/import/", presets.presets_import_view, name="presets-import"),
    path("presets/<int:preset_id>/", presets.preset_detail, name="preset-detail"),
    path("presets/<int:preset_id>/rename/", presets.preset_rename_view, name="preset-rename"),
    path(
        "presets/<int:preset_id>/duplicate/",
        presets.preset_duplicate_view,
        name="preset-duplicate",
    ),
    path("presets/<int:preset_id>/delete/", presets.preset_delete, name="preset-delete"),
    path("presets/<int:preset_id>/versions/", presets.preset_versions, name="preset-versions"),
    path("presets/<int:preset_id>/diff/", presets.preset_diff, name="preset-diff"),
    path(
        "presets/<int:preset_id>/versions/<int:number>/restore/",
        presets.preset_restore_view,
        name="preset-restore",
    ),
    path("presets/<int:preset_id>/export/", presets.preset_export, name="preset-export"),
    path("usage/", usage.usage, name="usage"),
    path("usage/export.csv", usage.usage_export, name="usage-export"),
    path("keys/", keys.key_list, name="keys"),
    path("keys/<int:key_id>/default/", keys.key_default, name="key-default"),
    path("keys/<int:key_id>/refresh/", keys.key_refresh, name="key-refresh"),
    path("keys/<int:key_id>/delete/", keys.key_delete, name="key-delete"),
    path("accounts/login/", accounts.PlaygroundLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/setup/", accounts.first_account, name="first-account"),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/signup/<str:token>/", accounts.signup_invite, name="signup-invite"),
    path(
        "accounts/password/",
        accounts.PlaygroundPasswordChangeView.as_view(),
        name="password-change",
    ),
    path(
        "accounts/password/done/",
        accounts.PlaygroundPasswordChangeDoneView.as_view(),
        name="password-change-done",
    ),
    path("admin/", admin.site.urls),
]
