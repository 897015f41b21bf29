# -*- coding: utf-8 -*-
"""The retry policy: which errors are transient, which requests may go twice, the backoff, the session hook."""
import errno
import http.client
import socket

import pytest

from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import APIError
from ansible_collections.ooo.lifecycle.plugins.module_utils._retry import (
    RetryPolicy, install, is_safe, may_retry, passing, transient_kind, where)
from ansible_collections.ooo.lifecycle.plugins.module_utils._waiters import wait_for


class Answer(object):
    def __init__(self, status):
        self.status_code = status


class ks(object):  # pylint: disable=invalid-name
    """keystoneauth's and requests' exception classes as they are named (the policy reads names, so that it imports
    neither; the unit tests run where neither is installed)."""

    class ClientException(Exception):
        pass

    class ConnectionError(ClientException):  # pylint: disable=redefined-builtin
        pass

    class ConnectFailure(ConnectionError):
        pass

    class ConnectTimeout(ConnectFailure):
        pass

    class HttpError(ClientException):
        http_status = 500

    class http(object):  # pylint: disable=invalid-name
        pass

    class ReadTimeout(Exception):
        pass


for _name, _status in (("ServiceUnavailable", 503), ("BadGateway", 502), ("Conflict", 409), ("NotFound", 404)):
    setattr(ks.http, _name, type(_name, (ks.HttpError,), {"http_status": _status}))


def wrapped(exc, outer):
    try:
        raise exc
    except Exception:  # pylint: disable=broad-except
        try:
            raise outer
        except Exception as got:  # pylint: disable=broad-except
            return got


@pytest.mark.parametrize("exc, kind", [
    (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), "not-connected"),
    (ks.ConnectFailure("Unable to establish connection to http://198.18.0.1:9292: [Errno 111] Connection refused"), "not-connected"),
    (ks.ConnectTimeout("timed out"), "not-connected"),
    (ks.ConnectFailure("('Connection aborted.', RemoteDisconnected('Remote end closed connection without response'))"), "transient"),
    (ks.ReadTimeout("read timed out"), "transient"),
    (http.client.RemoteDisconnected("closed"), "transient"),
    (ConnectionResetError(errno.ECONNRESET, "reset by peer"), "transient"),
    (ks.http.ServiceUnavailable(), "transient"),
    (ks.http.BadGateway(), "transient"),
    (ks.http.Conflict(), None),
    (ks.http.NotFound(), None),
    (ValueError("bad json"), None),
    (socket.gaierror("Name or service not known"), None),
])
def test_transient_kind(exc, kind):
    assert transient_kind(exc) == kind


def test_a_collection_error_made_from_a_transient_one_is_passing():
    assert passing(wrapped(ConnectionResetError(errno.ECONNRESET, "reset"), APIError("Failed to read stack s: reset")))
    assert passing(APIError("Failed to read stack s: HTTP 503", status_code=503))
    assert not passing(APIError("Failed to read stack s: HTTP 404", status_code=404))
    assert not passing(wrapped(ValueError("x"), APIError("Failed to read stack s: x")))


def test_which_requests_may_go_twice():
    assert is_safe("get") and is_safe("PUT") and is_safe("patch") and is_safe("DELETE")
    assert not is_safe("POST", "http://198.18.0.1:6385/v1/nodes")
    assert is_safe("POST", "http://198.18.0.1:5000/v3/auth/tokens")       # asking for a token again is harmless
    assert not is_safe("PUT", "/v2/images/x/file", data=iter([b"bytes"]))  # a stream cannot be sent twice
    assert is_safe("PUT", "/v1/nodes/x/states/power", data=b'{"target": "power on"}')
    assert may_retry("not-connected", safe=False)                          # nothing reached the service
    assert not may_retry("transient", safe=False) and may_retry("transient", safe=True)
    assert not may_retry("not-connected", safe=False, data=iter([b""]))
    assert not may_retry(None, safe=True)


def policy(**kwargs):
    slept = []
    return RetryPolicy(sleep=slept.append, rand=lambda: 1.0, **kwargs), slept


def test_backoff_is_bounded_with_jitter():
    low = RetryPolicy(attempts=6, base=1.0, cap=4.0, rand=lambda: 0.0).delays()
    high = RetryPolicy(attempts=6, base=1.0, cap=4.0, rand=lambda: 1.0).delays()
    assert low == [0.5, 1.0, 2.0, 2.0, 2.0] and high == [1.0, 2.0, 4.0, 4.0, 4.0]
    default = RetryPolicy()
    assert 3.5 <= sum(RetryPolicy(rand=lambda: 0.0).delays()) and sum(RetryPolicy(rand=lambda: 1.0).delays()) <= 7.0
    assert default.attempts == 4


