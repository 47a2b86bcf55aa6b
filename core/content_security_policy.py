"""django-csp's middleware, with the settings' policy built once per process instead of twice per response.

django-csp 4 builds each response's `Content-Security-Policy` (and its report-only twin) from
`CONTENT_SECURITY_POLICY` every time (`csp.utils.build_policy`: copies, sorts, joins), about
6 % of an API request's CPU. Its result depends on the settings alone unless the request used
its nonce (`request.csp_nonce`, ReDoc's page) or the view set a policy of its own (django-csp's
`@csp`, `@csp_update`, `@csp_replace` decorators): every other response gets the string built
once here, and those go through django-csp unchanged. The header is set under django-csp's
own conditions (not already set, not exempt, path not excluded); a test that changes the
settings clears the cache (`setting_changed`).
"""

import functools

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as LibraryCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

# Set on a response by django-csp's decorators: a policy of that response's own.
RESPONSE_POLICY_ATTRIBUTES = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)
# django-csp answers these without a policy when DEBUG is on (Django's debug pages).
DEBUG_PAGE_STATUSES = (404, 500)
# Per header: whether it reports only, and the response attribute that exempts a response from it.
HEADERS = ((HEADER, False, "_csp_exempt"), (HEADER_REPORT_ONLY, True, "_csp_exempt_ro"))
POLICY_SETTINGS = {False: "CONTENT_SECURITY_POLICY", True: "CONTENT_SECURITY_POLICY_REPORT_ONLY"}


@functools.cache
def settings_policy(report_only):
    """The header's value built from the settings alone ('' for none), and the path prefixes it skips."""
    excluded = (getattr(settings, POLICY_SETTINGS[report_only], None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
    return build_policy(report_only=report_only), tuple(excluded)


@receiver(setting_changed)
def forget_settings_policy(*, setting, **kwargs):
    if setting in POLICY_SETTINGS.values():
        settings_policy.cache_clear()


class CSPMiddleware(LibraryCSPMiddleware):
    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, attribute, None) is not None for attribute in RESPONSE_POLICY_ATTRIBUTES
        ):
            return super().process_response(request, response)
        if response.status_code in DEBUG_PAGE_STATUSES and settings.DEBUG:
            return response
        for header, report_only, exempt in HEADERS:
            policy, excluded = settings_policy(report_only)
            if (
                policy
                and header not in response
                and getattr(response, exempt, False) is False
                and not request.path_info.startswith(excluded)
            ):
                response[header] = policy
        # As django-csp does: a nonce asked for after the header is written could never be in it.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
