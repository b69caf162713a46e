from decimal import Decimal

from playground.openrouter import ModelInfo, parse_models


def test_it_parses_models_sorted_by_id_with_exact_prices():
    body = {
        "data": [
            {
                "id": "z-ai/glm",
                "name": "GLM",
                "context_length": 128000,
                "pricing": {"prompt": "0.0000000416666666666667", "completion": "0.000002"},
                "supported_parameters": ["temperature", "include_reasoning"],
                "description": "A model.",
                "architecture": {"modality": "text->text"},
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
    )
    assert models[0].reasoning is True


def test_router_prices_of_minus_one_are_unknown():
    body = {"data": [{"id": "openrouter/auto", "pricing": {"prompt": "-1", "completion": "-1"}}]}

    [model] = parse_models(body)

    assert (model.prompt_price, model.completion_price) == (None, None)


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
    assert parse_models({}) == []
