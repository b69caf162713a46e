from decimal import Decimal

from playground.openrouter import ModelInfo, parse_models
from playground.openrouter.catalog import models_filter, models_sort


def test_it_parses_models_sorted_by_id_with_exact_prices():
    body = {
        "data": [
            {
                "id": "z-ai/glm",
                "name": "GLM",
                "context_length": 128000,
                "pricing": {"prompt": "0.0000000416666666666667", "completion": "0.000002"},
                "supported_parameters": ["temperature", "include_reasoning", "tools"],
                "description": "A model.",
                "architecture": {
                    "modality": "text->text",
                    "input_modalities": ["text"],
                    "output_modalities": ["text"],
                },
            },
            {
                "id": "anthropic/claude-haiku-4.5",
                "name": "Claude Haiku 4.5",
                "context_length": 200000,
                "pricing": {"prompt": "0.000001", "completion": "0.000005", "web_search": "0.01"},
                "reasoning": {"supported_efforts": ["low", "high"], "default_effort": "low"},
            },
        ],
        "total_count": 2,
    }

    models = parse_models(body)

    assert [model.id for model in models] == ["anthropic/claude-haiku-4.5", "z-ai/glm"]
    assert models[1] == ModelInfo(
        id="z-ai/glm",
        name="GLM",
        context_length=128000,
        prompt_price=Decimal("0.0000000416666666666667"),
        completion_price=Decimal("0.000002"),
        reasoning=True,
        description="A model.",
        input_modalities=("text",),
        output_modalities=("text",),
        supported_parameters=frozenset({"temperature", "include_reasoning", "tools"}),
    )
    assert models[0].reasoning is True


def test_prices_per_million_tokens_are_exact_decimals():
    body = {
        "data": [
            {
                "id": "z-ai/glm",
                "pricing": {"prompt": "0.0000000416666666666667", "completion": "0.0000011"},
            }
        ]
    }

    [model] = parse_models(body)

    assert model.prompt_price_per_million == Decimal("0.0416666666666667")
    assert model.completion_price_per_million == Decimal("1.1")
    assert isinstance(model.prompt_price_per_million, Decimal)
    assert isinstance(model.completion_price_per_million, Decimal)
    # 0.1 + 0.2 style float drift would show here.
    assert str(model.completion_price_per_million.normalize()) == "1.1"


def test_router_prices_of_minus_one_are_unknown():
    body = {"data": [{"id": "openrouter/auto", "pricing": {"prompt": "-1", "completion": "-1"}}]}

    [model] = parse_models(body)

    assert (model.prompt_price, model.completion_price) == (None, None)
    assert (model.prompt_price_per_million, model.completion_price_per_million) == (None, None)
    assert model.free is False


def test_fees_and_the_output_limit_are_read_with_none_listed_as_no_fee():
    body = {
        "data": [
            {
                "id": "v/vision",
                "pricing": {
                    "prompt": "0",
                    "completion": "0",
                    "request": "0.0005",
                    "image": "0.001",
                },
                "top_provider": {"context_length": 8000, "max_completion_tokens": 4096},
            },
            {"id": "v/plain", "pricing": {"prompt": "0", "completion": "0"}, "top_provider": None},
            {
                "id": "v/odd",
                "pricing": {"prompt": "0", "completion": "0", "request": "-1", "image": "x"},
                "top_provider": {"max_completion_tokens": 0},
            },
        ]
    }

    odd, plain, vision = parse_models(body)

    assert (vision.request_price, vision.image_price) == (Decimal("0.0005"), Decimal("0.001"))
    assert vision.max_completion_tokens == 4096
    assert (plain.request_price, plain.image_price, plain.max_completion_tokens) == (0, 0, None)
    assert (odd.request_price, odd.image_price, odd.max_completion_tokens) == (None, None, None)


def test_it_tolerates_sparse_and_broken_entries():
    body = {"data": [{"name": "no id"}, "junk", {"id": "m/plain", "pricing": {"prompt": "free"}}]}

    [model] = parse_models(body)

    assert model == ModelInfo(
        id="m/plain",
        name="m/plain",
        context_length=None,
        prompt_price=None,
        completion_price=None,
        reasoning=False,
        description="",
    )
    assert (model.input_modalities, model.output_modalities) == ((), ())
    assert model.supported_parameters == frozenset()
    assert not (model.tools or model.structured_output or model.image_input or model.free)
    assert parse_models({}) == []


def test_odd_capability_fields_are_read_as_far_as_they_make_sense():
    body = {
        "data": [
            {
                "id": "m/odd",
                "architecture": {"input_modalities": "image", "modality": "text+image->text"},
                "supported_parameters": ["tools", 7, None, {"x": 1}, "response_format"],
                "context_length": "128000",
                "reasoning": "yes",
            },
            {
                "id": "m/odder",
                "architecture": ["text"],
                "supported_parameters": "tools",
                "context_length": True,
                "pricing": ["0", "0"],
            },
            {
                "id": "m/repeats",
                "architecture": {"input_modalities": ["text", "", "image", "text", 3]},
            },
        ]
    }

    odd, odder, repeats = parse_models(body)

    # A modality list of the wrong type falls back to the summary string.
    assert odd.input_modalities == ("text", "image") and odd.image_input
    assert odd.output_modalities == ("text",)
    assert odd.supported_parameters == frozenset({"tools", "response_format"})
    assert odd.tools and odd.structured_output
    assert odd.context_length is None and odd.reasoning is False
    assert odder.input_modalities == () and odder.supported_parameters == frozenset()
    assert odder.context_length is None and odder.prompt_price is None
    assert repeats.input_modalities == ("text", "image")


