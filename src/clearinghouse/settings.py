"""Django settings: every value comes from the environment (see docs/operations.md)."""

from __future__ import annotations

from pathlib import Path

from django.conf.locale import LANG_INFO

from clearinghouse.env import (
    database_from_url,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
    sqlite_database,
)

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("CLEARINGHOUSE_DATA_DIR", str(Path.cwd() / "var"))).resolve()

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-change-me" if DEBUG else "")
if not SECRET_KEY:
    # A per-data-directory key keeps sessions valid across restarts without committing secrets.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        import secrets

        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    SECRET_KEY = key_file.read_text().strip()

# Portals are chosen by host name at run time, so host filtering is the portal table's job;
# ALLOWED_HOSTS may still be narrowed by operators.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["*"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "clearinghouse.portals",
    "clearinghouse.vocabularies",
    "clearinghouse.records",
    "clearinghouse.workflows",
    "clearinghouse.cooperation",
    "clearinghouse.web",
    "clearinghouse.api",
    "clearinghouse.federation",
    "clearinghouse.federation.connectors",
    "clearinghouse.search",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "clearinghouse.portals.middleware.PortalMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "clearinghouse.urls"
WSGI_APPLICATION = "clearinghouse.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clearinghouse.web.context.portal_context",
            ]
        },
    }
]

_database_url = env_str("DATABASE_URL")
DATABASES = {
    "default": database_from_url(_database_url)
    if _database_url
    else sqlite_database(str(DATA_DIR / "clearinghouse.sqlite3"))
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:editor"
LOGOUT_REDIRECT_URL = "web:home"

# The six UN languages. Chinese is served under /zh/ (simplified script).
LANG_INFO["zh"] = {"bidi": False, "code": "zh", "name": "Chinese", "name_local": "中文"}
LANGUAGES = [
    ("en", "English"),
    ("fr", "Français"),
    ("es", "Español"),
    ("ar", "العربية"),
    ("ru", "Русский"),
    ("zh", "中文"),
]
LANGUAGE_CODE = "en"
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# Without collectstatic, serve straight from the apps' static folders.
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing
WHITENOISE_MAX_AGE = 86400
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Static files are served by WhiteNoise (compressed, cacheable) with no web server needed.
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Per-process cache for rendered public pages (keys carry their own validity, see
# web/public.py), so no shared cache server is needed.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": env_int("CLEARINGHOUSE_PAGE_CACHE_ENTRIES", 5000)},
    }
}

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "clearinghouse@localhost")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Clearing-house behaviour
CLEARINGHOUSE_REQUEST_EXPIRY_DAYS = env_int("CLEARINGHOUSE_REQUEST_EXPIRY_DAYS", 84)  # 12 weeks
CLEARINGHOUSE_LOCK_MINUTES = env_int("CLEARINGHOUSE_LOCK_MINUTES", 30)
CLEARINGHOUSE_MAX_ATTACHMENT_MB = env_int("CLEARINGHOUSE_MAX_ATTACHMENT_MB", 50)
CLEARINGHOUSE_STRICT_HOSTS = env_bool("CLEARINGHOUSE_STRICT_HOSTS", False)
CLEARINGHOUSE_PAGE_SIZE = env_int("CLEARINGHOUSE_PAGE_SIZE", 20)
# SPARQL endpoint limits (vocabularies/sparql.py, docs/operations.md)
CLEARINGHOUSE_SPARQL_MAX_QUERY_CHARS = env_int("CLEARINGHOUSE_SPARQL_MAX_QUERY_CHARS", 10_000)
CLEARINGHOUSE_SPARQL_MAX_ROWS = env_int("CLEARINGHOUSE_SPARQL_MAX_ROWS", 10_000)
CLEARINGHOUSE_SPARQL_TIME_LIMIT = env_float("CLEARINGHOUSE_SPARQL_TIME_LIMIT", 10.0)
CLEARINGHOUSE_SPARQL_MAX_CONCURRENT = env_int("CLEARINGHOUSE_SPARQL_MAX_CONCURRENT", 4)
# Semantic search with the sentence-encoder package, when installed (docs/search.md).
CLEARINGHOUSE_SEARCH_SEMANTIC = env_bool("CLEARINGHOUSE_SEARCH_SEMANTIC", True)
# Matching documents ranked at most per query; a broader query ranks its newest matches and
# estimates its total (search/backends.py, docs/search.md); 0: rank every match.
CLEARINGHOUSE_SEARCH_WINDOW = env_int("CLEARINGHOUSE_SEARCH_WINDOW", 5000)
# The semantic matrix as memory-mapped files shared by every process (docs/search.md);
# "" or "off" turns it off. Smaller indexes than _MIN vectors are loaded from the table.
CLEARINGHOUSE_VECTOR_CACHE = env_str("CLEARINGHOUSE_VECTOR_CACHE", str(DATA_DIR / "vector-cache"))
if CLEARINGHOUSE_VECTOR_CACHE.strip().lower() in {"", "off", "false", "0"}:
    CLEARINGHOUSE_VECTOR_CACHE = ""
CLEARINGHOUSE_VECTOR_CACHE_MIN = env_int("CLEARINGHOUSE_VECTOR_CACHE_MIN", 2000)
# Absolute links in e-mails sent without a request (saved-search alerts): scheme + portal host;
# the base URL stands in for a portal without a host name.
CLEARINGHOUSE_PUBLIC_SCHEME = env_str("CLEARINGHOUSE_PUBLIC_SCHEME", "https")
CLEARINGHOUSE_PUBLIC_BASE_URL = env_str("CLEARINGHOUSE_PUBLIC_BASE_URL", "")
# Federation connectors (docs/federation.md, "Connectors"): base URLs and timeouts (seconds).
CLEARINGHOUSE_GBIF_API_URL = env_str("CLEARINGHOUSE_GBIF_API_URL", "https://api.gbif.org/v1")
CLEARINGHOUSE_GBIF_TIMEOUT = env_int("CLEARINGHOUSE_GBIF_TIMEOUT", 30)
CLEARINGHOUSE_CBD_INDEX_URL = env_str(
    "CLEARINGHOUSE_CBD_INDEX_URL", "https://api.cbd.int/api/v2013/index"
)
CLEARINGHOUSE_PANORAMA_URL = env_str(
    "CLEARINGHOUSE_PANORAMA_URL", "https://panorama.solutions/api/v1/solutions"
)
CLEARINGHOUSE_CONNECTOR_TIMEOUT = env_int("CLEARINGHOUSE_CONNECTOR_TIMEOUT", 60)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
# IATI organisation identifiers of the portals, e.g. "central=XM-DAC-…,bj=XM-DAC-…"
CLEARINGHOUSE_IATI_ORGANISATIONS = dict(
    item.split("=", 1) for item in env_list("CLEARINGHOUSE_IATI_ORGANISATIONS", []) if "=" in item
)
