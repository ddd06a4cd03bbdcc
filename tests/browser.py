"""A real headless Chromium for the page tests (Debian's chromium and chromium-driver)."""
from __future__ import annotations

import shutil
from typing import Any

import pytest


def chromium(window_size: str, console_log: bool = False) -> Any:
    """A selenium session; fails the test with the install command when Chromium is missing."""
    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not binary or not driver:
        pytest.fail("Chromium is needed for the browser tests: apt-get install chromium chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={window_size}"):
        options.add_argument(flag)
    if console_log:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)
