"""Production settings from the four environment variables alone: SPEC section 6.

Settings are read once at import, so the production case runs in a fresh interpreter.
"""

import json
import os
import re
import secrets
import subprocess
import sys
import textwrap

from django.conf import settings

PROJECT_DIR = settings.BASE_DIR


def production_env():
    """Only the four documented variables (no DATABASE_URL: the default SQLite file), plus what Python needs."""
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "SYSTEMROOT") if key in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="example.com",
    )
    return env


def run_python(*args, **extra_env):
    return subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT_DIR,
        env={**production_env(), **extra_env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_check_deploy_passes_with_only_the_four_variables():
    result = run_python("manage.py", "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stderr


def test_check_deploy_fails_without_a_secret_key():
    """The counter-test: production without a SECRET_KEY must not start at all."""
    env = production_env()
    del env["SECRET_KEY"]

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_debug_is_off_unless_the_environment_turns_it_on():
    """Settings default to safe: a deployment that forgets DEBUG runs in production mode."""
    env = production_env()
    del env["DEBUG"]
    snippet = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"

    result = subprocess.run(
        [sys.executable, "-c", snippet], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_proxy_ssl_header_is_trusted():
    assert settings.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")


PROXY_SNIPPET = textwrap.dedent(
    """
    import json, django
    django.setup()
    from django.test import Client

    def probe(path, **headers):
        response = Client(HTTP_HOST="example.com", **headers).get(path)
        return {
            "status": response.status_code,
            "location": response.headers.get("Location"),
            "hsts": "Strict-Transport-Security" in response.headers,
        }

    print(json.dumps({
        "healthz_https": probe("/healthz", HTTP_X_FORWARDED_PROTO="https"),
        "api_https": probe("/api/v1/", HTTP_X_FORWARDED_PROTO="https"),
        "api_http": probe("/api/v1/"),
    }))
    """
)


def test_production_serves_https_terminated_by_the_proxy():
    result = run_python("-W", "ignore", "-c", PROXY_SNIPPET)
    assert result.returncode == 0, result.stderr
    probes = json.loads(result.stdout.strip().splitlines()[-1])

    # Behind the proxy's https: served, not redirected, and HSTS is sent (so the request counted as secure).
    assert probes["healthz_https"] == {"status": 200, "location": None, "hsts": True}
    assert probes["api_https"]["status"] == 401
    assert probes["api_https"]["hsts"] is True
    # Plain http is redirected to https, which is what makes the cases above meaningful.
    assert probes["api_http"]["status"] == 301
    assert probes["api_http"]["location"] == "https://example.com/api/v1/"


STATIC_SNIPPET = textwrap.dedent(
    """
    import json, re, django
    django.setup()
    from django.test import Client

    client = Client(HTTP_HOST="example.com", HTTP_X_FORWARDED_PROTO="https")
    page = client.get("/api/v1/docs/").content.decode()
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    print(json.dumps({"assets": {path: client.get(path).status_code for path in assets}}))
    """
)


def test_production_serves_the_docs_assets_after_collectstatic(tmp_path):
    """With DEBUG=0 whitenoise serves the collected, hashed Swagger UI files itself (no CDN, no proxy rule)."""
    collect = run_python("manage.py", "collectstatic", "--noinput", "-v0", STATIC_ROOT=str(tmp_path))
    assert collect.returncode == 0, collect.stderr

    probe = run_python("-W", "ignore", "-c", STATIC_SNIPPET, STATIC_ROOT=str(tmp_path))

    assert probe.returncode == 0, probe.stderr
    assets = json.loads(probe.stdout.strip().splitlines()[-1])["assets"]
    assert any("swagger-ui-bundle" in path for path in assets)
    assert set(assets.values()) == {200}, assets


CACHE_SNIPPET = (
    "import json, django; django.setup(); from django.conf import settings; print(json.dumps(settings.CACHES))"
)


def test_production_throttles_share_the_database_cache_table():
    """Not a per-process memory cache: every worker must see the same counters."""
    result = run_python("-c", CACHE_SNIPPET)

    assert result.returncode == 0, result.stderr
    default = json.loads(result.stdout.strip().splitlines()[-1])["default"]
    assert default == {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "django_cache"}


def test_redis_url_puts_the_throttles_in_redis():
    result = run_python("-c", CACHE_SNIPPET, REDIS_URL="redis://cache.internal:6379/1")

    assert result.returncode == 0, result.stderr
    default = json.loads(result.stdout.strip().splitlines()[-1])["default"]
    assert default == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://cache.internal:6379/1",
    }


def test_the_cache_table_exists_where_the_tests_run(db):
    """Django's test database creation runs `createcachetable`, as `make run` and the deployment do."""
    from django.db import connection

    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert "django_cache" in connection.introspection.table_names()


ADMIN_LOGIN_SNIPPET = textwrap.dedent(
    """
    import json, re, django
    django.setup()
    from django.test import Client

    client = Client(HTTP_HOST="example.com", HTTP_X_FORWARDED_PROTO="https")
    login = client.get("/admin/login/")
    page = login.content.decode()
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    print(json.dumps({
        "status": login.status_code,
        "assets": {path: client.get(path).status_code for path in assets},
    }))
    """
)


def test_admin_login_works_in_production_without_collectstatic(tmp_path):
    """DEBUG=0 and an empty STATIC_ROOT: the page renders and its stylesheets are served from the apps."""
    probe = run_python("-W", "ignore", "-c", ADMIN_LOGIN_SNIPPET, STATIC_ROOT=str(tmp_path / "never-collected"))

    assert probe.returncode == 0, probe.stderr
    result = json.loads(probe.stdout.strip().splitlines()[-1])
    assert result["status"] == 200
    assert any(path.startswith("/static/admin/css/") for path in result["assets"]), result
    assert set(result["assets"].values()) == {200}, result


def test_admin_login_uses_hashed_names_after_collectstatic(tmp_path):
    collect = run_python("manage.py", "collectstatic", "--noinput", "-v0", STATIC_ROOT=str(tmp_path))
    assert collect.returncode == 0, collect.stderr

    probe = run_python("-W", "ignore", "-c", ADMIN_LOGIN_SNIPPET, STATIC_ROOT=str(tmp_path))

    assert probe.returncode == 0, probe.stderr
    result = json.loads(probe.stdout.strip().splitlines()[-1])
    assert result["status"] == 200
    assert any(re.search(r"/static/admin/css/base\.[0-9a-f]{12}\.css$", path) for path in result["assets"]), result
    assert set(result["assets"].values()) == {200}, result


def test_migrate_creates_the_cache_table(db):
    """A deployment that runs only `migrate` can throttle the token endpoint (tenants 0004)."""
    import importlib
    from types import SimpleNamespace

    from django.db import connection

    migration = importlib.import_module("tenants.migrations.0003_cache_table")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE django_cache")
    assert "django_cache" not in connection.introspection.table_names()
    migration.create_cache_table(None, SimpleNamespace(connection=connection))
    assert "django_cache" in connection.introspection.table_names()


DATABASES_SNIPPET = (
    "import json, django; django.setup(); from django.conf import settings; "
    "print(json.dumps({alias: {key: db.get(key) for key in ('CONN_MAX_AGE', 'CONN_HEALTH_CHECKS', 'OPTIONS', 'TEST')} "
    "for alias, db in settings.DATABASES.items()} | {'read': settings.READ_REPLICA_ALIAS}, default=str))"
)


def databases_with(**env):
    result = run_python("-c", DATABASES_SNIPPET, DATABASE_URL="postgres://app@db.internal:5432/farm", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_postgresql_connections_persist_with_health_checks_by_default():
    databases = databases_with()

    assert databases["default"]["CONN_MAX_AGE"] == 60 and databases["default"]["CONN_HEALTH_CHECKS"] is True
    assert "pool" not in (databases["default"]["OPTIONS"] or {})
    assert set(databases) == {"default", "read"} and databases["read"] is None


def test_a_pool_size_turns_on_djangos_psycopg_pool_without_persistent_connections():
    default = databases_with(DATABASE_POOL_SIZE="8")["default"]

    assert default["CONN_MAX_AGE"] == 0
    assert default["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 8, "timeout": 10}


def test_the_asgi_application_takes_postgresql_connections_from_a_pool_unless_told_otherwise():
    """Under ASGI each request's sync code runs in a thread of its own: persistent connections would pile up."""
    snippet = DATABASES_SNIPPET.replace("import json, django; django.setup(); ", "import json, config.asgi; ")

    def default_with(**env):
        result = run_python("-c", snippet, DATABASE_URL="postgres://app@db.internal:5432/farm", **env)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1])["default"]

    pooled = default_with()
    assert pooled["OPTIONS"]["pool"]["max_size"] == 10 and pooled["CONN_MAX_AGE"] == 0
    assert default_with(DATABASE_POOL_SIZE="0")["CONN_MAX_AGE"] == 60


def test_a_replica_url_adds_a_mirrored_replica_for_reads():
    databases = databases_with(DATABASE_REPLICA_URL="postgres://app@replica.internal:5432/farm")

    assert databases["replica"]["TEST"]["MIRROR"] == "default"
    assert databases["read"] == "replica"
