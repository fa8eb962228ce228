"""Chromium for the browser tests: where it is, how it starts, a phone's size."""

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
PHONE = {"width": 390, "height": 844}

needs_chromium = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
        reason="Chromium is not installed (apt-get install chromium); CI always runs this.",
    ),
]


def artifact(name: str) -> str:
    """Where a test leaves a screenshot for people to look at."""
    folder = os.environ.get("TEST_ARTIFACTS", "test-artifacts")
    os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, name)
