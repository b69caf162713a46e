from urllib.parse import urljoin

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Value

from playground.accounts.forms import AdminLoginForm
from playground.models import ApiKey, Invite, Preset, PresetVersion, Run, RunColumn, Share

# The admin's login page counts failed logins and locks like the main one.
admin.site.login_form = AdminLoginForm


class RunColumnInline(admin.TabularInline):
    model = RunColumn
    extra = 0
    fields = ["position", "model", "status", "served_model", "output_tokens", "cost", "total_ms"]
    readonly_fields = fields
    can_delete = False


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "status", "key_source", "created_at"]
    list_filter = ["status", "key_source"]
    search_fields = ["prompt", "owner__username"]
    readonly_fields = ["created_at", "started_at", "finished_at"]
    inlines = [RunColumnInline]


@admin.register(Invite)
class InviteAdmin(admin.ModelAdmin):
    list_display = ["note", "link", "created_at", "expires_at", "used_at", "used_by"]
    # Made by the admin with a note and an expiry; the rest is filled in on use.
    exclude = ["created_by", "used_at", "used_by"]
    search_fields = ["note", "used_by__username"]

    def get_queryset(self, request):
        # The link carries the host name the admin reached this site by. List columns and
        # read-only fields are not given the request, so each row brings it along.
        root = request.build_absolute_uri("/")
        return super().get_queryset(request).annotate(site_root=Value(root))

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["link", "created_by", "created_at", "used_at", "used_by"]

    @admin.display(description="Sign-up link")
    def link(self, invite: Invite) -> str:
        return urljoin(invite.site_root, invite.get_absolute_url())

    def changelist_view(self, request, extra_context=None):
        if settings.PLAYGROUND_SIGNUP != "invite":
            messages.warning(
                request,
                f"Sign-up is “{settings.PLAYGROUND_SIGNUP}”: invite links answer “not found” "
                "until PLAYGROUND_SIGNUP is set to “invite”.",
            )
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """View and delete only. The encrypted secret is never shown, and keys are added in
    the app, which checks them with OpenRouter and encrypts them for their owner."""

    list_display = ["label", "owner", "last_four", "is_default", "created_at"]
    search_fields = ["label", "owner__username"]
    exclude = ["secret"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PresetVersionInline(admin.TabularInline):
    model = PresetVersion
    extra = 0
    fields = ["number", "note", "created_at", "setup"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Preset)
class PresetAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "updated_at", "created_at"]
    search_fields = ["name", "owner__username"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [PresetVersionInline]


@admin.register(Share)
class ShareAdmin(admin.ModelAdmin):
    """Shares are made in the app; here they can be looked at and revoked (set the
    revoked time). A run's snapshot is left out: it can be large, and it is on the link."""

    list_display = ["kind", "owner", "created_at", "last_opened_at", "open_count", "revoked_at"]
    list_filter = ["kind"]
    search_fields = ["owner__username"]
    fields = [
        "token",
        "kind",
        "owner",
        "preset",
        "run",
        "created_at",
        "last_opened_at",
        "open_count",
        "revoked_at",
    ]
    readonly_fields = fields[:-1]

    def has_add_permission(self, request):
        return False
