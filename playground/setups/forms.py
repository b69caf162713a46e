"""The compare form: a setup (playground/setups/format.py) as a person edits it.

The run's own fields are ordinary form fields. Each column's fields (`col-…`) and each
tool's (`tool-…`) arrive as repeated fields, one value per column or tool in order, so
columns added and removed in the page need no numbering: every column renders every
field (those its model does not take as empty hidden inputs).

The forms render the fields and read them; they do not check them. Their texts go to
rules.setup_check (the plain-data rules setup_validate uses too), whose problems land on
the fields they concern, and a run's catalog and budget rules to run_rules. One concern
(the compare form's fields and how they show), hence its length: most of it is field
declarations.
"""

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django import forms

from playground.models import ApiKey, PresetVersion, Run
from playground.openrouter import (
    DATA_COLLECTION,
    PROVIDER_SORTS,
    WEB_SEARCH_MAX_RESULTS,
    ModelInfo,
)
from playground.setups import format as setups
from playground.setups.estimates import RunEstimate
from playground.setups.format import image_label
from playground.setups.limits import (
    BUDGET_DECIMAL_PLACES,
    BUDGET_MAX_DIGITS,
    MAX_COLUMNS,
    MAX_FALLBACK_MODELS_CHARS,
    MAX_ID_DIGITS,
    MAX_IMAGE_SOURCE_CHARS,
    MAX_INSTRUCTIONS_CHARS,
    MAX_NAME_CHARS,
    MAX_PROMPT_CHARS,
    MAX_PROVIDER_LIST_CHARS,
    MAX_SCHEMA_CHARS,
    MAX_TOOL_DESCRIPTION_CHARS,
    PRICE_DECIMAL_PLACES,
    PRICE_MAX_DIGITS,
)
from playground.setups.rules import (
    PARAMETER_RULES,
    Problem,
    check_column,
    column_label,
    setup_check,
    tool_label,
)
from playground.setups.run_rules import CatalogRules, offered_parameters, run_rules_check
from playground.setups.texts import (
    COLUMN_FIELDS,
    FIELD_PATHS,
    ROUTING_FIELDS,
    column_rows,
    setup_texts,
    tool_rows,
    variable_inputs,
)
from playground.setups.widgets import QUICK_RENDERER, hidden_inputs, labelled_fields

PARAMETER_LABELS = setups.PARAMETER_LABELS


def _choices(values: tuple[str, ...], default: str) -> list[tuple[str, str]]:
    return [("", default), *((value, value) for value in values)]


def _number(step: str) -> forms.NumberInput:
    return forms.NumberInput(attrs={"step": step})


def _parameter_field(name: str, step: str = "") -> forms.Field:
    """A parameter's field, with the bounds rules.py checks (shown as min and max)."""
    kind, low, high = PARAMETER_RULES[name]
    if kind == "choice":
        return forms.ChoiceField(required=False, choices=_choices(low, "model default"))
    field = forms.FloatField if kind == "number" else forms.IntegerField
    widget = {"widget": _number(step)} if step else {}
    label = setups.PARAMETER_LABELS[name]
    return field(required=False, min_value=low, max_value=high, label=label, **widget)


class CheckedByRules:
    """A form whose fields' texts rules.py reads and checks (setup_check), as plain data:
    its fields only render them. Those in `django_fields` (not text: a key, files) are
    cleaned by Django."""

    django_fields: frozenset[str] = frozenset()

    def full_clean(self):
        # A field's `clean` is the step that turns what was typed into a value; here that
        # is rules.py's work, so every other field hands the text on as it came.
        for name, field in self.fields.items():
            if name not in self.django_fields:
                field.clean = _as_typed
        super().full_clean()


def _as_typed(value: Any) -> Any:
    return value


class ParameterFields(CheckedByRules, forms.Form):
    """The parameters a run sets for every column and a column may set for itself."""

    default_renderer = QUICK_RENDERER

    temperature = _parameter_field("temperature", "0.1")
    top_p = _parameter_field("top_p", "0.05")
    top_k = _parameter_field("top_k")
    max_output_tokens = _parameter_field("max_output_tokens")
    frequency_penalty = _parameter_field("frequency_penalty", "0.1")
    presence_penalty = _parameter_field("presence_penalty", "0.1")
    reasoning_effort = _parameter_field("reasoning_effort")
    reasoning_max_tokens = _parameter_field("reasoning_max_tokens")
    reasoning_summary = _parameter_field("reasoning_summary")
    verbosity = _parameter_field("verbosity")

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


