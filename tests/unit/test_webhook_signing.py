"""Webhook signatures against the Standard Webhooks reference library's published test vector, and the endpoint
form's checks."""

import base64

import pytest

from crm_app.data.repositories.webhooks import InvalidEndpoint, checked_events, checked_url
from crm_app.webhook_signing import headers, new_secret, signature
from tests.webhook_receiver import InvalidSignature, verify

# standard-webhooks/standard-webhooks libraries/python/tests/test_webhooks.py, test_sign_function.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_signature_matches_the_specs_example():
    assert signature(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


def test_the_verifier_accepts_the_specs_example_and_nothing_altered():
    sent = {"webhook-id": SPEC_ID, "webhook-timestamp": str(SPEC_TIMESTAMP), "webhook-signature": SPEC_SIGNATURE}
    assert verify(SPEC_SECRET, sent, SPEC_BODY, now=SPEC_TIMESTAMP) == {"test": 2432232314}
    with pytest.raises(InvalidSignature):
        verify(SPEC_SECRET, sent, b'{"test": 2432232315}', now=SPEC_TIMESTAMP)
    with pytest.raises(InvalidSignature):
        verify(SPEC_SECRET, sent | {"webhook-id": "msg_other"}, SPEC_BODY, now=SPEC_TIMESTAMP)
    with pytest.raises(InvalidSignature):  # five minutes and one second late
        verify(SPEC_SECRET, sent, SPEC_BODY, now=SPEC_TIMESTAMP + 301)


def test_a_new_secret_is_32_random_bytes_and_signs_headers_the_verifier_accepts():
    secret = new_secret()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    assert new_secret() != secret
    sent = headers(secret, "msg_1", 1_800_000_000, b'{"a":1}')
    assert sent["webhook-id"] == "msg_1" and sent["webhook-timestamp"] == "1800000000"
    assert verify(secret, sent, b'{"a":1}', now=1_800_000_000) == {"a": 1}
    with pytest.raises(InvalidSignature):
        verify(new_secret(), sent, b'{"a":1}', now=1_800_000_000)


@pytest.mark.parametrize("url", ["https://hooks.example.com/crm", "http://localhost:8080/x", "http://127.0.0.1:9/h",
                                 "http://[::1]:8000/", "  https://example.com  "])
def test_https_or_plain_http_to_this_machine(url):
    assert checked_url(url) == url.strip()


@pytest.mark.parametrize(("url", "message"), [
    ("", "Enter the endpoint's URL"),
    ("http://example.com/hooks", "plain http is only allowed to localhost"),
    ("http://10.0.0.5/hooks", "plain http is only allowed to localhost"),
    ("ftp://example.com/", "starting with https://"),
    ("https:///nohost", "starting with https://"),
    ("https://user:pw@example.com/", "user name and password"),
    ("https://exa mple.com/", "without spaces"),
    ("https://example.com:99999/", "not a valid URL"),
    (42, "Enter the endpoint's URL"),
])
def test_other_urls_are_refused_with_a_reason(url, message):
    with pytest.raises(InvalidEndpoint, match=message) as refused:
        checked_url(url)
    assert refused.value.field == "url"


def test_events_come_from_the_list_in_its_order():
    assert checked_events(["deal.won", "customer.created"]) == ["customer.created", "deal.won"]
    for bad in ([], ["customer.deleted"], ["deal.won", 3], "deal.won", None):
        with pytest.raises(InvalidEndpoint, match="Choose at least one event"):
            checked_events(bad)
