"""Keep integration keys out of the logs: Spoolman's clients put the key in the URL path.

Access logs (uvicorn, gunicorn) and Django's request warnings print the path; this filter
rewrites `/spoolman/<key>/` to `/spoolman/<first 8 characters>.../` in every record of the
loggers it is attached to (spoolman.apps attaches it at start-up).
"""

import logging
import re

KEY_IN_PATH = re.compile(r"(/spoolman/)(pfk_[A-Za-z0-9_-]{4})[A-Za-z0-9_-]*")
LOGGERS = ("uvicorn.access", "uvicorn.error", "gunicorn.access", "django.request", "django.server")


def redact(text: str) -> str:
    return KEY_IN_PATH.sub(r"\1\2...", text)


class RedactIntegrationKeys(logging.Filter):
    def filter(self, record):
        message = record.getMessage()
        if "/spoolman/" in message:
            record.msg, record.args = redact(message), ()
        return True


def attach():
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactIntegrationKeys) for existing in logger.filters):
            logger.addFilter(RedactIntegrationKeys())
