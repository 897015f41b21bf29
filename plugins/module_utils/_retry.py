# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""One retry policy for every API call the collection makes: bounded, with backoff and jitter, and only where a
repeat cannot do harm.

A call is repeated when its error is transient: the connection was refused or timed out before it was made (a
service restarting), the connection was reset or the reply lost, or the service answered 502, 503 or 504 (a proxy
with no backend yet, a service not ready). It is repeated only when repeating it is safe:

- a refused or timed-out connection: any request (nothing reached the service);
- any other transient error: reads (GET, HEAD, OPTIONS) and writes that set a state rather than add one (PUT,
  DELETE, and PATCH: every patch this collection sends sets fields to values), and asking for a token;
- never a request whose body is a stream (an image's bytes): it cannot be sent twice.

A POST that creates something is not repeated after a reset: the service may have created it, and a second would
duplicate it; the module's rerun finds it instead.

The policy is installed on an openstacksdk connection's keystoneauth session (``install``), so every proxy call of
every module goes through it. Wait loops go further (``_waiters.wait_for``): a transient error while polling is
one more poll, until the wait's own deadline.
"""

from __future__ import annotations

import errno
import random
import time
from urllib.parse import urlsplit

TRANSIENT_STATUS = frozenset((502, 503, 504))
SAFE_METHODS = frozenset(("GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"))

# Error class names, wherever they come from (keystoneauth, requests, urllib3, http.client, the socket layer), so
# that this file imports none of them.
NOT_CONNECTED = frozenset(("ConnectionRefusedError", "ConnectTimeout", "ConnectTimeoutError", "NewConnectionError"))
TRANSIENT = frozenset(("ConnectFailure", "ConnectionError", "ConnectionResetError", "BrokenPipeError", "RemoteDisconnected",
                       "ProtocolError", "ReadTimeout", "ReadTimeoutError", "IncompleteRead", "ChunkedEncodingError",
                       "ConnectionAbortedError", "UnknownConnectionError", "RetriableConnectionFailure"))


def _chain(exc):
    seen = []
    while exc is not None and exc not in seen and len(seen) < 10:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__ or (exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None)
    return seen


def transient_kind(exc):
    """Pure: ``"not-connected"`` (nothing reached the service), ``"transient"`` (another passing fault), or None."""
    kind = None
    for link in _chain(exc):
        names = {cls.__name__ for cls in type(link).__mro__}
        if names & NOT_CONNECTED or getattr(link, "errno", None) == errno.ECONNREFUSED or "Connection refused" in str(link):
            return "not-connected"
        status = getattr(link, "http_status", None) or getattr(link, "status_code", None)
        if names & TRANSIENT or status in TRANSIENT_STATUS:
            kind = "transient"
    return kind


def passing(exc):
    """Pure: whether an error a wait loop met while polling is worth one more poll (a transient fault, also when a
    collection error wraps it, or carries the HTTP status it was made from)."""
    details = getattr(exc, "details", None) or {}
    return transient_kind(exc) is not None or details.get("status_code") in TRANSIENT_STATUS


def is_safe(method, url="", data=None):
    """Pure: whether a request may be sent again after a transient error that may have reached the service."""
    if data is not None and not isinstance(data, (bytes, str)):
        return False
    return method.upper() in SAFE_METHODS or str(url).rstrip("/").endswith("/auth/tokens")


def may_retry(kind, safe, data=None):
    """Pure: whether an error of ``kind`` is retried for a request that is ``safe`` (or not) to repeat."""
    if kind is None:
        return False
    if data is not None and not isinstance(data, (bytes, str)):
        return False
    return kind == "not-connected" or safe


class RetryPolicy(object):
    """Up to ``attempts`` tries; before try n+1 a pause of d/2 plus a random part of d/2, d = min(cap, base * 2**n)
    (equal jitter: never all at once, never less than half the backoff). The defaults wait 3.5 to 7 s in all: a
    service's worker restarting, a proxy's backend coming back; a service that stays down fails the call fast
    enough to be read, and wait loops, which know their own deadline, poll on through longer outages."""

    def __init__(self, attempts=4, base=1.0, cap=4.0, sleep=time.sleep, rand=random.random):
        self.attempts = max(int(attempts), 1)
        self.base = base
        self.cap = cap
        self.sleep = sleep
        self.rand = rand
        self.retried = []
        # Addresses that stayed unreachable through all the tries: later requests to them get one try, so that a
        # dead cloud fails once, not once for each request the client makes on the way (discovery, then a token).
        self.down = set()

    def delays(self):
        out = []
        for n in range(self.attempts - 1):
            d = min(self.cap, self.base * (2 ** n))
            out.append(d / 2.0 + self.rand() * d / 2.0)
        return out

    def run(self, call, safe, what="request", data=None, where=None):
        """``call()`` under the policy; its last error, or its last answer, once the tries are spent. ``where`` is
        the address called (host:port), when known."""
        delays = self.delays()
        attempts = 1 if where and where in self.down else self.attempts
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                answer = call()
            except Exception as exc:  # pylint: disable=broad-except
                kind = transient_kind(exc)
                if last and where and kind == "not-connected":
                    self.down.add(where)
                if last or not may_retry(kind, safe, data):
                    raise
                self.retried.append("%s: %s" % (what, exc.__class__.__name__))
                self.sleep(delays[attempt])
                continue
            status = getattr(answer, "status_code", None)
            if status in TRANSIENT_STATUS and not last and may_retry("transient", safe, data):
                self.retried.append("%s: HTTP %s" % (what, status))
                self.sleep(delays[attempt])
                continue
            return answer
        raise AssertionError("unreachable")  # pragma: no cover


def where(url, kwargs):
    """Pure: the address a request goes to - the host:port of an absolute URL, else the endpoint it overrides to,
    else the service type the session finds it by (a proxy's request), else None."""
    for candidate in (url, kwargs.get("endpoint_override")):
        netloc = urlsplit(str(candidate or "")).netloc
        if netloc:
            return netloc
    service = (kwargs.get("endpoint_filter") or {}).get("service_type")
    return "service:%s" % service if service else None


def install(conn, policy=None):
    """Send every request of ``conn`` (an openstacksdk connection) through ``policy``; returns the policy."""
    policy = policy or RetryPolicy()
    session = conn.session
    if getattr(session, "ooo_retry_policy", None) is not None:
        return session.ooo_retry_policy
    original = session.request

    def request(url, method, *args, **kwargs):
        data = kwargs.get("data")
        safe = is_safe(method, url, data)
        return policy.run(lambda: original(url, method, *args, **kwargs), safe, "%s %s" % (method.upper(), url), data,
                          where(url, kwargs))

    session.request = request
    session.ooo_retry_policy = policy
    return policy
