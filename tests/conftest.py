"""Shared test set-up: hypothesis profiles, and skips that become failures in CI (ESXISTATE_NO_SKIP=1)."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
# Not used in CI: HYPOTHESIS_PROFILE=thorough runs 10,000 examples per property (see the README's testing section)
settings.register_profile(
    "thorough",
    max_examples=10_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

NO_SKIP = os.environ.get("ESXISTATE_NO_SKIP") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if NO_SKIP and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.longrepr = f"skipped while ESXISTATE_NO_SKIP=1 (CI must run every test): {reason}"


def pytest_collection_modifyitems(config, items):
    """`@pytest.mark.exe("tar")`: the test needs that program; without it the test is skipped (a failure in CI)."""
    import shutil

    for item in items:
        for mark in item.iter_markers("exe"):
            name = mark.args[0] if mark.args else "?"
            if shutil.which(name) is None:
                item.add_marker(pytest.mark.skip(reason=f"needs the {name!r} program, which is not installed"))


@pytest.fixture
def ipython():
    """A real IPython shell (one per test session) with `%load_ext esxistate` done."""
    from IPython.testing.globalipapp import get_ipython

    ip = get_ipython()
    if "esxistate" not in ip.extension_manager.loaded:
        ip.run_line_magic("load_ext", "esxistate")
    return ip


@pytest.fixture
def chromium():
    """`chromium(playwright)` launches Debian's Chromium, headless, with the flags this machine's closed network needs
    (no background networking, which would try addresses that are refused)."""
    import shutil

    def launch(playwright):
        return playwright.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )

    return launch
