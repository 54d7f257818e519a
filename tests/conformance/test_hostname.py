"""docker/cli's ConvertToHostname table, run against the key matching of config.json logins.

Source: docker/cli cli/config/credentials/file_store_test.go, TestConvertToHostname.
"""

from __future__ import annotations

import pytest

from watchtower.registry._hosts import convert_to_hostname

# (input, expected): every case, the FIXME ones included as docker/cli pins them.
CASES = [
    ("127.0.0.1", "127.0.0.1"),
    ("::1", "::1"),
    ("[::1]", "[::1]"),
    ("example.com", "example.com"),
    ("http://example.com", "example.com"),
    ("https://example.com", "example.com"),
    ("https://example.com/", "example.com"),
    ("https://example.com/v2/", "example.com"),
    ("unix:///var/run/docker.sock", "unix:"),
    ("ftp://example.com", "example.com"),
    ("127.0.0.1:6556", "127.0.0.1:6556"),
    ("::1:6556", "::1:6556"),
    ("[::1]:6556", "[::1]:6556"),
    ("example.com:6555", "example.com:6555"),
    ("https://127.0.0.1:6555/v2/", "127.0.0.1:6555"),
    ("https://::1:6555/v2/", "[::1]:6555"),
    ("https://[::1]:6555/v2/", "[::1]:6555"),
    ("http://example.com:6555", "example.com:6555"),
    ("https://example.com:6555", "example.com:6555"),
    ("https://example.com:6555/v2/", "example.com:6555"),
]


@pytest.mark.parametrize(("address", "expected"), CASES)
def test_convert_to_hostname(address: str, expected: str) -> None:
    """file_store_test.go TestConvertToHostname."""
    assert convert_to_hostname(address) == expected
