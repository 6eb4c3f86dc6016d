"""JupyterLab in a real browser: open lesson 02, run all cells, and check that the SVG diagram and the live
Dashboard show, and that clicking a Dashboard button changes the diagram. A screenshot is kept in tmp_path."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).parent.parent / "notebooks"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    pytest.importorskip("jupyterlab", reason="needs jupyterlab (pip install -e '.[test]')")
    work = tmp_path / "nb"
    work.mkdir()
    shutil.copy(NOTEBOOKS / "02-overlays.ipynb", work)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "config"), JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"))
    subprocess.run(
        [sys.executable, "-m", "jupyter", "labextension", "disable", "@jupyterlab/apputils-extension:announcements"],
        env=env,
        check=True,
        capture_output=True,
    )
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--ip",
            "127.0.0.1",
            f"--port={port}",
            "--ServerApp.token=",
            "--ServerApp.password=",
            "--allow-root",
            f"--ServerApp.root_dir={work}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{url}/api/status", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("JupyterLab did not start within 60 s")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.mark.exe("chromium")
def test_lesson_02_runs_in_jupyterlab_with_live_widgets(lab, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=shutil.which("chromium"),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.goto(f"{lab}/lab/tree/02-overlays.ipynb", timeout=90_000)
        page.wait_for_selector(".jp-Notebook", timeout=90_000)
        select = page.locator(".jp-Dialog button:has-text('Select')")
        try:  # a fresh environment may ask which kernel to start: take the one offered, as a student would
            select.wait_for(timeout=8_000)
            select.click()
        except sync_api.TimeoutError:
            pass
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)
        page.click(".lm-MenuBar-itemLabel:text-is('Run')", timeout=30_000)
        page.click(".lm-Menu-itemLabel:text-is('Run All Cells')", timeout=30_000)
        install = page.locator(".jp-OutputArea button:has-text('Install sample VIB')")
        try:
            install.wait_for(timeout=120_000)
        except sync_api.TimeoutError:
            page.screenshot(path=str(tmp_path / "failed.png"))
            errors = page.locator("[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()
            prompts = page.locator(".jp-InputPrompt").all_inner_texts()
            pytest.fail(f"the Dashboard never showed; prompts {prompts}; error outputs: {errors[:3]}")
        assert page.locator(".jp-RenderedSVG img").first.is_visible()  # the layer_stack diagram cell
        dashboard_svg = page.locator(".jp-OutputArea .widget-html svg").first
        dashboard_svg.wait_for(timeout=30_000)
        before = dashboard_svg.inner_html()
        assert "lab_motd.v00" not in before
        install.click()
        page.wait_for_function(
            "[...document.querySelectorAll('.widget-html svg')].some(s => s.innerHTML.includes('lab_motd.v00'))",
            timeout=30_000,
        )
        page.locator(".widget-html:has-text('installed live')").first.wait_for(timeout=30_000)
        install.scroll_into_view_if_needed()
        page.mouse.wheel(0, 60)
        page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=False)
        if os.environ.get("ESXISTATE_SAVE_SCREENSHOTS"):
            shutil.copy(tmp_path / "dashboard.png", Path(os.environ["ESXISTATE_SAVE_SCREENSHOTS"]) / "dashboard.png")
        browser.close()
