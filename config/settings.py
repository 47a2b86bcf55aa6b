"""Settings, read from the environment (see the README's configuration table)."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_list(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# Off unless asked for: `make run` and the test settings turn it on for development.
DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Development only: a fixed, clearly insecure key so sessions survive restarts.
    SECRET_KEY = "django-insecure-dev-only-key-never-use-in-production-0123456789"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "axes",
    "csp",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "core",
    "tenants",
    "events",
    # The background worker's queue, in the database (`python manage.py db_worker`): webhook deliveries.
    "django_tasks",
    "django_tasks_db",
    "inventory",
    "production",
    "spoolman",
    # Bambu Lab printers on the LAN over MQTT (`python manage.py printer_bridge`).
    "bambu",
    "demo",
    "insights",
    "django_prometheus",
    "import_export",
]

MIDDLEWARE = [
    # django-prometheus: first and last, so that the HTTP figures time the whole request.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Outermost: a database error anywhere below it on an /api/ path becomes a JSON 503.
    "core.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-csp's, with the policy from settings built once (core/content_security_policy.py).
    "core.content_security_policy.CSPMiddleware",
    # Owns each request's tenant scope (entered by the API views, or all tenants for the admin)
    # until the response is rendered: tenant-owned models refuse queries outside a scope.
    "tenants.middleware.TenantScopeMiddleware",
    # Last: it turns a login that django-axes refused into the lockout response.
    "axes.middleware.AxesMiddleware",
    # django-prometheus' own, with its labelled series looked up once (core/http_metrics.py).
    "core.http_metrics.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
# How often a Spoolman websocket looks for its tenant's new spool events (spoolman/consumers.py).
SPOOLMAN_WS_POLL_SECONDS = float(os.environ.get("SPOOLMAN_WS_POLL_SECONDS", "0.5"))

# Printer connections (bambu/): the Fernet keys that encrypt printers' access codes at rest, comma-separated,
# the first encrypting and every one decrypting (rotation: the README's "Bambu Lab printers"). Unset, one key
# is derived from SECRET_KEY. BAMBU_CA_FILE: verify printers' certificates against it instead of accepting
# their self-signed ones.
PRINTER_CREDENTIAL_KEYS = env_list("PRINTER_CREDENTIAL_KEYS", [])
BAMBU_CA_FILE = os.environ.get("BAMBU_CA_FILE", "")

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: DATABASE_URL, else an embedded SQLite file tuned for a small server:
# WAL lets readers run beside the writer, IMMEDIATE takes the write lock at BEGIN so
# two writers queue on the busy timeout instead of failing with "database is locked".
SQLITE_PATH = BASE_DIR / "db.sqlite3"
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{SQLITE_PATH}", conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60"))
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
else:
    # Persistent connections (CONN_MAX_AGE seconds, default 60), checked before each request
    # reuses one. Or Django's psycopg pool (DATABASE_POOL_SIZE > 0, for threaded servers:
    # `gunicorn --threads`), which needs CONN_MAX_AGE 0. Either way the row-security settings
    # are `SET LOCAL` (tenants/row_security.py) and end with each request's transaction, so a
    # reused connection carries no role and no tenant to its next request.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    POOL_SIZE = int(os.environ.get("DATABASE_POOL_SIZE", "0"))
    if POOL_SIZE > 0:
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": POOL_SIZE,
            "timeout": int(os.environ.get("DATABASE_POOL_TIMEOUT", "10")),
        }

# An optional read replica (core/routers.py): a GET's reads of inventory and production data go
# to it; writes, reads inside a write, and users, tokens, memberships and sessions stay on the
# primary. The tests declare it as a mirror of the primary (TEST MIRROR) to prove the routing.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
READ_REPLICA_ALIAS = None
READ_REPLICA_APPS = ["inventory", "production"]
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=DATABASES["default"]["CONN_MAX_AGE"]),
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"MIRROR": "default"},
    }
    READ_REPLICA_ALIAS = "replica"
DATABASE_ROUTERS = ["core.routers.ReplicaRouter"]

# django-prometheus's wrappers of the same backends count queries, errors and connections
# for `/metrics` (`connection.vendor` is unchanged).
PROMETHEUS_BACKENDS = {
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
    "django.db.backends.postgresql": "core.backends.postgresql",  # django-prometheus's, timestamptz read in C
}
DATABASES["default"]["ENGINE"] = PROMETHEUS_BACKENDS.get(DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"])

# `/metrics` (insights.metrics): scraped with `Authorization: Bearer <METRICS_TOKEN>`; unset, it
# answers only with DEBUG on and only to a loopback or private client address.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

# How long a service waits for a row lock before answering 409 `busy`; set with `SET LOCAL`
# where the lock is taken (core.locking), so it bounds that transaction's waits and no other.
LOCK_TIMEOUT_MS = int(os.environ.get("LOCK_TIMEOUT_MS", "5000"))
# How long one statement of an API write may run before PostgreSQL cancels it (a 503
# `database_unavailable`): the bound on a database that stops answering mid-request. Set with
# `SET LOCAL` next to the lock bound (core.locking.bound_write_transaction); keep it above
# LOCK_TIMEOUT_MS so that a lock wait still ends as a 409 `busy`.
STATEMENT_TIMEOUT_MS = int(os.environ.get("STATEMENT_TIMEOUT_MS", "30000"))

# How long a POST's `Idempotency-Key` is remembered (core.idempotency); `manage.py
# purge_idempotency_keys` deletes older ones.
IDEMPOTENCY_KEY_TTL_HOURS = int(os.environ.get("IDEMPOTENCY_KEY_TTL_HOURS", "24"))

# Background tasks (django-tasks with django-tasks-db): queued in the database, run by
# `python manage.py db_worker` (`make run` starts one; see the README's Deploying section).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Webhooks (events/webhooks.py): a URL whose host resolves to a private, loopback, link-local or
# otherwise non-public address is refused, when saved and again at each delivery, unless allowed here
# (a farm whose receivers live on its own network).
WEBHOOK_ALLOW_PRIVATE_URLS = env_bool("WEBHOOK_ALLOW_PRIVATE_URLS", False)
# A delivery is retried with exponential backoff until this long after its event, then given up.
WEBHOOK_RETRY_HOURS = int(os.environ.get("WEBHOOK_RETRY_HOURS", "24"))
WEBHOOK_TIMEOUT_SECONDS = int(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes first: it refuses a locked-out client before any password is checked.
AUTHENTICATION_BACKENDS = [
    "tenants.authentication.AxesLoginLimitBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "config.staticfiles.ManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# `collectstatic` is optional: without it WhiteNoise serves the files from the apps themselves.
WHITENOISE_USE_FINDERS = True

LOGIN_URL = "rest_framework:login"
LOGIN_REDIRECT_URL = "/api/v1/"

# The client's address is REMOTE_ADDR, or with N trusted reverse proxies in front, the address
# the outermost of them saw (the N-th entry of X-Forwarded-For from the right). Anything
# further left is whatever the client wrote, so it is never trusted (core.api.client).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

REST_FRAMEWORK = {
    # The browsable API's page descriptions: paragraphs, their `code` as code (core/api/descriptions.py).
    "VIEW_DESCRIPTION_FUNCTION": "core.api.descriptions.view_description",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenants.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "core.api.renderers.JSONRenderer",  # DRF's output, written by orjson
        # The browsable API with forms a person can use (core/api/browsable.py).
        "core.api.browsable.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["core.api.filters.FilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Throttles identify a client by this rule too; unset, DRF would key on the whole header.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_THROTTLE_RATES": {"token": os.environ.get("TOKEN_THROTTLE_RATE", "20/min")},
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=int(os.environ.get("TOKEN_TTL_HOURS", "10"))),
    "AUTH_HEADER_PREFIX": "Token",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Print-farm production API",
    "DESCRIPTION": "Plan production runs, assign filament spools, record what came off the "
    "printer, and keep an inventory ledger that always balances.\n\n"
    "- **Authentication**: `POST /api/v1/auth/token/` with `{username, password}`, then send "
    "`Authorization: Token <token>`; the browsable API and these docs also accept a session. "
    "Failed logins are limited per client address and per username (429 `throttled` with "
    "`Retry-After`), and a new password revokes all of the user's tokens.\n"
    "- **Tenant**: a user of several tenants names one per request with the `X-Tenant: <slug>` "
    "header (or `?tenant=<slug>`); `GET /api/v1/me/` lists them.\n"
    "- **Lists**: `?page=`, `?page_size=` (default 20, at most 100), `?ordering=field` or `-field`, "
    "and the filters each list documents; an invalid value is a 400 naming the parameter.\n"
    "- **Times**: stored in UTC, answered in the active tenant's time zone with its offset "
    "(`GET /api/v1/tenant/` names it); a datetime sent without an offset is wall-clock time in that zone, "
    "and a date bound (`start_date`, a report's `start`) is a whole day there.\n"
    "- **Errors**: field errors as `{field: [messages]}`, everything else as `{detail, code}`; "
    "each response lists the codes it can carry. 409 means a valid request that conflicts with "
    "the record's current state.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Request bodies are documented as JSON only: the form and multipart parsers stay for the
    # browsable API's HTML forms, but a client generated from the schema must send JSON (a
    # multipart body cannot carry a run's nested items and materials).
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    # Material.kind and Product.material_kind share one choice set: one enum name in the schema.
    "ENUM_NAME_OVERRIDES": {
        "MaterialKindEnum": "inventory.models.MaterialKind",
        "DeliveryStatusEnum": "events.models.DeliveryStatus",
        "StatusEnum": "production.status_codes.RunStatus",
    },
    # The docs pages load nothing from another host: no online validator badge, and ReDoc
    # uses system fonts (config/templates/drf_spectacular/redoc.html drops its web fonts).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_UI_SETTINGS": {
        "theme": {
            "typography": {
                "fontFamily": "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif",
                "headings": {"fontFamily": "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"},
            }
        }
    },
}

# The admin's import and export (django-import-export; inventory/resources.py). An import is
# previewed inside a transaction that is rolled back, then written on confirmation; CSV, Excel
# and the other text formats. Exported cells a spreadsheet would run as a formula get a leading
# `'` from the resources themselves (the library's own escaping would strip the characters).
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
# The "Export" action downloads the selected rows as CSV at once (the Export button offers every format).
IMPORT_EXPORT_SKIP_ADMIN_ACTION_EXPORT_UI = True

# Throttle counters must be shared by every worker and process: Redis when REDIS_URL is
# set, else a table in the database (`python manage.py createcachetable` creates it).
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "django_cache"}
}

# Failed logins (token endpoint, /api-auth/login/, /admin/login/) are counted by django-axes
# in the database, so every worker sees them. A client address or a username with
# LOGIN_FAILURE_LIMIT failures is refused (429 with Retry-After) for LOGIN_COOLOFF_MINUTES.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
# A success does not wipe the count: a client that could log in to an account of its own
# would otherwise reset its address's failures, and with them its guesses at other users.
AXES_RESET_ON_SUCCESS = False
AXES_CLIENT_IP_CALLABLE = "core.api.client.client_ip"
AXES_LOCKOUT_CALLABLE = "tenants.authentication.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # successful logins need no table of their own
AXES_VERBOSE = False

# Scripts only from this host or with the response's nonce; styles may be inline (the
# admin, Swagger UI and ReDoc set style attributes); ReDoc runs a worker from a blob: URL.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "worker-src": [SELF, "blob:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Behind a TLS-terminating reverse proxy: trust its X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
