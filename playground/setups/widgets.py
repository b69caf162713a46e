"""How the setup forms write their fields as HTML: QuickRenderer and its helpers.

The compare page has a hundred inputs (twenty for each column); Django's widget
templates, one render each, made most of the page's time, so these write the same HTML
in Python.
"""

import html
from typing import Any

from django.forms import BoundField
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

# Django's templates for these widgets, which QuickRenderer writes out in Python.
_INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html" for name in ("text", "number", "hidden", "checkbox", "file")
)
_SELECT_TEMPLATE = "django/forms/widgets/select.html"
_TEXTAREA_TEMPLATE = "django/forms/widgets/textarea.html"


class QuickRenderer(DjangoTemplates):
    """Writes the setup forms' inputs and selects in Python, as Django's widget templates
    do. The compare page has a hundred of them (twenty for each column), and a template
    each made them most of the page's time. Other widgets use their templates."""

    def render(self, template_name, context, request=None):
        widget = context.get("widget")
        if template_name in _INPUT_TEMPLATES:
            value = widget["value"]
            shown = "" if value is None else f' value="{escape(value)}"'
            return mark_safe(
                f'<input type="{escape(widget["type"])}" name="{escape(widget["name"])}"'
                f"{shown}{attributes(widget['attrs'])}>"
            )
        if template_name == _SELECT_TEMPLATE:
            options = "".join(
                f'<option value="{escape(option["value"])}"{attributes(option["attrs"])}>'
                f"{escape(option['label'])}</option>"
                for _, group, _ in widget["optgroups"]
                for option in group
            )
            return mark_safe(
                f'<select name="{escape(widget["name"])}"{attributes(widget["attrs"])}>'
                f"{options}</select>"
            )
        if template_name == _TEXTAREA_TEMPLATE:
            value = widget["value"]
            return mark_safe(
                f'<textarea name="{escape(widget["name"])}"{attributes(widget["attrs"])}>\n'
                f"{escape(value) if value else ''}</textarea>"
            )
        return super().render(template_name, context, request)


def attributes(attrs: dict[str, Any]) -> str:
    """HTML attributes in their order, as Django's attrs.html writes them (escaped)."""
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def escape(value: Any) -> str:
    # Django's escape() without its lazy-string wrapper, which cost more than escaping.
    return html.escape(str(value))


def labelled_fields(fields: list[BoundField]) -> str:
    """Each field in its label, with its errors. Written here rather than looped over in
    a template: eight columns of twenty fields made the loops a good part of the page's
    time."""
    return mark_safe(
        "".join(
            f'<label class="field">{escape(field.label)} {field.as_widget()}'
            + "".join(
                f'<span class="field-error" role="alert">{escape(error)}</span>'
                for error in field.errors
            )
            + "</label>"
            for field in fields
        )
    )


def hidden_inputs(names: list[str]) -> str:
    """Empty hidden inputs of these names."""
    inputs = (f'<input type="hidden" name="{escape(name)}" value="">' for name in names)
    return mark_safe("".join(inputs))


QUICK_RENDERER = QuickRenderer()
