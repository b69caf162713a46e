"""The compare form: a setup (playground/setups.py) as a person edits it.

The run's own fields are ordinary form fields. Each column's fields (`col-…`) and each
tool's (`tool-…`) arrive as repeated fields, one value per column or tool in order, so
columns added and removed in the page need no numbering: every column renders every
field (those its model does not take as empty hidden inputs).
"""

import base64
import binascii
import html
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.forms.renderers import DjangoTemplates
from django.template.defaultfilters import filesizeformat
from django.utils.safestring import mark_safe

from playground import setups
from playground.estimates import RunEstimate, run_estimate
from playground.models import ApiKey, PresetVersion, Run, plain_decimal
from playground.openrouter import (
    DATA_COLLECTION,
    PROVIDER_SORTS,
    REASONING_EFFORTS,
    REASONING_SUMMARIES,
    TOOL_CHOICES,
    VERBOSITIES,
    WEB_SEARCH_MAX_RESULTS,
    ModelInfo,
)
from playground.openrouter.request import NAME_PATTERN
from playground.setups import image_label

MAX_COLUMNS = 8
# A long document plus a question fits; a runaway paste of megabytes does not.
MAX_PROMPT_CHARS = 100_000
MAX_INSTRUCTIONS_CHARS = 20_000
MAX_MODEL_ID_CHARS = 200
MAX_OUTPUT_TOKENS = 200_000
MAX_TOOLS = 16
MAX_TOOL_DESCRIPTION_CHARS = 2_000
MAX_SCHEMA_CHARS = 50_000
MAX_PROVIDERS = 20
MAX_PROVIDER_SLUG_CHARS = 100
MAX_FALLBACK_MODELS = 3
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_URL_CHARS = 2_048
# An image file starts with its format's signature, whatever its name says.
IMAGE_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_DATA_URL = re.compile(r"data:(image/[a-z0-9.+-]+);base64,([A-Za-z0-9+/=\s]*)", re.IGNORECASE)
JSON_TYPES = ("string", "number", "integer", "boolean", "object", "array", "null")
_YES_NO = {"": None, "true": True, "false": False}

PARAMETER_LABELS = setups.PARAMETER_LABELS


def _choices(values: tuple[str, ...], default: str) -> list[tuple[str, str]]:
    return [("", default), *((value, value) for value in values)]


def _number(step: str) -> forms.NumberInput:
    return forms.NumberInput(attrs={"step": step})


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
            shown = "" if value is None else f' value="{_escape(value)}"'
            return mark_safe(
                f'<input type="{_escape(widget["type"])}" name="{_escape(widget["name"])}"'
                f"{shown}{_attributes(widget['attrs'])}>"
            )
        if template_name == _SELECT_TEMPLATE:
            options = "".join(
                f'<option value="{_escape(option["value"])}"{_attributes(option["attrs"])}>'
                f"{_escape(option['label'])}</option>"
                for _, group, _ in widget["optgroups"]
                for option in group
            )
            return mark_safe(
                f'<select name="{_escape(widget["name"])}"{_attributes(widget["attrs"])}>'
                f"{options}</select>"
            )
        if template_name == _TEXTAREA_TEMPLATE:
            value = widget["value"]
            return mark_safe(
                f'<textarea name="{_escape(widget["name"])}"{_attributes(widget["attrs"])}>\n'
                f"{_escape(value) if value else ''}</textarea>"
            )
        return super().render(template_name, context, request)


def _attributes(attrs: dict[str, Any]) -> str:
    """HTML attributes in their order, as Django's attrs.html writes them (escaped)."""
    return "".join(
        f" {_escape(name)}" if value is True else f' {_escape(name)}="{_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _escape(value: Any) -> str:
    # Django's escape() without its lazy-string wrapper, which cost more than escaping.
    return html.escape(str(value))


QUICK_RENDERER = QuickRenderer()


class ParameterFields(forms.Form):
    """The parameters a run sets for every column and a column may set for itself."""

    default_renderer = QUICK_RENDERER

    temperature = forms.FloatField(
        required=False, min_value=0, max_value=2, label="Temperature", widget=_number("0.1")
    )
    top_p = forms.FloatField(
        required=False, min_value=0, max_value=1, label="Top P", widget=_number("0.05")
    )
    top_k = forms.IntegerField(required=False, min_value=0, label="Top K")
    max_output_tokens = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_OUTPUT_TOKENS, label="Max output tokens"
    )
    frequency_penalty = forms.FloatField(
        required=False,
        min_value=-2,
        max_value=2,
        label="Frequency penalty",
        widget=_number("0.1"),
    )
    presence_penalty = forms.FloatField(
        required=False,
        min_value=-2,
        max_value=2,
        label="Presence penalty",
        widget=_number("0.1"),
    )
    reasoning_effort = forms.ChoiceField(
        required=False, choices=_choices(REASONING_EFFORTS, "model default")
    )
    reasoning_max_tokens = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_OUTPUT_TOKENS,
        label="Reasoning token budget",
    )
    reasoning_summary = forms.ChoiceField(
        required=False, choices=_choices(REASONING_SUMMARIES, "model default")
    )
    verbosity = forms.ChoiceField(required=False, choices=_choices(VERBOSITIES, "model default"))

    default_placeholder = "model default"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in setups.PARAMETERS:
            field = self.fields[name]
            field.widget.attrs["data-testid"] = self.add_prefix(name)
            if isinstance(field, forms.ChoiceField):
                field.choices = [("", self.default_placeholder), *field.choices[1:]]
            else:
                field.widget.attrs["placeholder"] = self.default_placeholder

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reasoning_effort") and cleaned.get("reasoning_max_tokens") is not None:
            # OpenRouter takes one or the other (SPEC §2, `reasoning`).
            self.add_error(
                "reasoning_max_tokens",
                "Set a reasoning effort or a reasoning token budget, not both.",
            )
        return cleaned

    def parameter_values(self) -> dict[str, Any]:
        return {
            name: setups.blank_to_none(self.cleaned_data.get(name)) for name in setups.PARAMETERS
        }