def test_capabilities_come_from_supported_parameters_modalities_and_prices():
    body = {
        "data": [
            {
                "id": "a/free-vision",
                "pricing": {"prompt": "0", "completion": "0"},
                "architecture": {"input_modalities": ["text", "image", "file"]},
                "supported_parameters": ["structured_outputs", "tools", "tool_choice"],
            },
            {
                "id": "b/json-only",
                "pricing": {"prompt": "0", "completion": "0.000001"},
                "supported_parameters": ["response_format"],
            },
        ]
    }

    vision, json_only = parse_models(body)

    assert vision.free and vision.tools and vision.structured_output and vision.image_input
    assert vision.input_modalities == ("text", "image", "file")
    assert vision.prompt_price_per_million == 0
    assert json_only.structured_output and not json_only.tools
    assert not json_only.free  # the output is paid for
    assert not json_only.image_input


def model(model_id: str, **fields) -> ModelInfo:
    defaults = {
        "name": model_id,
        "context_length": None,
        "prompt_price": None,
        "completion_price": None,
        "reasoning": False,
        "description": "",
    }
    return ModelInfo(id=model_id, **(defaults | fields))


CHEAP = model(
    "lab/cheap",
    name="Cheap Chat",
    context_length=32000,
    prompt_price=Decimal("0.0000001"),
    completion_price=Decimal("0.0000004"),
    supported_parameters=frozenset({"tools"}),
)
FREE = model(
    "lab/cheap:free",
    name="Cheap Chat (free)",
    context_length=8000,
    prompt_price=Decimal(0),
    completion_price=Decimal(0),
)
THINKER = model(
    "other/thinker",
    name="Deep Thinker",
    context_length=200000,
    prompt_price=Decimal("0.000003"),
    completion_price=Decimal("0.000015"),
    reasoning=True,
    supported_parameters=frozenset({"tools", "reasoning"}),
    input_modalities=("text", "image"),
)
SAME_INPUT = model(
    "other/same-input",
    name="Alpha",
    context_length=200000,
    prompt_price=Decimal("0.0000001"),
    completion_price=Decimal("0.0000002"),
)
UNKNOWN = model("openrouter/auto", name="Auto Router")
MODELS = [CHEAP, FREE, THINKER, SAME_INPUT, UNKNOWN]


def ids(models: list[ModelInfo]) -> list[str]:
    return [m.id for m in models]


def test_search_matches_every_word_in_the_name_or_id_in_any_case():
    assert ids(models_filter(MODELS, search="thinker")) == ["other/thinker"]
    assert ids(models_filter(MODELS, search="DEEP")) == ["other/thinker"]
    assert ids(models_filter(MODELS, search="other/")) == ["other/thinker", "other/same-input"]
    assert ids(models_filter(MODELS, search="cheap free")) == ["lab/cheap:free"]
    assert ids(models_filter(MODELS, search="  ")) == ids(MODELS)
    assert models_filter(MODELS, search="nothing like it") == []


def test_filters_keep_only_models_with_every_capability_asked_for():
    assert ids(models_filter(MODELS, free=True)) == ["lab/cheap:free"]
    assert ids(models_filter(MODELS, reasoning=True)) == ["other/thinker"]
    assert ids(models_filter(MODELS, tools=True)) == ["lab/cheap", "other/thinker"]
    assert ids(models_filter(MODELS, image_input=True)) == ["other/thinker"]
    assert models_filter(MODELS, free=True, tools=True) == []
    assert ids(models_filter(MODELS, search="lab", tools=True)) == ["lab/cheap"]


def test_sort_by_price_is_input_then_output_cheapest_first_unknown_last():
    assert ids(models_sort(MODELS, by="price")) == [
        "lab/cheap:free",
        "other/same-input",  # same input price as lab/cheap, cheaper output
        "lab/cheap",
        "other/thinker",
        "openrouter/auto",
    ]


def test_sort_by_context_is_longest_first_then_by_name_unknown_last():
    assert ids(models_sort(MODELS, by="context")) == [
        "other/same-input",  # "Alpha" before "Deep Thinker" at 200000
        "other/thinker",
        "lab/cheap",
        "lab/cheap:free",
        "openrouter/auto",
    ]


def test_sort_by_name_ignores_case_and_is_the_default_for_anything_else():
    by_name = [
        "other/same-input",
        "openrouter/auto",
        "lab/cheap",
        "lab/cheap:free",
        "other/thinker",
    ]
    assert ids(models_sort(MODELS, by="name")) == by_name
    assert ids(models_sort(MODELS, by="bogus")) == by_name
