from django.contrib import admin

from playground.models import Run, RunColumn


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