def test_a_read_is_tried_again_until_it_answers():
    answers = [ks.ConnectFailure("Connection refused"), Answer(503), Answer(200)]
    pol, slept = policy()
    got = pol.run(lambda: _pop(answers), safe=True, what="GET /v1/nodes")
    assert got.status_code == 200 and slept == [1.0, 2.0]
    assert pol.retried == ["GET /v1/nodes: ConnectFailure", "GET /v1/nodes: HTTP 503"]


def test_a_create_is_not_sent_twice_once_it_may_have_arrived():
    pol, slept = policy()
    calls = []

    def create():
        calls.append(1)
        raise ks.ConnectFailure("('Connection aborted.', RemoteDisconnected('closed'))")
    with pytest.raises(ks.ConnectFailure):
        pol.run(create, safe=False)
    assert len(calls) == 1 and slept == []
    # A 503 to a create is the answer, not retried.
    assert pol.run(lambda: Answer(503), safe=False).status_code == 503 and slept == []
    # Refused: it never arrived, so it is sent again.
    answers = [ks.ConnectFailure("[Errno 111] Connection refused"), Answer(201)]
    assert pol.run(lambda: _pop(answers), safe=False).status_code == 201


def test_the_tries_are_bounded():
    pol, slept = policy(attempts=3)
    calls = []

    def down():
        calls.append(1)
        raise ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
    with pytest.raises(ConnectionRefusedError):
        pol.run(down, safe=True)
    assert len(calls) == 3 and len(slept) == 2
    assert pol.run(lambda: Answer(503), safe=True).status_code == 503   # the last answer, once the tries are spent


def test_an_address_that_stayed_down_gets_one_try_after():
    pol, slept = policy(attempts=3)
    calls = []

    def down():
        calls.append(1)
        raise ks.ConnectFailure("[Errno 111] Connection refused")
    for _attempt in range(2):
        with pytest.raises(ks.ConnectFailure):
            pol.run(down, safe=True, where="198.18.0.1:1")
    assert len(calls) == 3 + 1 and len(slept) == 2 and pol.down == {"198.18.0.1:1"}
    # Another address still gets every try.
    answers = [ks.ConnectFailure("Connection refused"), Answer(200)]
    assert pol.run(lambda: _pop(answers), safe=True, where="198.18.0.1:5000").status_code == 200
    with pytest.raises(ValueError):
        pol.run(lambda: _raise(ValueError("not transient")), safe=True)


def test_install_puts_the_policy_on_the_session_once():
    class Session(object):
        def __init__(self):
            self.seen = []
            self.answers = [Answer(503), Answer(200), ks.ConnectFailure("reset by peer"), Answer(201)]

        def request(self, url, method, **kwargs):
            self.seen.append((method, url))
            return _pop(self.answers)

    class Conn(object):
        session = Session()
    pol, _slept = policy()
    assert install(Conn, pol) is pol and install(Conn) is pol
    assert Conn.session.request("/v1/nodes", "GET").status_code == 200
    with pytest.raises(ks.ConnectFailure):
        Conn.session.request("/v1/nodes", "POST", json={"name": "n"})
    assert Conn.session.seen == [("GET", "/v1/nodes")] * 2 + [("POST", "/v1/nodes")]


def test_a_wait_polls_on_through_a_restart_until_its_deadline():
    now = [0.0]
    answers = [APIError("Failed to read image i: HTTP 503", status_code=503),
               wrapped(ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), APIError("Failed to read image i")),
               {"status": "saving"}, {"status": "active"}]
    got = wait_for(lambda: _pop(answers), lambda i: i["status"] == "active", timeout=60, clock=lambda: now[0],
                   sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert got == {"status": "active"} and now[0] == 3.0
    # Past the deadline the transient error is the wait's error; a lasting one at once.
    with pytest.raises(APIError):
        wait_for(lambda: _raise(APIError("x", status_code=503)), bool, timeout=2, clock=lambda: now[0],
                 sleep=lambda s: now.__setitem__(0, now[0] + s))
    with pytest.raises(APIError):
        wait_for(lambda: _raise(APIError("x", status_code=404)), bool, timeout=1000, clock=lambda: 0.0, sleep=_fail)


def _pop(answers):
    answer = answers.pop(0)
    if isinstance(answer, BaseException):
        raise answer
    return answer


def _raise(exc):
    raise exc


def _fail(_seconds):
    raise AssertionError("no sleep expected")


def test_where_a_request_goes():
    assert where("http://198.18.0.1:6385/v1/nodes", {}) == "198.18.0.1:6385"
    assert where("/nodes", {"endpoint_override": "http://198.18.0.1:6385/v1"}) == "198.18.0.1:6385"
    assert where("/nodes", {"endpoint_filter": {"service_type": "baremetal", "interface": "public"}}) == "service:baremetal"
    assert where("/nodes", {}) is None