def offered_parameters(info: ModelInfo | None) -> frozenset[str]:
    """The parameters a model takes, from the catalog's `supported_parameters`; every one
    when the model is unknown or its entry lists none."""
    if info is None or not info.supported_parameters:
        return frozenset(setups.PARAMETERS)
    return frozenset(
        name
        for name, support in setups.SUPPORT_NAMES.items()
        if support in info.supported_parameters
    )


def column_label(position: int, model: str) -> str:
    """How messages name a column: "Column 2 (demo/swift)"."""
    return f"Column {position + 1} ({model})" if model else f"Column {position + 1}"


ROUTING_FIELDS = (
    "provider_order",
    "provider_only",
    "provider_ignore",
    "provider_sort",
    "allow_fallbacks",
    "data_collection",
    "zdr",
    "max_price_prompt",
    "max_price_completion",
    "fallback_models",
)
# Where each column field sits in the setup's column, for errors found in an import.
COLUMN_PATHS = {
    **{name: f"parameters.{name}" for name in setups.PARAMETERS},
    "provider_order": "routing.order",
    "provider_only": "routing.only",
    "provider_ignore": "routing.ignore",
    "provider_sort": "routing.sort",
    "allow_fallbacks": "routing.allow_fallbacks",
    "data_collection": "routing.data_collection",
    "zdr": "routing.zdr",
    "max_price_prompt": "routing.max_price_prompt",
    "max_price_completion": "routing.max_price_completion",
    "fallback_models": "fallback_models",
}


def _list_widget(placeholder: str, testid: str) -> forms.TextInput:
    return forms.TextInput(
        attrs={"placeholder": placeholder, "data-testid": testid, "spellcheck": "false"}
    )


def _price_field(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        required=False,
        min_value=0,
        # ProviderPreferences sends prices as JSON numbers, exact up to 15 digits.
        max_digits=15,
        decimal_places=10,
        label=label,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "no limit"}),
    )


@dataclass(frozen=True)
class ColumnSlot:
    """A column whose settings are not in the page: nothing set, and not opened since.
    Its settings are fetched when the person opens them (or changes its model), so a
    page of eight columns does not carry eight times twenty unused fields."""

    model: str
    position: int
    loaded = False

    @property
    def label(self) -> str:
        return column_label(self.position, self.model)

    def column_setup(self) -> dict[str, Any]:
        return {"model": self.model, "parameters": {}, "routing": {}, "fallback_models": []}


