"""The app in a real browser: Debian's Chromium, driven by Playwright, drawing with the mouse.

Skipped where Chromium is not installed, except under CI (CI=true), where
.ci/run installs it and a missing browser is a failure.
"""

import io
import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile

import numpy as np
import pytest
from PIL import Image
from conftest import ROOT

CHROMIUM = shutil.which("chromium")
if CHROMIUM is None and os.environ.get("CI") != "true":
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]

# Strokes of each digit in canvas fractions (x right, y down): a list of polylines.
STROKES = {
    "1": [[(0.52, 0.15), (0.5, 0.85)]],
    "7": [[(0.25, 0.2), (0.75, 0.2), (0.42, 0.85)]],
    "0": [[(0.5, 0.15), (0.72, 0.3), (0.75, 0.6), (0.6, 0.83), (0.4, 0.83), (0.26, 0.6), (0.28, 0.3), (0.5, 0.15)]],
}
# A 1 whose flag starts right of the stem and hooks back, in one stroke: its picture is a closed-top 4 to
# the image network, its path a 1 to the pen network.
HOOKED_1 = [(0.58, 0.58), (0.32, 0.66), (0.56, 0.12), (0.56, 0.88)]
# The same 0 a fifth of the size, round the canvas's centre: under the default 20 px pen its hole closes.
STROKES["small 0"] = [[(0.5 + (x - 0.5) / 5, 0.5 + (y - 0.5) / 5) for x, y in STROKES["0"][0]]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(port: int, env: dict | None = None, script: str = "app.py") -> subprocess.Popen:
    """`streamlit run <script>` on 127.0.0.1:port; returns once the server answers its health check."""
    log = tempfile.TemporaryFile()  # not a pipe: nobody reads it while the app runs, so it must not fill
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    log.seek(0)
    raise RuntimeError("streamlit did not start:\n" + log.read().decode(errors="replace"))


def canvas_box(page) -> dict:
    """The bounding box of the largest visible canvas (Fabric stacks two of the same size)."""
    page.wait_for_selector("canvas", state="visible", timeout=30_000)
    boxes = [c.bounding_box() for c in page.locator("canvas").all() if c.is_visible()]
    return max((b for b in boxes if b), key=lambda b: b["width"] * b["height"])


def draw(page, digit: str, before_last_release=None) -> None:
    """Draw `digit` with the mouse; `before_last_release()` is called just before the final mouse-up."""
    box = canvas_box(page)
    strokes = STROKES[digit]
    for k, path in enumerate(strokes):
        stroke(page, box, path, before_release=before_last_release if k == len(strokes) - 1 else None)


def stroke(page, box: dict, path, before_release=None) -> None:
    """One mouse stroke through `path` (fractions of the canvas `box`), in small steps as a hand moves."""
    points = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in path]
    page.mouse.move(*points[0])
    page.mouse.down()
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        for t in range(1, 11):
            page.mouse.move(x0 + (x1 - x0) * t / 10, y0 + (y1 - y0) * t / 10)
    if before_release:
        before_release()
    page.mouse.up()


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    return tmp_path_factory.mktemp("store") / "drawings.db"


@pytest.fixture(scope="module")
def app_url(db_path):
    port = free_port()
    proc = start_app(port, env={"DIGITS_DB": str(db_path)})  # never the person's own data/drawings.db
    yield f"http://127.0.0.1:{port}/"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def wait_until_idle(page) -> None:
    """Until the app's script has finished its run: a button clicked mid-run may be re-mounted under the click."""
    expect(page.locator('[data-testid="stApp"]')).to_have_attribute("data-test-script-state", "notRunning", timeout=30_000)


def clear(page, prompt: str) -> None:
    """Click "Clear the canvas" and wait until the empty canvas, with its `prompt`, is ready to draw on."""
    page.get_by_role("button", name="Clear the canvas").click()
    expect(page.get_by_text(prompt)).to_be_visible(timeout=20_000)
    expect(page.locator('[data-testid="stMetricValue"]')).to_have_count(0)
    # Clearing puts a new canvas in the old one's place, and the new one reports itself once mounted
    # (another run): strokes drawn in between can be lost. A hand takes a second to go from the
    # button to the canvas; the test waits as long.
    wait_until_idle(page)
    page.wait_for_timeout(1000)
    wait_until_idle(page)


def prediction(page):
    return page.locator('[data-testid="stMetricValue"]').first


