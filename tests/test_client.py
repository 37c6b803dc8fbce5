"""Client behaviour: auth, URL checks, pacing on an injected clock, retries, error mapping, no key leaks."""

from __future__ import annotations

import base64
import logging

import pytest

from tatango_iac.api.client import ApiError, ConfigurationError, TatangoClient, check_api_url
from tatango_iac.sandbox import SANDBOX_API_KEY, SANDBOX_EMAIL
from tests.conftest import set_faults


def paced(sandbox, clock, rate=1200.0, **kw) -> TatangoClient:
    return TatangoClient(sandbox.url, SANDBOX_EMAIL, SANDBOX_API_KEY, rate_per_hour=rate, clock=clock, **kw)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/api/v2",
        "http://localhost:9/api/v2",
        "http://[::1]:9/api/v2",
        "http://127.5.5.5/api/v2",
        "https://app.tatango.com/api/v2/",
    ],
)
def test_allowed_urls(url):
    assert check_api_url(url) == url.rstrip("/")


@pytest.mark.parametrize("url", ["http://app.tatango.com/api/v2", "ftp://x", "app.tatango.com", "http://10.0.0.1/x"])
def test_plain_http_refused_except_on_loopback(url):
    with pytest.raises(ConfigurationError):
        check_api_url(url)


def test_credentials_come_from_the_environment_only():
    with pytest.raises(ConfigurationError, match="set TATANGO_EMAIL and TATANGO_API_KEY"):
        TatangoClient.from_env({})
    with pytest.raises(ConfigurationError, match="TATANGO_RATE_LIMIT"):
        TatangoClient.from_env({"TATANGO_EMAIL": "a", "TATANGO_API_KEY": "b", "TATANGO_RATE_LIMIT": "fast"})
    client = TatangoClient.from_env({"TATANGO_EMAIL": "a@b.c", "TATANGO_API_KEY": "k" * 20})
    assert client.base_url == "https://app.tatango.com/api/v2"
    assert client.pacer.interval == pytest.approx(3.1)  # the documented 1200 calls per hour, plus a 0.1 s margin
    assert (
        TatangoClient.from_env({"TATANGO_EMAIL": "a", "TATANGO_API_KEY": "b", "TATANGO_RATE_LIMIT": "0"}).pacer.interval
        == 0
    )


def test_pacing_keeps_calls_the_interval_apart_without_sleeping(sandbox, clock):
    client = paced(sandbox, clock, rate=1200)
    for _ in range(5):
        client.me()
    gaps = [b - a for a, b in zip(client.pacer.starts, client.pacer.starts[1:], strict=False)]
    assert len(gaps) == 4 and all(gap >= 3.0 for gap in gaps)
    assert clock.sleeps == [pytest.approx(3.1)] * 4  # slept on the fake clock only


def test_rate_flag_sets_the_interval(sandbox, clock):
    client = paced(sandbox, clock, rate=120)  # one call every 30 s
    client.me()
    client.me()
    assert client.pacer.starts[1] - client.pacer.starts[0] == pytest.approx(30.1)


def test_429_with_retry_after_is_waited_out(sandbox, clock):
    set_faults(sandbox, rate_limit=2, rate_window=60)
    client = paced(sandbox, clock, rate=0)
    for _ in range(6):
        client.me()
    assert any(s >= 50 for s in clock.sleeps)  # Retry-After from the sandbox's 60 s window
    statuses = [r["status"] for r in sandbox.api_requests()]
    assert statuses.count(200) == 6 and 429 in statuses


def test_429_without_retry_after_backs_off(sandbox, clock):
    set_faults(sandbox, rate_limit=1, rate_window=10, retry_after=False)
    client = paced(sandbox, clock, rate=0, backoff_factor=2.0, backoff_jitter=0.0)
    client.me()
    client.me()
    assert clock.sleeps and all(s >= 1.0 for s in clock.sleeps)  # never an instant hammering retry


def test_reads_and_idempotent_writes_survive_a_429_storm_and_30_percent_5xx(sandbox, clock):
    client = paced(sandbox, clock, rate=0, retries=8)
    lst = client.create_list({"name": "Storm"})
    set_faults(sandbox, rate=0.3, kinds=["429", "500", "502", "503"], seed=11)
    for i in range(30):
        client.list_lists()
        client.update_list(lst["id"], {"message_help": f"v{i}"})
        client.set_keywords(lst["id"], [f"KW{i}"])
    assert client.get_list(lst["id"])["message_help"] == "v29"
    statuses = [r["status"] for r in sandbox.api_requests()]
    assert {429, 500, 502, 503} & set(statuses)


