"""Who the client is, as far as this host can know."""

import ipaddress

from django.conf import settings


def client_ip(request):
    """The client's address under `TRUSTED_PROXY_COUNT` (DRF's `NUM_PROXIES` rule).

    With no trusted proxy it is REMOTE_ADDR, and `X-Forwarded-For` is ignored: anyone can
    send one. With N proxies it is the N-th address from the right of `X-Forwarded-For`, the
    one the outermost trusted proxy saw; entries further left are the client's own words.
    """
    remote_addr = valid_address(request.META.get("REMOTE_ADDR"))
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded_for = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies <= 0 or not forwarded_for:
        return remote_addr
    addresses = [address.strip() for address in forwarded_for.split(",")]
    # Fewer entries than proxies means the leftmost one is the client's own: it must at least
    # be an address (the failed-login record stores it in an `inet` column on PostgreSQL).
    return valid_address(addresses[-min(proxies, len(addresses))]) or remote_addr


def valid_address(text):
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None
