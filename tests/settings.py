"""The test suite's settings: the project's, in development mode.

The project's settings default to production-safe values (DEBUG off, which also
demands a SECRET_KEY and turns on SSL redirects); the suite runs as a developer's
machine would, unless the environment says otherwise. Tests of the production
configuration start their own processes with DEBUG=0.
"""

import os

os.environ.setdefault("DEBUG", "1")

from config.settings import *  # noqa: F403

# Tests create many users (and the demo seed several); the production hasher's key stretching
# would dominate the run time. Set here once, it also covers class- and module-scoped fixtures.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# A read replica that mirrors the primary (TEST MIRROR: the same test database), so that
# tests/platform/test_read_replica.py can prove the routing; the router sends nothing to it
# unless a test sets READ_REPLICA_ALIAS (core/routers.py).
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
