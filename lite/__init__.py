"""The course as a static JupyterLite site: `build` makes it, `serve` serves it on this computer, `drive` runs its
lessons in Chromium. Tools of this repository, not part of the esxistate package; the browser test
(tests/test_jupyterlite.py) and the timing script (bench/lite_bench.py) import them from here."""
