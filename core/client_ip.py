"""The client's address, counted the same way by every throttle, lockout and audit record.

Behind ``DJANGO_PROXY_COUNT`` reverse proxies the client is the address that many hops back in
``X-Forwarded-For`` (the proxies append it; anything to its left was written by the client and
is ignored); with no proxy it is the socket's address. DRF's throttles already count this way
(``NUM_PROXIES``); django-axes' login lockout and the reveal records call this function so the
three never disagree.
"""

import ipaddress

from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle

_throttle = BaseThrottle()


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as DRF's throttles see it (``REST_FRAMEWORK["NUM_PROXIES"]``), or
    None when that hop is not an IP address (a malformed header is not stored as one)."""
    ident = _throttle.get_ident(request)  # type: ignore[arg-type]  # reads only request.META
    try:
        return str(ipaddress.ip_address(ident))
    except ValueError:
        return None