class ColumnForm(ParameterFields):
    """One column's own settings: parameters over the run's (blank: the run's), routing
    and fallback models. Only the parameters its model takes are offered."""

    provider_order = forms.CharField(
        required=False,
        max_length=2_000,
        label="Provider order",
        widget=_list_widget("e.g. deepinfra, together", "col-provider_order"),
    )
    provider_only = forms.CharField(
        required=False,
        max_length=2_000,
        label="Only providers",
        widget=_list_widget("any", "col-provider_only"),
    )
    provider_ignore = forms.CharField(
        required=False,
        max_length=2_000,
        label="Ignore providers",
        widget=_list_widget("none", "col-provider_ignore"),
    )
    provider_sort = forms.ChoiceField(
        required=False, choices=_choices(PROVIDER_SORTS, "default"), label="Sort providers by"
    )
    allow_fallbacks = forms.ChoiceField(
        required=False,
        choices=[("", "default (yes)"), ("true", "yes"), ("false", "no")],
        label="Allow other providers",
    )
    data_collection = forms.ChoiceField(
        required=False, choices=_choices(DATA_COLLECTION, "default"), label="Data collection"
    )
    zdr = forms.ChoiceField(
        required=False,
        choices=[("", "default"), ("true", "required"), ("false", "not required")],
        label="Zero data retention",
    )
    max_price_prompt = _price_field("Max prompt price ($/M tokens)")
    max_price_completion = _price_field("Max completion price ($/M tokens)")
    fallback_models = forms.CharField(
        required=False,
        max_length=(MAX_MODEL_ID_CHARS + 2) * MAX_FALLBACK_MODELS,
        label="Fallback models",
        widget=_list_widget("e.g. demo/echo", "col-fallback_models"),
    )

    default_placeholder = "the run's"

    def __init__(
        self,
        *args,
        model: str,
        info: ModelInfo | None,
        position: int = 0,
        same_settings: bool = False,
        unfold: bool = False,
        **kwargs,
    ):
        kwargs.setdefault("prefix", "col")
        # Every column repeats the same names: ids would repeat too, so labels wrap fields.
        kwargs.setdefault("auto_id", False)
        super().__init__(*args, **kwargs)
        self.model = model
        self.info = info
        self.position = position
        self.same_settings = same_settings
        self.unfold = unfold
        self.offered = offered_parameters(info if model else None)
        for name, field in self.fields.items():
            field.widget.attrs["data-testid"] = f"col-{name}"

    # What the page shows

    @property
    def label(self) -> str:
        return column_label(self.position, self.model)

    @property
    def offered_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in setups.PARAMETERS if name in self.offered]

    @property
    def withheld_fields(self) -> list[forms.BoundField]:
        """The parameters this model does not take: sent empty, to keep columns aligned."""
        return [self[name] for name in setups.PARAMETERS if name not in self.offered]

    @property
    def withheld_labels(self) -> str:
        return ", ".join(PARAMETER_LABELS[field.name].lower() for field in self.withheld_fields)

    @property
    def routing_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ROUTING_FIELDS]

    @property
    def withheld_errors(self) -> list[str]:
        return [error for field in self.withheld_fields for error in field.errors]

    # Written here rather than looped over in the template: eight columns of twenty
    # fields made the template's loops a good part of the page's time.

    @property
    def offered_html(self) -> str:
        return _labelled_fields(self.offered_fields)

    @property
    def withheld_html(self) -> str:
        return mark_safe(
            "".join(
                f'<input type="hidden" name="{_escape(field.html_name)}" value="">'
                for field in self.withheld_fields
            )
        )

    @property
    def routing_html(self) -> str:
        return _labelled_fields(self.routing_fields)

    loaded = True  # its fields are in the page (see ColumnSlot)

    @property
    def is_open(self) -> bool:
        """Shown unfolded: asked for, or something is set or wrong."""
        if self.unfold or self.errors:
            return True
        return any(
            str(self[name].value() or "").strip() for name in (*setups.PARAMETERS, *ROUTING_FIELDS)
        )

    # Checking

    def full_clean(self):
        if not (self.is_bound and self.same_settings):
            super().full_clean()
            return
        # The run's settings apply: the column's own values are not checked nor used,
        # but shown again as typed.
        typed = self.data
        self.data = {**typed, **{self.add_prefix(name): "" for name in setups.PARAMETERS}}
        try:
            super().full_clean()
        finally:
            self.data = typed

    def clean(self):
        cleaned = super().clean()
        for name in setups.PARAMETERS:
            if name not in self.offered and str(self.data.get(self.add_prefix(name), "")).strip():
                self.add_error(
                    name,
                    f"{self.label} does not support {PARAMETER_LABELS[name].lower()}: "
                    "clear it or pick another model.",
                )
        max_output = cleaned.get("max_output_tokens")
        context = self.info.context_length if self.info else None
        if max_output is not None and context is not None and max_output > context:
            self.add_error("max_output_tokens", context_message(self.label, max_output, context))
        return cleaned

    def _slugs(self, name: str, what: str) -> list[str]:
        slugs = _comma_list(self.cleaned_data[name])
        if len(slugs) > MAX_PROVIDERS:
            raise forms.ValidationError(f"At most {MAX_PROVIDERS} {what}.")
        for slug in slugs:
            if len(slug) > MAX_PROVIDER_SLUG_CHARS or any(c.isspace() for c in slug):
                raise forms.ValidationError(
                    f"“{slug[:40]}” is not a provider slug: separate slugs with commas."
                )
        return slugs

    def clean_provider_order(self) -> list[str]:
        return self._slugs("provider_order", "providers in the order")

    def clean_provider_only(self) -> list[str]:
        return self._slugs("provider_only", "providers to use")

    def clean_provider_ignore(self) -> list[str]:
        return self._slugs("provider_ignore", "providers to ignore")

    def clean_fallback_models(self) -> list[str]:
        models = _comma_list(self.cleaned_data["fallback_models"])
        if len(models) > MAX_FALLBACK_MODELS:
            raise forms.ValidationError(f"At most {MAX_FALLBACK_MODELS} fallback models.")
        for model in models:
            if len(model) > MAX_MODEL_ID_CHARS or any(c.isspace() for c in model):
                raise forms.ValidationError(
                    f"“{model[:40]}” is not a model id: separate models with commas."
                )
        return models

    def column_setup(self) -> dict[str, Any]:
        """The column as the setup stores it (only what is set)."""
        cleaned = self.cleaned_data
        own = {name: value for name, value in self.parameter_values().items() if value is not None}
        routing: dict[str, Any] = {}
        for name in setups.PROVIDER_LISTS:
            if slugs := cleaned[f"provider_{name}"]:
                routing[name] = slugs
        settings = {
            "sort": cleaned["provider_sort"] or None,
            "allow_fallbacks": _YES_NO[cleaned["allow_fallbacks"]],
            "data_collection": cleaned["data_collection"] or None,
            "zdr": _YES_NO[cleaned["zdr"]],
            "max_price_prompt": _price_text(cleaned["max_price_prompt"]),
            "max_price_completion": _price_text(cleaned["max_price_completion"]),
        }
        routing |= {name: value for name, value in settings.items() if value is not None}
        return {
            "model": self.model,
            "parameters": own,
            "routing": routing,
            "fallback_models": cleaned["fallback_models"],
        }


def _labelled_fields(fields: list[forms.BoundField]) -> str:
    """Each field in its label, with its errors."""
    return mark_safe(
        "".join(
            f'<label class="field">{_escape(field.label)} {field.as_widget()}'
            + "".join(
                f'<span class="field-error" role="alert">{_escape(error)}</span>'
                for error in field.errors
            )
            + "</label>"
            for field in fields
        )
    )


def context_message(label: str, max_output: int, context: int) -> str:
    return (
        f"{label}: max output tokens {max_output:,} is more than the model's context of "
        f"{context:,} tokens."
    )


def _comma_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _price_text(value: Decimal | None) -> str | None:
    return None if value is None else plain_decimal(value)