def test_get_is_retried_after_a_dropped_connection(sandbox, clock):
    client = paced(sandbox, clock, rate=0)
    set_faults(sandbox, script=[{"method": "GET", "path": "/lists", "fault": "drop_before", "times": 2}])
    assert client.list_lists() == []


def test_retries_are_bounded(sandbox, clock):
    client = paced(sandbox, clock, rate=0, retries=3)
    set_faults(sandbox, rate=1.0, kinds=["503"])
    with pytest.raises(ApiError) as err:
        client.me()
    assert err.value.status == 503
    assert len(sandbox.api_requests()) == 4


@pytest.mark.parametrize("fault", ["500", "502", "drop_before", "drop_after"])
def test_post_is_never_blindly_retried(sandbox, clock, fault):
    client = paced(sandbox, clock, rate=0)
    set_faults(sandbox, script=[{"method": "POST", "path": "/lists$", "fault": fault}])
    with pytest.raises(ApiError) as err:
        client.create_list({"name": "Once"})
    assert err.value.uncertain
    assert len(sandbox.api_requests("POST")) == 1


def test_post_is_retried_on_429_because_nothing_was_written(sandbox, clock):
    client = paced(sandbox, clock, rate=0)
    set_faults(sandbox, script=[{"method": "POST", "path": "/lists$", "fault": "429", "times": 2}])
    client.create_list({"name": "Eventually"})
    assert len(sandbox.api_requests("POST")) == 3 and len(client.list_lists()) == 1


def test_error_mapping_carries_status_error_method_and_path(client):
    with pytest.raises(ApiError) as err:
        client.get_list(12345)
    exc = err.value
    assert (exc.status, exc.error, exc.method, exc.path) == (404, "List not found", "GET", "/lists/12345")
    assert str(exc) == "GET /lists/12345: HTTP 404: List not found"


def test_transport_error_when_nothing_listens(clock):
    client = TatangoClient("http://127.0.0.1:9/api/v2", "a", "secret-key-123", rate_per_hour=0, clock=clock, retries=1)
    with pytest.raises(ApiError) as err:
        client.me()
    assert err.value.status is None and err.value.transport and "no answer from the API" in str(err.value)


def test_the_api_key_appears_in_no_log_exception_or_repr(sandbox, clock, caplog):
    key = SANDBOX_API_KEY
    encoded = base64.b64encode(f"{SANDBOX_EMAIL}:{key}".encode()).decode()
    caplog.set_level(logging.DEBUG)
    client = paced(sandbox, clock, rate=0, retries=2)
    set_faults(
        sandbox,
        script=[
            {"method": "GET", "path": "/lists", "fault": "500", "times": 5},
            {"method": "POST", "path": "/lists", "fault": "html403"},
        ],
    )
    texts = [repr(client), str(client.__dict__.get("base_url"))]
    for call in (client.list_lists, lambda: client.create_list({"name": "x"}), lambda: client.get_list(9)):
        with pytest.raises(ApiError) as err:
            call()
        texts += [str(err.value), repr(err.value), repr(err.value.__dict__)]
    texts += [r.getMessage() for r in caplog.records]
    assert caplog.records, "expected debug logs to check"
    for text in texts:
        assert key not in text and encoded not in text
    assert "****" in repr(client)


def test_a_keyword_test_is_a_read_only_post_and_is_retried(sandbox, clock):
    client = paced(sandbox, clock, rate=0)
    set_faults(
        sandbox,
        script=[
            {"method": "POST", "path": "test_keyword", "fault": "503", "times": 2},
            {"method": "POST", "path": "test_keyword", "fault": "drop_before"},
        ],
    )
    assert client.test_keyword("33733", "FRESH") == (True, None)
    assert len(sandbox.api_requests("POST")) == 4


def test_proxy_settings_are_resolved_once_per_client_not_per_call(sandbox, clock, monkeypatch):
    import requests.sessions

    lookups = []
    real = requests.sessions.get_environ_proxies
    monkeypatch.setattr(requests.sessions, "get_environ_proxies", lambda *a, **k: lookups.append(a) or real(*a, **k))
    client = paced(sandbox, clock, rate=0)
    for _ in range(5):
        client.me()
    assert len(lookups) == 1  # at set-up; it cost about 10% of a plan's CPU when done on every call


def test_exports_are_written_with_libyaml_when_available():
    import yaml

    from tatango_iac.exporter import _Dumper

    assert issubclass(_Dumper, getattr(yaml, "CSafeDumper", yaml.SafeDumper))
