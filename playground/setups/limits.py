"""Every limit of a setup (playground/setups/format.py), in one place: the compare form,
preset files, imports and the plain-data validation (playground/setups/validation.py)
all read them from here, so a file and the page refuse the same setups.
"""

# A page of more columns than this is unreadable side by side, and each column is one
# request to OpenRouter paid for at once.
MAX_COLUMNS = 8
# A long document plus a question fits; a runaway paste of megabytes does not.
MAX_PROMPT_CHARS = 100_000
# Instructions are a system prompt: a fifth of the prompt's room is plenty.
MAX_INSTRUCTIONS_CHARS = 20_000
# OpenRouter's model ids ("vendor/model:variant") are far shorter; this only stops junk.
MAX_MODEL_ID_CHARS = 200
# Above the largest output any catalog model offers today, so it never hides one.
MAX_OUTPUT_TOKENS = 200_000
# Models lose track of tools well before this; it keeps a request's tool list bounded.
MAX_TOOLS = 16
# A tool's description is read by the model on every request: a paragraph, not a manual.
MAX_TOOL_DESCRIPTION_CHARS = 2_000
# A JSON schema of a tool's arguments or of the answer, as the person writes it.
MAX_SCHEMA_CHARS = 50_000
# OpenRouter has a few dozen providers; a list longer than this is a mistake.
MAX_PROVIDERS = 20
# Provider slugs ("deepinfra", "together") are short words.
MAX_PROVIDER_SLUG_CHARS = 100
# The text of a provider list as typed (slugs separated by commas).
MAX_PROVIDER_LIST_CHARS = 2_000
# OpenRouter's `models` takes the model and up to three fallbacks.
MAX_FALLBACK_MODELS = 3
# The fallback models as typed: ids separated by ", ".
MAX_FALLBACK_MODELS_CHARS = (MAX_MODEL_ID_CHARS + 2) * MAX_FALLBACK_MODELS
# A tool's or a schema's name, as OpenRouter's NAME_PATTERN takes it (1 to 64 characters).
MAX_NAME_CHARS = 64
# Models providers accept images up to about this size; larger ones are refused upstream.
MAX_IMAGE_BYTES = 5 * 1024 * 1024
# The usual limit of a URL that browsers and servers pass along.
MAX_IMAGE_URL_CHARS = 2_048
# Every column is sent every image: four keeps a run's cost and upload size in reason.
MAX_IMAGES = 4
# ProviderPreferences sends prices as JSON numbers, exact up to 15 digits.
PRICE_MAX_DIGITS = 15
PRICE_DECIMAL_PLACES = 10
# A budget in USD down to a millionth of a cent, as the estimates count it.
BUDGET_MAX_DIGITS = 20
BUDGET_DECIMAL_PLACES = 12
# The compare form's `image_source` ("run:12", "version:34"): far longer is not one.
MAX_IMAGE_SOURCE_CHARS = 100
# A primary key in a form value: more digits than any 64-bit id has are not looked up.
MAX_ID_DIGITS = 18