class ToolForm(forms.Form):
    """A function tool: its name, what it does, and the JSON schema of its arguments."""

    default_renderer = QUICK_RENDERER

    name = forms.CharField(
        required=False,
        max_length=64,
        widget=forms.TextInput(
            attrs={"placeholder": "get_weather", "data-testid": "tool-name", "spellcheck": "false"}
        ),
    )
    description = forms.CharField(
        required=False,
        max_length=MAX_TOOL_DESCRIPTION_CHARS,
        widget=forms.TextInput(
            attrs={"placeholder": "What it does, for the model", "data-testid": "tool-description"}
        ),
    )
    parameters = forms.CharField(
        required=False,
        max_length=MAX_SCHEMA_CHARS,
        label="Parameters (JSON schema)",
        strip=False,
        widget=forms.Textarea(
            attrs={
                "rows": 4,
                "placeholder": '{"type": "object", "properties": {"city": {"type": "string"}}}',
                "data-testid": "tool-parameters",
                "spellcheck": "false",
            }
        ),
    )
    strict = forms.ChoiceField(
        required=False,
        choices=[("", "default"), ("true", "strict"), ("false", "not strict")],
        widget=forms.Select(attrs={"data-testid": "tool-strict"}),
    )

    def __init__(self, *args, position: int = 0, **kwargs):
        kwargs.setdefault("prefix", "tool")
        kwargs.setdefault("auto_id", False)
        super().__init__(*args, **kwargs)
        self.position = position

    @property
    def is_blank(self) -> bool:
        return self.is_bound and not any(
            str(self.data.get(self.add_prefix(name), "")).strip() for name in self.fields
        )

    @property
    def label(self) -> str:
        name = str(self["name"].value() or "").strip()
        return f"Tool {self.position + 1}" + (f" ({name})" if name else "")

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if not name:
            raise forms.ValidationError("Name the tool, or clear its fields to remove it.")
        if not NAME_PATTERN.fullmatch(name):
            raise forms.ValidationError(
                "A tool name is 1 to 64 letters, digits, underscores or hyphens."
            )
        return name

    def clean_parameters(self) -> dict[str, Any]:
        text = self.cleaned_data["parameters"]
        if not text.strip():
            return {"type": "object", "properties": {}}
        return object_schema(text)

    def tool_setup(self) -> dict[str, Any]:
        cleaned = self.cleaned_data
        return {
            "name": cleaned["name"],
            "description": cleaned["description"],
            "parameters": cleaned["parameters"],
            "strict": _YES_NO[cleaned["strict"]],
        }


def object_schema(text: str) -> dict[str, Any]:
    """The JSON schema of an object, parsed from text; ValidationError saying where it
    is wrong."""
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as error:
        raise forms.ValidationError(
            f"Not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})."
        ) from None
    except RecursionError:
        raise forms.ValidationError("Not valid JSON: nested too deeply.") from None
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise forms.ValidationError(
            'Must be the JSON schema of an object: {"type": "object", "properties": {…}}.'
        )
    if problems := schema_problems(schema):
        raise forms.ValidationError(problems[:3])
    return schema


def schema_problems(schema: Any, path: str = "") -> list[str]:
    """What keeps `schema` from being a JSON schema, for the keywords models use: type,
    properties, required, items, enum, additionalProperties, anyOf/oneOf/allOf."""
    where = f"{path}: " if path else ""
    if not isinstance(schema, dict):
        return [f"{where}a schema must be a JSON object."]
    problems = []
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if kind is not None and not all(k in JSON_TYPES for k in kinds):
        problems.append(f"{where}type {json.dumps(kind)} is not one of {', '.join(JSON_TYPES)}.")
    properties = schema.get("properties")
    if properties is not None:
        if not isinstance(properties, dict):
            problems.append(f"{where}properties must be an object of schemas.")
        else:
            for name, item in properties.items():
                problems += schema_problems(item, f"{path}.{name}" if path else name)
    required = schema.get("required")
    if required is not None:
        if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
            problems.append(f"{where}required must be a list of property names.")
        elif isinstance(properties, dict):
            missing = [name for name in required if name not in properties]
            if missing:
                problems.append(f"{where}required names {', '.join(missing)}, not in properties.")
    if "items" in schema:
        problems += schema_problems(schema["items"], f"{path}[]")
    enum = schema.get("enum")
    if enum is not None and (not isinstance(enum, list) or not enum):
        problems.append(f"{where}enum must be a non-empty list.")
    extra = schema.get("additionalProperties")
    if extra is not None and not isinstance(extra, bool):
        problems += schema_problems(extra, f"{path}.*" if path else "*")
    for keyword in ("anyOf", "oneOf", "allOf"):
        options = schema.get(keyword)
        if options is not None:
            if not isinstance(options, list) or not options:
                problems.append(f"{where}{keyword} must be a non-empty list of schemas.")
            else:
                for number, option in enumerate(options):
                    problems += schema_problems(option, f"{path}.{keyword}[{number}]")
    return problems


def sniff_image(data: bytes) -> str | None:
    """The image type by the file's content: PNG, JPEG, GIF or WebP; None otherwise."""
    for signature, mime in IMAGE_SIGNATURES:
        if data.startswith(signature):
            return mime
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _too_large(size: int, name: str) -> str:
    return (
        f"{name} is {filesizeformat(size)}; "
        f"images up to {filesizeformat(MAX_IMAGE_BYTES)} can be attached."
    )


def _image_problem(data: bytes, name: str) -> str:
    if len(data) > MAX_IMAGE_BYTES:
        return _too_large(len(data), name)
    if sniff_image(data) is None:
        return f"{name} is not a PNG, JPEG, GIF or WebP image."
    return ""


