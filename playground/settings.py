"""Settings, all from the environment (12-factor).

Values come from the process environment first, then `.env` (the operator's), then
`local.env` (written by `make run` with a generated SECRET_KEY and
PLAYGROUND_ENCRYPTION_KEYS; never committed).
Every setting is listed in the README.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from playground.core.crypto import parse_encryption_keys
from playground.core.middleware_setting import MiddlewareList

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
for name in (".env", "local.env"):
    if (BASE_DIR / name).is_file():
        # read_env never overrides a variable that is already set.
        environ.Env.read_env(BASE_DIR / name)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. Run `make run` once (it writes local.env with a new key) "
        "or set SECRET_KEY in the environment."
    )

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "playground",
]

# Every middleware here is async-capable, and Django's own, as subclassed in
# playground/core/middleware.py, run on the event loop, so the stream view runs without a
# thread hop. Static files are served before Django (see asgi.py), not by WhiteNoise's
# middleware, which is sync-only. Django's deployment checks find its middleware in this
# list by the name of the class each subclasses (playground/core/middleware_setting.py).
MIDDLEWARE = MiddlewareList(
    [
        # Outermost, so every answer carries the policy, including the ones other
        # middleware makes themselves (a refused Host header, an HTTPS redirect).
        "playground.core.middleware.ContentSecurityPolicyMiddleware",
        "playground.core.middleware.SecurityMiddleware",
        "playground.core.middleware.SessionMiddleware",
        "playground.core.middleware.CommonMiddleware",
        "playground.core.middleware.CsrfViewMiddleware",
        "playground.core.middleware.AuthenticationMiddleware",
        "playground.core.middleware.MessageMiddleware",
        "playground.core.middleware.XFrameOptionsMiddleware",
        "django_htmx.middleware.HtmxMiddleware",
    ]
)

ROOT_URLCONF = "playground.urls"
ASGI_APPLICATION = "playground.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "playground.upstream.context_processors.connection",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Under ASGI every request may run in another thread: persistent connections would leak.
DATABASES["default"]["CONN_MAX_AGE"] = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # WAL lets the stream's final write and page reads go on at once; IMMEDIATE
            # takes the write lock at BEGIN so two writers queue instead of deadlocking.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# Live runs between processes (playground/runs/redis_relay.py): with it, any process or
# host serves any viewer and takes any Stop. Without it, one process serves everything.
REDIS_URL = env.str("REDIS_URL", default="")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Security. The HTTPS-only switches depend on the proxy in front, so they are off by
# default and documented in the README; `manage.py check --deploy` names only them.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Model output is untrusted: scripts and styles only from this origin, no remote images.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"httpx": {"level": "WARNING"}},
}

# OpenRouter. With no key the app runs in demo mode against the built-in fake.
OPENROUTER_API_KEY = env.str("OPENROUTER_API_KEY", default="")
OPENROUTER_BASE_URL = env.str("OPENROUTER_BASE_URL", default="https://openrouter.ai/api/v1")
# Sent as HTTP-Referer and X-OpenRouter-Title (OpenRouter's app attribution).
OPENROUTER_APP_URL = env.str("OPENROUTER_APP_URL", default="http://127.0.0.1:8000")
OPENROUTER_APP_TITLE = env.str("OPENROUTER_APP_TITLE", default="Model Playground")
# How long the model catalog from /models is cached, in seconds.
PLAYGROUND_CATALOG_TTL = env.int("PLAYGROUND_CATALOG_TTL", default=600)
# Speed of the simulated demo models: 1 is their natural pace, 0 streams at once.
PLAYGROUND_DEMO_TIME_SCALE = env.float("PLAYGROUND_DEMO_TIME_SCALE", default=1.0)
# Seconds a stream may go without a single byte (keep-alive comments count) before its
# column ends with a timeout.
OPENROUTER_READ_TIMEOUT = env.float("OPENROUTER_READ_TIMEOUT", default=60.0)
# The longest one column may stream, keep-alive comments or not.
PLAYGROUND_COLUMN_MAX_SECONDS = env.float("PLAYGROUND_COLUMN_MAX_SECONDS", default=600.0)
# A run goes on while someone watches it and this many seconds after the last viewer left
# (a reload, a dropped connection come back within it); then it is stopped. 0 stops at once.
PLAYGROUND_ORPHAN_GRACE_SECONDS = env.float("PLAYGROUND_ORPHAN_GRACE_SECONDS", default=60.0)

# Accounts. Sign-up: "closed" (the admin adds people), "open", or "invite" (one-time
# links the admin makes in Django admin, valid PLAYGROUND_INVITE_DAYS days).
PLAYGROUND_SIGNUP = env.str("PLAYGROUND_SIGNUP", default="closed")
if PLAYGROUND_SIGNUP not in ("closed", "open", "invite"):
    raise ImproperlyConfigured("PLAYGROUND_SIGNUP must be closed, open or invite.")
PLAYGROUND_INVITE_DAYS = env.int("PLAYGROUND_INVITE_DAYS", default=7)
# Login rate limiting: this many failed logins for one username (or from one address)
# within the lock period lock it for PLAYGROUND_LOGIN_LOCK_SECONDS; the lock ends by itself.
PLAYGROUND_LOGIN_MAX_FAILURES = env.int("PLAYGROUND_LOGIN_MAX_FAILURES", default=5)
PLAYGROUND_LOGIN_MAX_FAILURES_PER_IP = env.int("PLAYGROUND_LOGIN_MAX_FAILURES_PER_IP", default=20)
PLAYGROUND_LOGIN_LOCK_SECONDS = env.int("PLAYGROUND_LOGIN_LOCK_SECONDS", default=900)
# Runs one person may start per minute, and may have unfinished at once (0: no limit).
PLAYGROUND_RUNS_PER_MINUTE = env.int("PLAYGROUND_RUNS_PER_MINUTE", default=20)
PLAYGROUND_MAX_CONCURRENT_RUNS = env.int("PLAYGROUND_MAX_CONCURRENT_RUNS", default=4)
# Generations one evaluation runs at once; never more than PLAYGROUND_MAX_CONCURRENT_RUNS,
# since each is a run of its person's.
PLAYGROUND_EVALUATION_CONCURRENCY = env.int("PLAYGROUND_EVALUATION_CONCURRENCY", default=4)
# Whether runs of people without a key of their own may use OPENROUTER_API_KEY.
PLAYGROUND_ALLOW_SERVER_KEY = env.bool("PLAYGROUND_ALLOW_SERVER_KEY", default=True)
# The columns a blank compare page opens with when runs go to OpenRouter (the demo opens
# with its own models): model ids separated by commas. Empty: openai/gpt-oss-20b and one
# other popular model the catalog offers (playground/views/compare.py).
PLAYGROUND_DEFAULT_MODELS = env.list("PLAYGROUND_DEFAULT_MODELS", default=[])
# Whether shared links open only for logged-in people.
PLAYGROUND_SHARED_REQUIRE_LOGIN = env.bool("PLAYGROUND_SHARED_REQUIRE_LOGIN", default=False)
# Encryption of people's own API keys at rest: `<id>:<Fernet key>` entries, newest first
# (see playground/core/crypto.py and `manage.py rotate_keys`). Parsed to (id, key) pairs.
PLAYGROUND_ENCRYPTION_KEYS = parse_encryption_keys(
    env.str("PLAYGROUND_ENCRYPTION_KEYS", default="")
)
