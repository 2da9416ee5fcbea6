"""Mouse-up to prediction shown, in headless Chromium: the app against a bare canvas app.

    python benchmarks/browser_latency.py [--trials 15]
    python benchmarks/browser_latency.py --number [--trials 15]   # a 4-digit number against one digit

Both apps run under `streamlit run` on localhost. Each trial clears the
canvas, draws a digit with the mouse, and times from the mouse-up to the
moment the page shows the "Prediction" metric (polled every animation
frame). The bare app (benchmarks/bare_canvas_app.py) has the same canvas and
one metric and nothing else: it is the floor that Streamlit and the canvas
set. The goal is the app within 1.2x of it.

With --number it times the app only: one digit in Digit mode, then a
4-digit number ("1470") written on the Number canvas, each from the last
mouse-up to the answer for the whole drawing shown. The goal is the number
within 1.5x of the digit.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import statistics
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from test_browser import CHROMIUM, CHROMIUM_ARGS, NUMBER, OVERLAPPING_10, canvas_box, draw, free_port, start_app, stroke  # noqa: E402

# "1470" on the 840x280 number canvas: the test's 1, 4 and 7, and the 0 of its overlapping "10" moved right.
NUMBER_1470 = NUMBER["1"] + NUMBER["4"] + NUMBER["7"] + [[(x + 0.55, y) for x, y in OVERLAPPING_10[1]]]

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


def number_trial(page) -> float:
    """Seconds from the last mouse-up of a 4-digit number to a 4-digit answer, after clearing the canvas."""
    page.get_by_role("button", name="Clear the canvas").click()
    page.wait_for_function(f"document.querySelectorAll('{METRIC}').length === 0", timeout=20_000)
    page.wait_for_timeout(300)
    box = canvas_box(page)
    started = []
    for k, path in enumerate(NUMBER_1470):
        last = k == len(NUMBER_1470) - 1
        stroke(page, box, path, before_release=(lambda: started.append(time.perf_counter())) if last else None)
    page.wait_for_function(
        f"(() => {{ const m = document.querySelector('{METRIC}'); return m && m.innerText.trim().length === 4; }})()",
        timeout=20_000, polling="raf")
    seconds = time.perf_counter() - started[0]
    READ.append(page.locator(METRIC).first.inner_text().strip())
    return seconds


READ: list[str] = []  # what each number trial read


def measure_number(browser, trials: int) -> tuple[list[float], list[float]]:
    """app.py: `trials` single digits in Digit mode, then `trials` 4-digit numbers in Number mode."""
    port = free_port()
    proc = start_app(port)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.goto(f"http://127.0.0.1:{port}/")
        canvas_box(page)
        page.wait_for_timeout(1000)
        trial(page, "7")
        digit = [trial(page, ["1", "7", "0"][i % 3]) for i in range(trials)]
        page.locator("button").filter(has_text=re.compile(r"^Number$")).click()
        page.wait_for_timeout(1000)
        number_trial(page)
        number = [number_trial(page) for _ in range(trials)]
        page.close()
        return digit, number
    finally:
        proc.terminate()
        proc.wait(timeout=10)


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
    parser.add_argument("--number", action="store_true", help="a 4-digit number against one digit, in app.py")
    args = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        if args.number:
            digit, number = measure_number(browser, args.trials)
            browser.close()
            for name, times in (("one digit", digit), ("4-digit number", number)):
                print(f"{name:<16} median {statistics.median(times) * 1000:6.0f} ms   "
                      f"min {min(times) * 1000:4.0f}  max {max(times) * 1000:5.0f}  (n={len(times)})")
            print(f"read: {', '.join(sorted(set(READ)))} ({READ.count('1470')} of {len(READ)} read 1470)")
            print(f"number / digit = {statistics.median(number) / statistics.median(digit):.2f}  (goal: 1.5 or less)")
            return
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