def image_data_url(data: bytes) -> str:
    return f"data:{sniff_image(data)};base64,{base64.b64encode(data).decode()}"


def image_from_text(text: str) -> str:
    """An image as typed (or stored): an https:// URL, or a data: URL whose content is
    checked; the URL to send, or ValidationError."""
    shown = text if len(text) <= 60 else text[:60] + "…"
    if text.startswith("data:"):
        match = _DATA_URL.fullmatch(text)
        if match is None:
            raise forms.ValidationError(f"“{shown}” is not a base64 data:image URL.")
        try:
            data = base64.b64decode("".join(match.group(2).split()), validate=True)
        except (binascii.Error, ValueError):
            raise forms.ValidationError(f"“{shown}” is not valid base64.") from None
        if problem := _image_problem(data, "The image in a data: URL"):
            raise forms.ValidationError(problem)
        return image_data_url(data)
    parts = urlsplit(text)
    if parts.scheme != "https" or not parts.netloc or any(c.isspace() for c in text):
        raise forms.ValidationError(
            f"“{shown}” is not an https:// URL: models fetch images from https:// addresses."
        )
    if len(text) > MAX_IMAGE_URL_CHARS:
        raise forms.ValidationError(f"An image URL has at most {MAX_IMAGE_URL_CHARS} characters.")
    return text


class MultipleImageInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several image files at once; each is checked by its content when the form is."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleImageInput(
                attrs={
                    "accept": "image/png,image/jpeg,image/gif,image/webp",
                    "data-testid": "image-files",
                }
            ),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleImageField, self).clean(file, initial) for file in files]


@dataclass(frozen=True)
class KeptImage:
    """An uploaded image of the setup the form was opened from, offered to keep."""

    index: int  # in that setup's images
    label: str
    kept: bool