def _list_widget(placeholder: str, testid: str) -> forms.TextInput:
    return forms.TextInput(
        attrs={"placeholder": placeholder, "data-testid": testid, "spellcheck": "false"}
    )


def _price_field(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=PRICE_MAX_DIGITS,
        decimal_places=PRICE_DECIMAL_PLACES,
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


class ColumnForm(ParameterFields):
    """One column's own settings: parameters over the run's (blank: the run's), routing
    and fallback models. Only the parameters its model takes are offered. Its errors
    are put on its fields by the SetupForm it belongs to (from rules.check_column)."""

    provider_order = forms.CharField(
        required=False,
        max_length=MAX_PROVIDER_LIST_CHARS,
        label="Provider order",
        widget=_list_widget("e.g. deepinfra, together", "col-provider_order"),
    )
    provider_only = forms.CharField(
        required=False,
        max_length=MAX_PROVIDER_LIST_CHARS,
        label="Only providers",
        widget=_list_widget("any", "col-provider_only"),
    )
    provider_ignore = forms.CharField(
        required=False,
        max_length=MAX_PROVIDER_LIST_CHARS,
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
        max_length=MAX_FALLBACK_MODELS_CHARS,
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
        return labelled_fields(self.offered_fields)

    @property
    def withheld_html(self) -> str:
        return hidden_inputs([field.html_name for field in self.withheld_fields])

    @property
    def routing_html(self) -> str:
        return labelled_fields(self.routing_fields)

    loaded = True  # its fields are in the page (see ColumnSlot)

    @property
    def is_open(self) -> bool:
        """Shown unfolded: asked for, or something is set or wrong."""
        if self.unfold or self.errors:
            return True
        return any(
            str(self[name].value() or "").strip() for name in (*setups.PARAMETERS, *ROUTING_FIELDS)
        )


class ToolForm(CheckedByRules, forms.Form):
    """A function tool: its name, what it does, and the JSON schema of its arguments."""

    default_renderer = QUICK_RENDERER

    name = forms.CharField(
        required=False,
        max_length=MAX_NAME_CHARS,
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
    def label(self) -> str:
        return tool_label(self.position, self["name"].value())


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
    """A compare setup (playground/setups/format.py) as the compare form edits it. A preset may
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
        max_length=MAX_NAME_CHARS,
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
        max_length=MAX_NAME_CHARS,
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
        max_digits=BUDGET_MAX_DIGITS,
        decimal_places=BUDGET_DECIMAL_PLACES,
        label="Budget (USD)",
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "placeholder": "no limit", "data-testid": "budget"}
        ),
    )

    django_fields = frozenset({"image_files", "key"})

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
            self.image_source = str(self.data.get("image_source", ""))[:MAX_IMAGE_SOURCE_CHARS]
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

    def _bound_columns(self) -> list[ColumnForm | ColumnSlot]:
        """One per `models` value (see rules.column_rows): a form when its settings were
        in the page, a slot otherwise."""
        same_settings = self.fields["same_settings"].widget.value_from_datadict(
            self.data, self.files, self.add_prefix("same_settings")
        )
        columns: list[ColumnForm | ColumnSlot] = []
        for position, (model, texts) in enumerate(column_rows(self.data)):
            if texts is None:
                columns.append(ColumnSlot(model, position))
                continue
            data = {f"col-{name}": text for name, text in texts.items()}
            columns.append(
                self.column_form(model, position, data=data, same_settings=same_settings)
            )
        return columns

    def _bound_tools(self) -> list[ToolForm]:
        return [
            ToolForm(data={f"tool-{name}": text for name, text in texts.items()}, position=position)
            for position, texts in tool_rows(self.data)
        ]

    @cached_property
    def variable_inputs(self) -> list[tuple[str, str]]:
        """The prompt's variables and their values, for their inputs."""
        return variable_inputs(self.data if self.is_bound else self.initial)

    # Checking: the rules are rules.py's, on the fields' texts

    def _error(self, path: str, message: str) -> None:
        """An error of a column, a tool or the setup as a whole: listed above the form,
        and kept by its place in the setup for import files."""
        self.add_error(None, message)
        self.path_errors.setdefault(path, []).append(message)

    def clean(self):
        cleaned = super().clean()
        texts = setup_texts(self.data)
        cleaned["models"] = texts.models
        kept = self._kept_image_urls()
        checked = setup_check(
            texts,
            catalog=CatalogRules(self.models_by_id),
            require_prompt=self.fields["prompt"].required,
            uploads=cleaned.get("image_files") or [],
            kept_images=kept,
            blocked=bool(self.errors),
        )
        self._add_problems(checked.problems)
        for column in self.columns[MAX_COLUMNS:]:
            # Beyond those a run may have: not checked with the setup, but their fields
            # still say what is wrong with them when the page shows them again.
            if column.loaded:
                _, found = check_column(
                    column.position,
                    column.model,
                    {name: column.data[column.add_prefix(name)] for name in COLUMN_FIELDS},
                    same_settings=texts.same_settings,
                    catalog=CatalogRules(self.models_by_id),
                )
                for problem in found:
                    column.add_error(problem.field, problem.message)
        if checked.setup is not None and not self.errors:
            cleaned["setup"] = checked.setup
        return cleaned

    def _add_problems(self, problems: list[Problem]) -> None:
        """Each problem on the field it concerns: a column's or a tool's on that form's
        field and listed above the form, the run's on its field, the rest above."""
        tools = {tool.position: tool for tool in self.tools}
        for problem in problems:
            if problem.column is not None or problem.tool is not None:
                form = self.columns[problem.column] if problem.tool is None else None
                form = form or tools[problem.tool]
                form.add_error(problem.field, problem.message)
                self._error(problem.path, problem.listed)
            elif problem.field:
                self.add_error(problem.field, problem.message)
            else:
                self._error(problem.path, problem.message)

    # Images kept from the setup the form was opened from

    def _source_setup(self) -> dict[str, Any] | None:
        """The setup named by `image_source` ("run:12" or "version:34"), if the person
        owns it."""
        kind, _, pk = self.image_source.partition(":")
        if self.owner is None or not pk.isdigit() or len(pk) > MAX_ID_DIGITS:
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
            path = "setup" if field == "__all__" else FIELD_PATHS.get(field, field)
            errors.setdefault(path, []).extend(rest)
        return errors


def _has_settings(column: dict[str, Any]) -> bool:
    return bool(column["parameters"] or column["routing"] or column["fallback_models"])


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
    # Not part of the setup (a preset or a share does not carry it): how this run behaves
    # when nobody watches it (playground/runs/live.py).
    keep_running = forms.BooleanField(
        required=False,
        label="Keep running if I leave",
        widget=forms.CheckboxInput(attrs={"data-testid": "keep-running"}),
    )
    # Not part of the setup either: the columns shuffled and named Model A, B, … until
    # the person votes (playground/judging/).
    blind = forms.BooleanField(
        required=False,
        label="Blind",
        help_text="Shuffle the columns and hide which model is which until you vote",
        widget=forms.CheckboxInput(attrs={"data-testid": "blind"}),
    )
    django_fields = frozenset({"image_files", "key", "keep_running", "blind"})

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
            # Checked by rules.py (NEED_PROMPT); here for the page's `required`.
            self.fields["prompt"].required = True
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
        found = run_rules_check(
            models=cleaned["models"],
            setup=cleaned.get("setup"),
            catalog=self.catalog,
            catalog_error=self.catalog_error,
            purpose=self.purpose,
            blocked=bool(self.errors),
        )
        for problem in found.problems:
            self.add_error(problem.field or None, problem.message)
        if cleaned.get("blind") and len(cleaned["models"]) < 2:
            self.add_error("blind", "A blind run needs at least two columns to compare.")
        self.notes += found.notes
        self.estimate = found.estimate
        return cleaned
