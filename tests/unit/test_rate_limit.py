"""The client address used for rate limits cannot be chosen by the client."""

import pytest

from crm_app.rate_limit import client_ip


@pytest.mark.parametrize(
    "peer, forwarded, hops, expected",
    [
        ("203.0.113.9", None, 0, "203.0.113.9"),
        ("203.0.113.9", "1.2.3.4", 0, "203.0.113.9"),  # no trusted proxy: the header is ignored
        ("10.0.0.2", "198.51.100.7", 1, "198.51.100.7"),
        ("10.0.0.2", "6.6.6.6, 198.51.100.7", 1, "198.51.100.7"),  # client-written entry on the left is ignored
        ("10.0.0.2", "6.6.6.6, 198.51.100.7, 10.0.0.1", 2, "198.51.100.7"),
        ("10.0.0.2", "198.51.100.7", 2, "10.0.0.2"),  # fewer entries than proxies: fall back to the peer
        ("10.0.0.2", " , ", 1, "10.0.0.2"),
    ],
)
def test_client_ip(peer, forwarded, hops, expected):
    assert client_ip(peer, forwarded, hops) == expected