class SetupForm(ParameterFields):
    """A compare setup (playground/setups.py) as the compare form edits it. A preset may
    leave the prompt empty; a run may not (RunForm).

    `models` arrives as repeated `models` fields, one per column, in column order, and so
    does each `col-…` field; each tool's fields as repeated `tool-…` fields.
    """

    prompt = forms.CharField(
        required=False,
        max_length=MAX_PROMPT_CHARS,
        widget=forms.Textarea(attrs={"rows": 5, "data-testid": "prompt"}),
    )
    instructions = forms.CharField(
        required=False,
        max_length=MAX_INSTRUCTIONS_CHARS,
        widget=forms.Textarea(attrs={"rows": 2, "data-testid": "instructions"}),
    )
    same_settings = forms.BooleanField(
        required=False,
        initial=True,
        label="Same settings for all columns",
        widget=forms.CheckboxInput(attrs={"data-testid": "same-settings"}),
    )
    tool_choice = forms.CharField(
        required=False,
        max_length=64,
        label="Tool choice",
        widget=forms.TextInput(
            attrs={
                "list": "tool-choices",
                "placeholder": "model default (auto)",
                "data-testid": "tool-choice",
                "spellcheck": "false",
            }
        ),
    )
    web_search = forms.BooleanField(
        required=False,
        label="Search the web",
        widget=forms.CheckboxInput(attrs={"data-testid": "web-search"}),
    )
    web_search_max_results = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=WEB_SEARCH_MAX_RESULTS,
        initial=setups.DEFAULT_WEB_SEARCH_RESULTS,
        label="Max results",
        widget=forms.NumberInput(attrs={"data-testid": "web-search-max-results"}),
    )
    schema_name = forms.CharField(
        required=False,
        max_length=64,
        initial=setups.DEFAULT_SCHEMA_NAME,
        label="Schema name",
        widget=forms.TextInput(attrs={"data-testid": "schema-name", "spellcheck": "false"}),
    )
    schema = forms.CharField(
        required=False,
        max_length=MAX_SCHEMA_CHARS,
        strip=False,
        label="JSON schema of the answer",
        widget=forms.Textarea(
            attrs={
                "rows": 5,
                "data-testid": "schema",
                "spellcheck": "false",
                "placeholder": '{"type": "object", "properties": {…}, "required": […]}',
            }
        ),
    )
    schema_strict = forms.BooleanField(
        required=False,
        initial=True,
        label="Strict",
        widget=forms.CheckboxInput(attrs={"data-testid": "schema-strict"}),
    )
    image_urls = forms.CharField(
        required=False,
        label="Image URLs (one a line)",
        widget=forms.Textarea(
            attrs={
                "rows": 2,
                "data-testid": "image-urls",
                "spellcheck": "false",
                "placeholder": "https://example.com/photo.jpg",
            }
        ),
    )
    image_files = MultipleImageField(required=False, label="Upload images")
    budget = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=20,
        decimal_places=12,
        label="Budget (USD)",
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "placeholder": "no limit", "data-testid": "budget"}
        ),
    )

    # Where each field's value sits in a setup, for errors found in an import file.
    FIELD_PATHS = {
        **{name: f"parameters.{name}" for name in setups.PARAMETERS},
        "web_search_max_results": "web_search.max_results",
        "schema_name": "structured_output.name",
        "schema": "structured_output.schema",
        "schema_strict": "structured_output.strict",
        "image_urls": "images",
        "image_files": "images",
    }

    def __init__(
        self,
        data=None,
        files=None,
        *,
        setup: dict[str, Any] | None = None,
        catalog: list[ModelInfo] | None = None,
        owner=None,
        image_source: str = "",
        **kwargs,
    ):
        super().__init__(data, files, **kwargs)
        self.catalog = catalog or []
        self.models_by_id = {model.id: model for model in self.catalog}
        self.owner = owner
        self.path_errors: dict[str, list[str]] = {}
        self.notes: list[str] = []
        self.estimate: RunEstimate | None = None
        if self.is_bound:
            self.image_source = str(self.data.get("image_source", ""))[:100]
            self.columns = self._bound_columns()
            self.tools = self._bound_tools()
        else:
            setup = setup or setups.setup_normalize({"columns": []})
            self.image_source = image_source
            self.columns = [
                self.column_form(column["model"], position, initial=initial)
                if _has_settings(column)
                else ColumnSlot(column["model"], position)
                for position, (column, initial) in enumerate(
                    zip(
                        setup["columns"],
                        _rows(setups.column_values(setup["columns"])),
                        strict=True,
                    )
                )
            ]
            self.tools = [
                ToolForm(initial=initial, position=position)
                for position, initial in enumerate(_rows(setups.tool_values(setup["tools"])))
            ]
        self.kept_images = self._kept_images(setup)

    # The columns and tools

    def column_form(self, model: str, position: int, **kwargs) -> ColumnForm:
        return ColumnForm(
            model=model, info=self.models_by_id.get(model), position=position, **kwargs
        )

    @property
    def parameters(self) -> list[forms.BoundField]:
        """The run's parameters, in the order they are shown."""
        return [self[name] for name in setups.PARAMETERS]

    @property
    def tool_rows(self) -> list[ToolForm]:
        """The tools to show: at least one row to fill in."""
        return self.tools or [ToolForm(position=0)]

    def _models(self) -> list[str]:
        return [value.strip() for value in self.data.getlist("models")]

    def _bound_columns(self) -> list[ColumnForm | ColumnSlot]:
        """One per `models` value. `col-loaded` says, column by column, whether its
        settings were in the page ("1") and so sent their fields; without it (a setup
        checked whole), every column sent them."""
        same_settings = self.fields["same_settings"].widget.value_from_datadict(
            self.data, self.files, self.add_prefix("same_settings")
        )
        lists = {name: self.data.getlist(f"col-{name}") for name in ColumnForm.base_fields}
        loaded = self.data.getlist("col-loaded")
        if not loaded and not any(lists.values()):
            loaded = ["0"]  # no column sent settings
        columns: list[ColumnForm | ColumnSlot] = []
        sent = 0  # the columns whose fields came so far: the lists hold theirs only
        # Far more columns than a run may have are refused, not all shown again.
        for position, model in enumerate(self._models()[: MAX_COLUMNS * 2]):
            if loaded and _nth(loaded, position) != "1":
                columns.append(ColumnSlot(model, position))
                continue
            data = {f"col-{name}": _nth(values, sent) for name, values in lists.items()}
            sent += 1
            columns.append(
                self.column_form(model, position, data=data, same_settings=same_settings)
            )
        return columns

    def _bound_tools(self) -> list[ToolForm]:
        lists = {name: self.data.getlist(f"tool-{name}") for name in ToolForm.base_fields}
        count = min(max(len(values) for values in lists.values()), MAX_TOOLS * 2)
        rows = [
            ToolForm(
                data={f"tool-{name}": _nth(values, position) for name, values in lists.items()},
                position=position,
            )
            for position in range(count)
        ]
        return [row for row in rows if not row.is_blank]

    # Checking

    def _error(self, path: str, message: str) -> None:
        """An error of a column, a tool or the setup as a whole: listed above the form,
        and kept by its place in the setup for import files."""
        self.add_error(None, message)
        self.path_errors.setdefault(path, []).append(message)

    def clean(self):
        cleaned = super().clean()
        models = self._models()
        cleaned["models"] = models
        if not models:
            self._error("columns", "Add at least one column.")
        elif len(models) > MAX_COLUMNS:
            self._error("columns", f"At most {MAX_COLUMNS} columns can run at once.")
        else:
            for number, model in enumerate(models, start=1):
                if not model:
                    self._error(
                        f"columns[{number - 1}].model", f"Column {number} has no model: pick one."
                    )
                elif len(model) > MAX_MODEL_ID_CHARS:
                    self._error(
                        f"columns[{number - 1}].model",
                        f"Column {number}: the model id is too long.",
                    )
        columns = self._clean_columns()
        tools = self._clean_tools()
        images = self._clean_images(cleaned)
        if self.errors or columns is None or tools is None:
            return cleaned
        names = [tool["name"] for tool in tools]
        choice = cleaned.get("tool_choice", "")
        if choice and not tools:
            self.add_error("tool_choice", "There is no tool to choose: add one, or clear this.")
        elif choice and choice not in TOOL_CHOICES and choice not in names:
            self.add_error(
                "tool_choice",
                f"Choose auto, none, required or the name of a tool ({', '.join(names)}).",
            )
        if len(set(names)) < len(names):
            self._error("tools", "Two tools have the same name: tool names must differ.")
        structured = self._clean_structured_output(cleaned)
        if self.errors:
            return cleaned
        search = cleaned.get("web_search_max_results") or setups.DEFAULT_WEB_SEARCH_RESULTS
        budget = cleaned.get("budget")
        setup = {
            "version": setups.VERSION,
            "prompt": cleaned["prompt"],
            "instructions": cleaned["instructions"],
            "parameters": self.parameter_values(),
            "same_settings": bool(cleaned.get("same_settings")),
            "columns": columns,
            "tools": tools,
            "tool_choice": choice or None,
            "web_search": {"max_results": search} if cleaned.get("web_search") else None,
            "structured_output": structured,
            "images": images,
            "budget": None if budget is None else plain_decimal(budget),
        }
        self._check_columns_against_run(setup)
        if not self.errors:
            cleaned["setup"] = setup
        return cleaned

    def _clean_columns(self) -> list[dict[str, Any]] | None:
        columns = []
        for form in self.columns[:MAX_COLUMNS]:
            if not form.loaded or form.is_valid():
                columns.append(form.column_setup())
                continue
            for field, messages in form.errors.items():
                path = f"columns[{form.position}]"
                if field != "__all__":
                    path += f".{COLUMN_PATHS[field]}"
                for message in messages:
                    self._error(path, _column_message(form, field, message))
        return columns if len(columns) == len(self.columns[:MAX_COLUMNS]) else None

    def _clean_tools(self) -> list[dict[str, Any]] | None:
        if len(self.tools) > MAX_TOOLS:
            self._error("tools", f"At most {MAX_TOOLS} tools.")
            return None
        tools = []
        for form in self.tools:
            if not form.is_valid():
                for field, messages in form.errors.items():
                    path = f"tools[{form.position}].{field}"
                    for message in messages:
                        self._error(path, f"{form.label}, {field}: {message}")
                continue
            tools.append(form.tool_setup())
        return tools if len(tools) == len(self.tools) else None

    def _clean_structured_output(self, cleaned: dict[str, Any]) -> dict[str, Any] | None:
        text = cleaned.get("schema", "")
        if not text.strip():
            return None
        try:
            schema = object_schema(text)
        except forms.ValidationError as error:
            self.add_error("schema", error)
            return None
        name = cleaned.get("schema_name", "").strip()
        if not NAME_PATTERN.fullmatch(name):
            self.add_error(
                "schema_name",
                "Name the schema: 1 to 64 letters, digits, underscores or hyphens.",
            )
            return None
        return {"name": name, "schema": schema, "strict": bool(cleaned.get("schema_strict"))}

    def _clean_images(self, cleaned: dict[str, Any]) -> list[str]:
        images = []
        typed = [line.strip() for line in cleaned.get("image_urls", "").splitlines()]
        for line in filter(None, typed):
            try:
                images.append(image_from_text(line))
            except forms.ValidationError as error:
                self.add_error("image_urls", error)
        images += self._kept_image_urls()
        for upload in cleaned.get("image_files") or []:
            name = f"“{upload.name}”"
            # The size is known before the file is read: an oversized one never is.
            if upload.size > MAX_IMAGE_BYTES:
                self.add_error("image_files", _too_large(upload.size, name))
                continue
            data = upload.read()
            if problem := _image_problem(data, name):
                self.add_error("image_files", problem)
            else:
                images.append(image_data_url(data))
        if len(images) > setups.MAX_IMAGES:
            self.add_error(
                "image_files" if cleaned.get("image_files") else "image_urls",
                f"{len(images)} images: a run can send at most {setups.MAX_IMAGES}.",
            )
        return images

    def _check_columns_against_run(self, setup: dict[str, Any]) -> None:
        """What only the whole setup shows: a run's max output tokens beyond a column
        model's context, and a request the API layer would refuse."""
        for position, column in enumerate(setup["columns"]):
            info = self.models_by_id.get(column["model"])
            label = column_label(position, column["model"])
            max_output = setups.column_parameters(setup, position)["max_output_tokens"]
            context = info.context_length if info else None
            if max_output is not None and context is not None and max_output > context:
                self.add_error("max_output_tokens", context_message(label, max_output, context))
                continue
            try:
                setups.setup_request_params(setup, position)
            except ValueError as error:
                self._error(f"columns[{position}]", f"{label}: {error}")

    # Images kept from the setup the form was opened from

    def _source_setup(self) -> dict[str, Any] | None:
        """The setup named by `image_source` ("run:12" or "version:34"), if the person
        owns it."""
        kind, _, pk = self.image_source.partition(":")
        if self.owner is None or not pk.isdigit() or len(pk) > 18:
            return None
        if kind == "run":
            run = Run.objects.filter(pk=pk, owner=self.owner).first()
            return setups.setup_from_run(run) if run else None
        if kind == "version":
            version = PresetVersion.objects.filter(pk=pk, preset__owner=self.owner).first()
            return setups.setup_normalize(version.setup) if version else None
        return None

    def _kept_images(self, setup: dict[str, Any] | None) -> list[KeptImage]:
        """The uploaded images of the setup the form was opened from (a preset version or
        a run, named by `image_source`): those still ticked are sent again."""
        self.image_source_setup = None
        if not self.image_source:
            return []
        source = setup if not self.is_bound else self._source_setup()
        self.image_source_setup = source
        if source is None:
            return []
        chosen = set(self.data.getlist("keep_image")) if self.is_bound else None
        return [
            KeptImage(index, image_label(url), chosen is None or str(index) in chosen)
            for index, url in enumerate(source["images"])
            if url.startswith("data:")
        ]

    def _kept_image_urls(self) -> list[str]:
        if self.image_source_setup is None:
            if self.is_bound and self.data.getlist("keep_image"):
                self.add_error(
                    "image_files",
                    "The uploaded images of the setup this form was opened from are gone: "
                    "choose the files again.",
                )
            return []
        images = self.image_source_setup["images"]
        return [images[image.index] for image in self.kept_images if image.kept]

    # Reading the errors back

    def errors_by_path(self) -> dict[str, list[str]]:
        """Every error keyed by where it sits in a setup ("parameters.temperature",
        "columns[1].routing.sort", "tools[0].parameters"…)."""
        errors: dict[str, list[str]] = {
            path: list(messages) for path, messages in self.path_errors.items()
        }
        placed = {message for messages in self.path_errors.values() for message in messages}
        for field, messages in self.errors.items():
            rest = [message for message in messages if message not in placed]
            if not rest:
                continue
            path = "setup" if field == "__all__" else self.FIELD_PATHS.get(field, field)
            errors.setdefault(path, []).extend(rest)
        return errors


