"""The device part of the context, parsed from real user agents."""

from __future__ import annotations

import pytest

from flowctl.engine.device import device_from

SAFARI_MAC = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
              "Version/17.1 Safari/605.1.15")
CHROME_WIN = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/120.0.0.0 Safari/537.36")
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.1 Mobile/15E148 Safari/604.1")
IPAD = ("Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.1 Mobile/15E148 Safari/604.1")
ANDROID_PHONE = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                 "Chrome/120.0.6099.144 Mobile Safari/537.36")
ANDROID_TABLET = ("Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/120.0.0.0 Safari/537.36")
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
BINGBOT = ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; "
           "+http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36")
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
EDGE = CHROME_WIN + " Edg/120.0.2210.91"
SAMSUNG = ("Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
           "SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36")
KINDLE = ("Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Silk/108.5.1 like Chrome/108.0.5359.220 Safari/537.36")

CASES = [
    (SAFARI_MAC, "desktop", "Safari", "17.1", "Mac OS X", "10.15.7"),
    (CHROME_WIN, "desktop", "Chrome", "120.0.0", "Windows", "10"),
    (IPHONE, "mobile", "Mobile Safari", "17.1", "iOS", "17.1"),
    (IPAD, "tablet", "Mobile Safari", "17.1", "iOS", "17.1"),
    (ANDROID_PHONE, "mobile", "Chrome Mobile", "120.0.6099", "Android", "14"),
    (ANDROID_TABLET, "tablet", "Chrome", "120.0.0", "Android", "13"),
    (GOOGLEBOT, "bot", "Googlebot", "2.1", None, None),
    (BINGBOT, "bot", "bingbot", "2.0", None, None),
    (FIREFOX_LINUX, "desktop", "Firefox", "121.0", "Linux", None),
    (EDGE, "desktop", "Edge", "120.0.2210", "Windows", "10"),
    (SAMSUNG, "mobile", "Samsung Internet", "23.0", "Android", "13"),
    (KINDLE, "tablet", None, None, "Android", "9"),
]


@pytest.mark.parametrize(("ua", "kind", "browser", "browser_version", "os", "os_version"), CASES)
def test_parsed_from_user_agent(ua: str, kind: str, browser: str | None, browser_version: str | None,
                                os: str | None, os_version: str | None) -> None:
    device = device_from({"user_agent": ua})
    assert device["user_agent"] == ua
    assert device["type"] == kind
    if browser is not None:
        assert device["browser"] == browser
        assert device["browser_version"] == browser_version
    assert device.get("os") == os
    assert device.get("os_version") == os_version


def test_explicit_fields_win() -> None:
    device = device_from({"user_agent": IPHONE, "type": "tablet", "browser": "Custom", "os_version": None})
    assert device["type"] == "tablet"
    assert device["browser"] == "Custom"
    assert device["os"] == "iOS" and device["os_version"] == "17.1"  # None is filled


def test_without_user_agent_nothing_is_invented() -> None:
    assert device_from({}) == {}
    assert device_from(None) == {}
    assert device_from({"type": "mobile"}) == {"type": "mobile"}
    assert device_from({"user_agent": "  "}) == {"user_agent": "  "}


def test_unknown_user_agent_is_desktop() -> None:
    device = device_from({"user_agent": "something odd"})
    assert device["type"] == "desktop"
    assert "browser" not in device and "os" not in device


def test_input_is_not_mutated() -> None:
    given = {"user_agent": CHROME_WIN}
    device_from(given)
    assert given == {"user_agent": CHROME_WIN}


def test_lint_does_not_import_ua_parser() -> None:
    import subprocess
    import sys

    code = ("import sys, flowctl.engine.device, flowctl.cli.app; "
            "print('ua_parser' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
