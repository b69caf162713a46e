"""A person's presets: the list, one preset, its history, and preset files."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods

from playground.models import Preset, PresetVersion
from playground.presets.files import PresetFileError, presets_export_bytes, presets_import
from playground.presets.forms import PresetForm, PresetImportForm, PresetSaveForm
from playground.presets.versions import (
    preset_create,
    preset_duplicate,
    preset_rename,
    preset_restore,
    preset_save_version,
    setup_diff,
)
from playground.setups.format import setup_from_cleaned
from playground.views.common import go_to, preset_for, refuse_method, search_text
from playground.views.compare import compare_context, compare_form, form_errors

PAGE_SIZE = 25
# Enough to fix a file by; a broken file of 500 presets would otherwise fill pages.
MAX_PROBLEMS_SHOWN = 100


def _get_version(preset: Preset, number: int) -> PresetVersion:
    return get_object_or_404(PresetVersion, preset=preset, number=number)


@login_required
@require_GET
def preset_list(request):
    query = search_text(request)
    # An aggregate drops the model's default ordering, so it is spelt out.
    presets = (
        Preset.objects.filter(owner=request.user)
        .annotate(version_count=Count("versions"))
        .order_by("-updated_at", "-pk")
    )
    if query:
        presets = presets.filter(Q(name__icontains=query) | Q(description__icontains=query))
    page = Paginator(presets, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "playground/presets/list.html", {"page": page, "query": query})


@login_required
def preset_detail(request, preset_id: int):
    preset = preset_for(request, preset_id)
    if refused := refuse_method(request, "GET"):
        return refused
    version = preset.latest_version
    return render(
        request,
        "playground/presets/detail.html",
        {"preset": preset, "version": version, "setup": version.setup},
    )


@login_required
def preset_rename_view(request, preset_id: int):
    preset = preset_for(request, preset_id)
    if refused := refuse_method(request, "GET", "POST"):
        return refused
    form = PresetForm(request.POST if request.method == "POST" else None, instance=preset)
    if request.method == "POST":
        if form.is_valid():
            preset_rename(preset=preset, **form.cleaned_data)
            messages.success(request, "Preset renamed.")
            return redirect(preset)
        # The form holds the rejected values; the preset keeps its name until they are fixed.
        preset.refresh_from_db()
        return render(
            request, "playground/presets/rename.html", {"preset": preset, "form": form}, status=400
        )
    return render(request, "playground/presets/rename.html", {"preset": preset, "form": form})


@login_required
def preset_duplicate_view(request, preset_id: int):
    preset = preset_for(request, preset_id)
    if refused := refuse_method(request, "POST"):
        return refused
    copy = preset_duplicate(preset=preset)
    messages.success(request, f"Created “{copy.name}”.")
    return redirect(copy)


@login_required
def preset_delete(request, preset_id: int):
    preset = preset_for(request, preset_id)
    if refused := refuse_method(request, "GET", "POST"):
        return refused
    if request.method == "POST":
        name = preset.name
        preset.delete()
        messages.success(request, f"Deleted “{name}”.")
        return redirect("presets")
    return render(
        request,
        "playground/presets/delete.html",
        {"preset": preset, "version_count": preset.versions.count()},
    )


@login_required
def preset_versions(request, preset_id: int):
    preset = preset_for(request, preset_id)
    if refused := refuse_method(request, "GET"):
        return refused
    versions = list(preset.versions.all())
    return render(
        request,
        "playground/presets/versions.html",
        {
            "preset": preset,
            "versions": versions,
            # Preselected for comparing: the latest change.
            "a": versions[1].number if len(versions) > 1 else versions[0].number,
            "b": versions[0].number,
        },
    )


def _version_number(value: str) -> int | None:
    try:
        number = int(value)
    except ValueError:
        return None
    return number if number > 0 else None


@login_required
def preset_diff(request, preset_id: int):
    preset = preset_for(request, preset_id)
    if refused := refuse_method(request, "GET"):
        return refused
    versions = {version.number: version for version in preset.versions.all()}
    a = _version_number(request.GET.get("a", ""))
    b = _version_number(request.GET.get("b", ""))
    context = {"preset": preset, "numbers": sorted(versions, reverse=True), "a": a, "b": b}
    if a is None or b is None:
        context["error"] = "Pick two versions to compare."
    elif a not in versions or b not in versions:
        missing = a if a not in versions else b
        context["error"] = f"This preset has no version {missing}."
    if "error" in context:
        return render(request, "playground/presets/diff.html", context, status=400)
    before, after = versions[a], versions[b]
    latest = max(versions)
    context.update(
        before=before,
        after=after,
        diff=setup_diff(before=before.setup, after=after.setup),
        restorable=[v for v in {a: before, b: after}.values() if v.number != latest],
    )
    return render(request, "playground/presets/diff.html", context)


@login_required
def preset_restore_view(request, preset_id: int, number: int):
    preset = preset_for(request, preset_id)
    if refused := refuse_method(request, "POST"):
        return refused
    restored = preset_restore(preset=preset, version=_get_version(preset, number))
    messages.success(request, f"Version {number} restored as version {restored.number}.")
    return redirect("preset-versions", preset_id=preset.pk)


def _download(content: bytes, filename: str) -> HttpResponse:
    return HttpResponse(
        content,
        content_type="application/json; charset=utf-8",
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )


@login_required
def preset_export(request, preset_id: int):
    preset = preset_for(request, preset_id)
    if refused := refuse_method(request, "GET"):
        return refused
    filename = f"preset-{slugify(preset.name)[:60] or preset.pk}.json"
    return _download(presets_export_bytes(presets=[preset]), filename)


@login_required
@require_GET
def presets_export(request):
    presets = list(Preset.objects.filter(owner=request.user))
    filename = f"presets-{timezone.localdate():%Y-%m-%d}.json"
    return _download(presets_export_bytes(presets=presets), filename)


@login_required
@require_http_methods(["GET", "POST"])
def presets_import_view(request):
    if request.method == "GET":
        return render(request, "playground/presets/import.html", {"form": PresetImportForm()})
    form = PresetImportForm(request.POST, request.FILES)
    problems = []
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            imported = presets_import(owner=request.user, raw=upload.read(), filename=upload.name)
        except PresetFileError as error:
            problems = error.problems
        else:
            count = len(imported)
            messages.success(request, f"Imported {count} preset{'s' if count != 1 else ''}.")
            return redirect("presets")
    context = {
        "form": form,
        "problems": problems[:MAX_PROBLEMS_SHOWN],
        "more_problems": max(0, len(problems) - MAX_PROBLEMS_SHOWN),
    }
    return render(request, "playground/presets/import.html", context, status=400)


@login_required
def preset_save(request, preset_id: int | None = None):
    """Saves the compare form's setup: as a new preset, or as the next version of one."""
    preset = preset_for(request, preset_id) if preset_id is not None else None
    if refused := refuse_method(request, "POST"):
        return refused
    form, catalog = compare_form(request, request.POST, request.FILES, purpose="preset")
    preset_form = PresetSaveForm(request.POST) if preset is None else None
    setup_valid = form.is_valid()
    if not setup_valid or (preset_form is not None and not preset_form.is_valid()):
        context = compare_context(
            form=form, catalog=catalog, preset=preset, preset_form=preset_form
        )
        return form_errors(request, context)

    setup = setup_from_cleaned(form.cleaned_data)
    if preset is None:
        preset = preset_create(
            owner=request.user,
            name=preset_form.cleaned_data["name"],
            description=preset_form.cleaned_data["description"],
            setup=setup,
        )
        messages.success(request, f"Saved the preset “{preset.name}”.")
    else:
        version = preset_save_version(preset=preset, setup=setup)
        messages.success(request, f"Saved “{preset.name}” as version {version.number}.")
    return go_to(request, f"/?preset={preset.pk}")
