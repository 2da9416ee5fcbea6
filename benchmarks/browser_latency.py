"""Mouse-up to prediction shown, in headless Chromium: the app against a bare canvas app.

    python benchmarks/browser_latency.py [--trials 15]

Both apps run under `streamlit run` on localhost. Each trial clears the
canvas, draws a digit with the mouse, and times from the mouse-up to the
moment the page shows the "Prediction" metric (polled every animation
frame). The bare app (benchmarks/bare_canvas_app.py) has the same canvas and
one metric and nothing else: it is the floor that Streamlit and the canvas
set. The goal is the app within 1.2x of it.
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from test_browser import CHROMIUM, CHROMIUM_ARGS, canvas_box, draw, free_port, start_app  # noqa: E402

METRIC = '[data-testid="stMetricValue"]'


def trial(page, digit: str) -> float:
    """Seconds from mouse-up to a Prediction metric on the page, after clearing the canvas."""
    page.get_by_role("button", name="Clear the canvas").click()
    page.wait_for_function(f"document.querySelectorAll('{METRIC}').length === 0", timeout=20_000)
    page.wait_for_timeout(300)  # let the new canvas mount
    started = []
    draw(page, digit, before_last_release=lambda: started.append(time.perf_counter()))
    page.wait_for_function(f"document.querySelectorAll('{METRIC}').length > 0", timeout=20_000, polling="raf")
    return time.perf_counter() - started[0]


def measure(browser, script: str, trials: int) -> list[float]:
    port = free_port()
    proc = start_app(port, script=script)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.goto(f"http://127.0.0.1:{port}/")
        canvas_box(page)
        page.wait_for_timeout(1000)
        digits = ["1", "7", "0"]
        trial(page, "7")  # warm-up: first model load, first render
        times = [trial(page, digits[i % 3]) for i in range(trials)]
        page.close()
        return times
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=15)
    args = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        results = {}
        for name, script in (("bare canvas app", "benchmarks/bare_canvas_app.py"), ("app.py", "app.py"),
                             ("bare canvas app (again)", "benchmarks/bare_canvas_app.py")):
            times = measure(browser, script, args.trials)
            results[name] = times
            print(f"{name:<24} median {statistics.median(times) * 1000:6.0f} ms   "
                  f"min {min(times) * 1000:4.0f}  max {max(times) * 1000:5.0f}  (n={len(times)})", flush=True)
        browser.close()
    bare = statistics.median(results["bare canvas app"] + results["bare canvas app (again)"])
    app = statistics.median(results["app.py"])
    print(f"app / bare = {app / bare:.2f}  (goal: 1.2 or less)")


if __name__ == "__main__":
    main()
