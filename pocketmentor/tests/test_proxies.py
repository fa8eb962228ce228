import ipaddress

import pytest
from django.test import Client

from pocketmentor.lib.proxies import client_address

PROXIES = [ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("10.0.0.0/24")]


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        ("127.0.0.1", "", "127.0.0.1"),  # a health check on loopback, no proxy
        ("127.0.0.1", "198.51.100.7", "198.51.100.7"),
        ("127.0.0.1", "198.51.100.7, 10.0.0.5", "198.51.100.7"),  # two trusted hops
        ("127.0.0.1", "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # the client made up the left
        ("127.0.0.1", "10.0.0.9, 10.0.0.5", "10.0.0.9"),  # all trusted: the furthest hop
        ("127.0.0.1", "198.51.100.7:5123", "198.51.100.7"),  # a hop with its port
        ("127.0.0.1", "[2001:db8::7]:443", "2001:db8::7"),
        ("127.0.0.1", "unknown, 10.0.0.5", "10.0.0.5"),  # not an address: the last known hop
        ("::ffff:127.0.0.1", "198.51.100.7", "198.51.100.7"),  # IPv4 seen through IPv6
        ("203.0.113.9", "198.51.100.7", "203.0.113.9"),  # an untrusted peer's header is ignored
        ("203.0.113.9", "", "203.0.113.9"),
    ],
)
def test_client_is_the_first_untrusted_hop_from_the_right(peer, forwarded_for, client):
    assert client_address(peer, forwarded_for, PROXIES) == client


def test_no_trusted_proxies_means_the_peer_is_always_the_client():
    assert client_address("127.0.0.1", "198.51.100.7", []) == "127.0.0.1"


@pytest.fixture
def echo_address(settings):
    """Serve a page that shows what every later middleware and view sees."""
    settings.ROOT_URLCONF = "pocketmentor.tests.urls_echo"


def test_middleware_gives_views_the_client_address_behind_a_trusted_proxy(echo_address):
    client = Client(REMOTE_ADDR="127.0.0.1", headers={"x-forwarded-for": "198.51.100.7"})
    seen = client.get("/echo").json()
    assert seen == {"address": "198.51.100.7", "peer": "127.0.0.1", "secure": False}


def test_untrusted_peer_can_fake_neither_its_address_nor_https(echo_address, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    headers = {"x-forwarded-for": "198.51.100.7", "x-forwarded-proto": "https"}
    seen = Client(REMOTE_ADDR="203.0.113.9", headers=headers).get("/echo").json()
    assert seen == {"address": "203.0.113.9", "peer": "203.0.113.9", "secure": False}
    trusted = Client(REMOTE_ADDR="127.0.0.1", headers=headers).get("/echo").json()
    assert trusted["secure"] is True


def test_trusted_proxies_come_from_the_setting(echo_address, settings):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.2")]
    headers = {"x-forwarded-for": "198.51.100.7"}
    assert Client(REMOTE_ADDR="10.0.0.2", headers=headers).get("/echo").json()["address"] == (
        "198.51.100.7"
    )
    assert Client(REMOTE_ADDR="127.0.0.1", headers=headers).get("/echo").json()["address"] == (
        "127.0.0.1"
    )