def _column_message(form: ColumnForm, field: str, message: str) -> str:
    """A column's error as listed above the form: naming the column and its model, and
    the field unless the message names it."""
    if message.startswith(form.label):
        return message
    if field == "__all__":
        return f"{form.label}: {message}"
    return f"{form.label}, {form.fields[field].label.lower()}: {message}"


def _has_settings(column: dict[str, Any]) -> bool:
    return bool(column["parameters"] or column["routing"] or column["fallback_models"])


def _nth(values: list[str], position: int) -> str:
    return values[position] if position < len(values) else ""


def _rows(values: dict[str, list[str]]) -> list[dict[str, str]]:
    """{"a": [1, 2], "b": [3, 4]} → [{"a": 1, "b": 3}, {"a": 2, "b": 4}]"""
    count = max((len(items) for items in values.values()), default=0)
    return [{name: items[i] for name, items in values.items()} for i in range(count)]


class RunForm(SetupForm):
    """The compare page's form. To run, it needs a prompt, models the catalog offers, and
    a worst case within its budget; which key to use is one of the person's own.

    `purpose`: "run" (the Run button), "preset" (saving: the prompt may be empty and
    models unknown to the catalog), or "estimate" (checked as the person edits: what
    would refuse the run is said, not refused).
    """

    key = forms.ModelChoiceField(
        queryset=ApiKey.objects.none(),
        required=False,
        empty_label=None,
        label="Key",
        widget=forms.Select(attrs={"data-testid": "key-choice"}),
        error_messages={"invalid_choice": "That key does not exist any more: pick another."},
    )

    def __init__(
        self,
        *args,
        catalog: list[ModelInfo] | None,
        catalog_error: str = "",
        owner=None,
        purpose: str = "run",
        **kwargs,
    ):
        super().__init__(*args, catalog=catalog, owner=owner, **kwargs)
        self.purpose = purpose
        if purpose == "run":
            self.fields["prompt"].required = True
            self.fields["prompt"].error_messages["required"] = (
                "Write a prompt to send to the models."
            )
        # The person's own keys; without any, runs use the server's key or the demo. An
        # estimate does not depend on the key, so it does not look them up.
        keys = ApiKey.objects.filter(owner=owner) if owner else ApiKey.objects.none()
        if purpose != "estimate" and keys.exists():
            self.fields["key"].queryset = keys  # shown as ApiKey.__str__: "label …abcd"
            self.fields["key"].initial = keys.filter(is_default=True).first()
        else:
            del self.fields["key"]
        self.catalog_error = catalog_error

    @property
    def saving_preset(self) -> bool:
        return self.purpose == "preset"

    def clean(self):
        cleaned = super().clean()
        if self.non_field_errors() or self.saving_preset:
            return cleaned
        if self.catalog_error:
            self.add_error(None, self.catalog_error)
            return cleaned
        for number, model in enumerate(cleaned["models"], start=1):
            if model not in self.models_by_id:
                self.add_error(None, f"Column {number}: unknown model “{model}”.")
        setup = cleaned.get("setup")
        if setup is None or self.errors:
            return cleaned
        for position, column in enumerate(setup["columns"]):
            for model in column["fallback_models"]:
                if model not in self.models_by_id:
                    self.add_error(
                        None,
                        f"{column_label(position, column['model'])}: unknown fallback model "
                        f"“{model}”.",
                    )
        if self.errors:
            return cleaned
        self._note_what_models_lack(setup)
        self.estimate = run_estimate(setup, self.catalog)
        if setup["web_search"]:
            self.notes.append(
                "Web search is on: OpenRouter charges for it per search or per result, on "
                "top of this estimate."
            )
        if self.purpose == "run" and (problem := self.estimate.budget_problem()):
            self.add_error("budget", problem)
        return cleaned

    def _note_what_models_lack(self, setup: dict[str, Any]) -> None:
        """What a column's model cannot do of what the run asks. Images it cannot read
        refuse the run: an answer without them would not be comparable. Tools and a
        schema are sent (the column shows what OpenRouter answers); run parameters a
        model does not take are sent too, and OpenRouter ignores them."""
        for position, column in enumerate(setup["columns"]):
            info = self.models_by_id[column["model"]]
            label = column_label(position, column["model"])
            if setup["images"] and not info.image_input:
                message = (
                    f"{label} does not read images: remove the images, or pick a model "
                    "with image input."
                )
                if self.purpose == "run":
                    self.add_error(None, message)
                else:
                    self.notes.append(message)
            if setup["tools"] and not info.tools:
                self.notes.append(
                    f"{label} does not support tools: OpenRouter will find no endpoint "
                    "for the request."
                )
            if setup["structured_output"] and not info.structured_output:
                self.notes.append(
                    f"{label} does not support structured output: the schema may be ignored."
                )
            offered = offered_parameters(info)
            effective = setups.column_parameters(setup, position)
            ignored = [
                PARAMETER_LABELS[name].lower()
                for name, value in effective.items()
                if value is not None and name not in offered
            ]
            if ignored:
                self.notes.append(f"{label} takes no {', '.join(ignored)}: it ignores them.")