def test_draw_clear_draw_again_in_a_real_browser(app_url, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    page.goto(app_url)
    expect(page.get_by_text("Draw a digit on the black square…")).to_be_visible(timeout=30_000)
    for digit in ["1", "7", "0"]:
        draw(page, digit)
        expect(prediction(page)).to_have_text(digit, timeout=20_000)
        expect(page.get_by_text(re.compile(r"^11\. Standardized tensor"))).to_be_visible(timeout=20_000)
        expect(page.get_by_text(f"Evidence for {digit}:")).to_be_visible()
        if digit == "0":
            page.screenshot(path=str(tmp_path / "app.png"), full_page=True)
            if os.environ.get("UPDATE_SCREENSHOT"):
                shutil.copy(tmp_path / "app.png", ROOT / "docs" / "screenshot.png")
        clear(page, "Draw a digit on the black square…")
    assert (tmp_path / "app.png").stat().st_size > 10_000


def test_a_number_written_on_the_digit_canvas_is_told_to_go_to_number_mode(app_url, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    page.goto(app_url)
    expect(page.get_by_text("Draw a digit on the black square…")).to_be_visible(timeout=30_000)
    box = canvas_box(page)
    for path in [[(0.15, 0.3), (0.15, 0.7)], [(0.55, 0.3), (0.85, 0.3), (0.65, 0.7)]]:  # "17", small, apart
        stroke(page, box, path)
    expect(page.get_by_text(re.compile(r"^This looks like 2 digits, 17, and Digit mode reads one digit"))).to_be_visible(
        timeout=20_000)
    page.get_by_role("button", name="Read it as a number").click()  # the same strokes, on the number strip
    expect(page.get_by_text("Write a number on the black strip…")).to_have_count(0)
    expect(prediction(page)).to_have_text("17", timeout=20_000)
    expect(page.get_by_text(re.compile(r"^2 digits found from your strokes"))).to_be_visible(timeout=20_000)
    wait_until_idle(page)
    for path in NUMBER["4"]:  # and the number goes on where it was left: "174"
        stroke(page, canvas_box(page), [(x + 0.1, y) for x, y in path])
    expect(prediction(page)).to_have_text("174", timeout=20_000)


def test_a_small_digit_under_a_fat_pen_is_redrawn_from_its_strokes(app_url, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    page.goto(app_url)
    expect(page.get_by_text("Draw a digit on the black square…")).to_be_visible(timeout=30_000)
    draw(page, "small 0")  # the canvas's json_data, read by the app: 20 px pen, about 55 px tall
    expect(page.get_by_text(re.compile(r"^2\. Redrawn thinner — Your strokes drawn again with a [0-9.]+ px pen "
                                       r"instead of 20 px"))).to_be_visible(timeout=20_000)
    expect(prediction(page)).to_have_text("0", timeout=20_000)


def test_how_a_digit_was_written_counts_where_its_picture_leaves_doubt(app_url, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    page.goto(app_url)
    expect(page.get_by_text("Draw a digit on the black square…")).to_be_visible(timeout=30_000)
    # A 1 written in one stroke, up from its foot and straight down again: the picture alone is a
    # less sure 1 (or a closed-top 4), the pen's path is plainly a 1.
    stroke(page, canvas_box(page), [(0.35, 0.85), (0.6, 0.15), (0.6, 0.85)])
    expect(prediction(page)).to_have_text("1", timeout=20_000)
    expect(page.get_by_text(re.compile(r"sure \(calibrated, with how you wrote it\)"))).to_be_visible(timeout=20_000)
    expect(page.get_by_text(re.compile(r"^How you wrote it, as the pen network reads it beside the 28×28: your 1 stroke,"))
           ).to_be_visible(timeout=20_000)
    clear(page, "Draw a digit on the black square…")
    draw(page, "7")  # a plain 7, which the picture alone reads beyond doubt: the pen is not asked, nor said to be
    expect(prediction(page)).to_have_text("7", timeout=20_000)
    expect(page.get_by_text(re.compile(r"sure \(calibrated\)\."))).to_be_visible(timeout=20_000)
    clear(page, "Draw a digit on the black square…")
    stroke(page, canvas_box(page), HOOKED_1)
    expect(prediction(page)).to_have_text("1", timeout=20_000)
    expect(page.get_by_text(re.compile(r"^From the picture alone the CNN reads 4 \(\d+\.\d%\); how you wrote it points to a 1\.$"))
           ).to_be_visible(timeout=20_000)


def test_phone_width_screen_can_draw(app_url, browser):
    page = browser.new_page(viewport={"width": 390, "height": 1600}, has_touch=True)
    page.goto(app_url)
    box = canvas_box(page)
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390  # the whole canvas is on screen
    draw(page, "7")
    expect(prediction(page)).to_have_text("7", timeout=20_000)


PHONE_AGENT = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/126.0 Mobile Safari/537.36")


def test_a_number_on_a_phone_gets_a_canvas_as_wide_as_the_screen(app_url, browser):
    page = browser.new_page(viewport={"width": 390, "height": 1600}, has_touch=True, user_agent=PHONE_AGENT,
                            device_scale_factor=3)  # a phone's screen: 3 pixels to the CSS pixel
    page.goto(app_url)
    page.locator("button").filter(has_text=re.compile(r"^Number$")).click()
    expect(page.get_by_text("Write a number on the black strip…")).to_be_visible(timeout=20_000)
    deadline = time.time() + 20
    while (box := canvas_box(page))["width"] <= 2 * box["height"] and time.time() < deadline:
        page.wait_for_timeout(200)  # the digit canvas may still be on the page while the number one mounts
    page.wait_for_timeout(500)
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["width"] > 2 * box["height"]
    for path in NUMBER["1"] + NUMBER["7"]:
        stroke(page, box, path)
    expect(prediction(page)).to_have_text("17", timeout=20_000)
    # The canvas's toolbar shows over the strip's top edge while the pen is on it: it must leave the
    # strip's buttons above free to tap (Narrow's right end).
    narrow = page.locator("button").filter(has_text=re.compile(r"^Narrow$")).bounding_box()
    end = (narrow["x"] + 0.9 * narrow["width"], narrow["y"] + narrow["height"] / 2)
    assert page.evaluate("([x, y]) => document.elementFromPoint(x, y).closest('button')?.innerText", end) == "Narrow"
    # The default 20 px pen on the 128 px strip draws 9 px wide (strip_pen()): the 1, upright in the
    # strip's first eighth, is about that wide half way down (3 screen pixels to the CSS pixel).
    shot = np.asarray(Image.open(io.BytesIO(page.locator("canvas").first.screenshot())).convert("L"))
    row = shot[shot.shape[0] // 2, : shot.shape[1] // 6]
    assert 6 * 3 <= np.count_nonzero(row > 128) <= 12 * 3


TABLET_AGENT = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                "Version/17.0 Safari/605.1.15")  # an iPad's Safari says it is a Mac


def visible_share(page) -> float:
    """How much of the canvas's width its scrolling box shows (1: all of it)."""
    return page.locator("canvas").first.evaluate("e => { const s = e.closest('.dc-scroll'); return s.clientWidth / s.scrollWidth; }")


def test_a_number_strip_cut_off_on_a_tablet_can_be_made_narrower(app_url, browser):
    page = browser.new_page(viewport={"width": 820, "height": 1400}, has_touch=True, user_agent=TABLET_AGENT)
    page.goto(app_url)
    page.locator("button").filter(has_text=re.compile(r"^Number$")).click()
    expect(page.get_by_text("Write a number on the black strip…")).to_be_visible(timeout=20_000)
    wait_until_idle(page)
    assert visible_share(page) < 0.9  # the wide strip, with the sidebar open, is partly off screen
    page.locator("button").filter(has_text=re.compile(r"^Narrow$")).click()
    deadline = time.time() + 20
    while (box := canvas_box(page))["width"] > 400 and time.time() < deadline:
        page.wait_for_timeout(200)
    page.wait_for_timeout(500)
    box = canvas_box(page)
    assert 300 <= box["width"] <= 340 and box["width"] > 2 * box["height"] and visible_share(page) == 1
    for path in NUMBER["1"] + NUMBER["7"]:
        stroke(page, box, path)
    expect(prediction(page)).to_have_text("17", timeout=20_000)


def test_mark_a_drawing_wrong_pick_the_digit_and_see_it_saved(app_url, browser, db_path):
    from store import DrawingStore

    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    page.goto(app_url)
    draw(page, "1")
    expect(prediction(page)).to_have_text("1", timeout=20_000)
    page.locator("button").filter(has_text=re.compile(r"^7$")).click()  # "no, it is a 7": one tap
    expect(page.get_by_text("Saved as 7")).to_be_visible(timeout=20_000)
    saved = DrawingStore(db_path).drawings("local")
    assert [(d.label, d.source, d.predicted) for d in saved] == [(7, "canvas", 1)]
    assert saved[0].strokes["objects"][0]["type"].lower() == "path" and saved[0].stroke_width == 20
    page.get_by_role("link", name="My drawings").click()
    expect(page.get_by_text("1 drawing saved")).to_be_visible(timeout=20_000)
    wait_until_idle(page)
    with page.expect_download(timeout=20_000) as download:
        page.get_by_role("button", name="Export my drawings (.zip)").click()
    with zipfile.ZipFile(download.value.path()) as zf:
        assert sorted(zf.namelist()) == ["7/1.png", "drawings.json"]
        assert json.loads(zf.read("drawings.json"))["drawings"][0]["label"] == 7


def test_what_each_step_buys_in_a_real_browser(app_url, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    page.goto(app_url)
    draw(page, "7")
    expect(prediction(page)).to_have_text("7", timeout=20_000)
    expect(page.get_by_text("Evidence for 7:")).to_be_visible()
    page.get_by_text("What each step buys").click()
    switched = page.locator('[data-testid="stImage"]').filter(has_text="With your switches").locator("img")
    expect(switched).to_be_visible(timeout=20_000)
    before = switched.get_attribute("src")
    page.get_by_text("Stroke-width normalisation").click()  # off: the 28x28 the network gets changes
    expect(switched).not_to_have_attribute("src", before, timeout=20_000)
    expect(page.get_by_text(re.compile(r"^With your switches: CNN says"))).to_be_visible()


NUMBER = {  # "147" on the 840x280 number canvas, in its fractions
    "1": [[(0.12, 0.2), (0.115, 0.8)]],
    "4": [[(0.40, 0.2), (0.33, 0.6), (0.50, 0.6)], [(0.45, 0.35), (0.45, 0.85)]],
    "7": [[(0.62, 0.2), (0.80, 0.2), (0.68, 0.85)]],
}
COMMA = [(0.565, 0.80), (0.55, 0.92)]  # low in the gap between the 4 and the 7: "14,7"
# "10" with the 1 drawn through the 0's side: one blob of ink, two digits by the order of the strokes.
OVERLAPPING_10 = [[(0.30, 0.15), (0.30, 0.85)],
                  [(0.36 + 0.07 * math.sin(t), 0.5 - 0.32 * math.cos(t)) for t in [k * math.pi / 10 for k in range(21)]]]


def test_write_a_three_digit_number_and_read_it_back(app_url, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    page.goto(app_url)
    page.locator("button").filter(has_text=re.compile(r"^Number$")).click()
    expect(page.get_by_text("Write a number on the black strip…")).to_be_visible(timeout=20_000)
    box = canvas_box(page)
    assert box["width"] > 2.5 * box["height"]  # the wide canvas
    for path in (path for digit in "147" for path in NUMBER[digit]):
        stroke(page, box, path)
    expect(prediction(page)).to_have_text("147", timeout=20_000)
    expect(page.get_by_text("3 digits found from your strokes, boxed left to right")).to_be_visible()
    clear(page, "Write a number on the black strip…")
    box = canvas_box(page)
    for path in OVERLAPPING_10:
        stroke(page, box, path)
    expect(prediction(page)).to_have_text("10", timeout=20_000)
    clear(page, "Write a number on the black strip…")
    box = canvas_box(page)
    for path in NUMBER["1"] + NUMBER["4"] + [COMMA] + NUMBER["7"]:
        stroke(page, box, path)
    expect(prediction(page)).to_have_text("14,7", timeout=20_000)
    expect(page.get_by_text("3 digits and a comma (orange) found from your strokes, boxed left to right")).to_be_visible()
    clear(page, "Write a number on the black strip…")
    box = canvas_box(page)
    # The Digit-mode test's hooked 1 (a closed-top 4 to the picture, a 1 to the pen network) before a 7.
    for path in NUMBER["7"] + [[(0.25 + x / 3, y) for x, y in HOOKED_1]]:
        stroke(page, box, path)
    expect(prediction(page)).to_have_text("17", timeout=20_000)
    expect(page.get_by_text(re.compile(r"^How you wrote it counted: digit 1 is a 4 from its picture alone \(\d+\.\d%\), "
                                       r"a 1 as written\.$"))).to_be_visible(timeout=20_000)
