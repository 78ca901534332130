"""Network and console noise, and late answers (page-pass report, items 4, 9 and 16): the completion
panel shows only its newest answer and refuses ink it cannot see; the compare strip never starts a
server request it would abort, and on the server path asks at a walking pace; a decoder file that
fails to load is named for what happened; drawing logs no canvas warning."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Request, Route, expect

from tests import test_browser as shared
from tests.test_browser import SEVEN, draw_stroke, open_app

# The page tests' fixtures: a real server on a free port, Debian's Chromium, a desktop page.
base_url, browser, page = shared.base_url, shared.browser, shared.page

COMPLETE_ROUTE = "**/api/models/*/complete"
DECODER_ROUTE = "**/decoder.safetensors*"
STRIP_CELLS = "[data-testid=compare-strip] img"
# A short stroke in the top-left quadrant: visible with the top half and with the left half shown.
TOP_LEFT = [(0.12, 0.12), (0.4, 0.15), (0.25, 0.42)]
# A stroke in the bottom half only, clear of the middle line (the pad's 28x28 rows 16 to 25).
BOTTOM = [(0.2, 0.6), (0.8, 0.65), (0.5, 0.9)]
# What a stale or extra answer would have had time to paint, once its response has arrived.
SETTLE_MS = 600
# decode-source.js: how long the page waits for a decoder file before the server decodes.
LOAD_WAIT_MS = 1500
# The compare strip's slowest acceptable pace on the server path: a request per cell per 150 ms.
SERVER_PACE_MS = 150


def draw_completion(page: Page, points: list[tuple[float, float]]) -> None:
    """Drag the mouse through points given as fractions of the completion pad."""
    draw_stroke(page, points, pad="completion-pad")


def wait_held(page: Page, held: list[Route], n: int = 1) -> None:
    """Let the page run until n completion requests are held (route handlers run in waits)."""
    for _ in range(200):
        if len(held) >= n:
            return
        page.wait_for_timeout(25)
    raise AssertionError(f"{len(held)} completion requests held, not {n}")


def release(page: Page, route: Route) -> None:
    """Let a held request through, and give its answer time to be shown (or not)."""
    with page.expect_response(lambda r: r.request == route.request):
        route.continue_()
    page.wait_for_timeout(SETTLE_MS)


def completion_srcs(page: Page) -> list[str]:
    return (
        page.get_by_test_id("completions")
        .locator("img")
        .evaluate_all("imgs => imgs.map(i => i.src)")
    )


def test_a_late_completion_does_not_replace_a_newer_one(page: Page) -> None:
    held: list[Route] = []

    def hold_top_half(route: Route) -> None:
        if route.request.post_data_json["mask"] == "top-half":
            held.append(route)  # answered only when the test says so: a very slow network
        else:
            route.continue_()

    page.route(COMPLETE_ROUTE, hold_top_half)
    open_app(page)
    region = page.get_by_test_id("region-select")
    expect(region).to_have_value("top-half")
    draw_completion(page, TOP_LEFT)
    wait_held(page, held)
    region.select_option("left-half")  # asked while the top half's answer is still on its way
    row = page.get_by_test_id("completions").locator("img")
    expect(row).to_have_count(8)
    newest = completion_srcs(page)
    release(page, held[0])
    assert completion_srcs(page) == newest, "the older top-half answer replaced the left-half one"
    expect(region).to_have_value("left-half")
    expect(page.locator("#complete-info")).to_have_text("8 completions of what you drew")


def test_clear_drops_a_pending_completion_and_resets_the_info(page: Page) -> None:
    held: list[Route] = []
    page.route(COMPLETE_ROUTE, lambda route: held.append(route))
    open_app(page)
    info = page.locator("#complete-info")
    intro = info.inner_text()
    draw_completion(page, TOP_LEFT)
    wait_held(page, held)
    page.get_by_role("button", name="Clear the partial drawing").click()
    release(page, held[0])
    expect(page.get_by_test_id("completions").locator("img")).to_have_count(0)
    expect(info).to_have_text(intro)
    # After a Clear, a new drawing is completed as before.
    page.unroute(COMPLETE_ROUTE)
    draw_completion(page, TOP_LEFT)
    expect(page.get_by_test_id("completions").locator("img")).to_have_count(8)


def test_ink_only_in_the_greyed_part_is_not_sent(page: Page) -> None:
    asked: list[Request] = []
    page.on("request", lambda r: asked.append(r) if r.url.endswith("/complete") else None)
    open_app(page)
    region = page.get_by_test_id("region-select")
    expect(region).to_have_value("top-half")
    info = page.locator("#complete-info")
    row = page.get_by_test_id("completions").locator("img")
    draw_completion(page, BOTTOM)  # all of it in the greyed half
    expect(info).to_have_text(re.compile("model sees only that part"))
    page.wait_for_timeout(SETTLE_MS)
    assert asked == []
    expect(row).to_have_count(0)
    # The same ink, now in the visible part: it is completed.
    region.select_option("bottom-half")
    expect(row).to_have_count(8)
    expect(info).to_have_text("8 completions of what you drew")
    assert [r.post_data_json["mask"] for r in asked] == ["bottom-half"]
    # Back to the top half: the ink is hidden again; the old completions go, nothing is asked.
    region.select_option("top-half")
    expect(info).to_have_text(re.compile("model sees only that part"))
    expect(row).to_have_count(0)
    page.wait_for_timeout(SETTLE_MS)
    assert len(asked) == 1


def test_the_compare_strip_waits_for_its_decoders_on_load(page: Page) -> None:
    """The strip's models decode in the page once their files load: no server image is started
    and then aborted (the report saw `pca-mnist-z2/decode.png?z=0,0 net::ERR_ABORTED`)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    # 100 ms of latency, as in the report: the files arrive well within LOAD_WAIT_MS.
    conditions = {
        "offline": False,
        "latency": 100,
        "downloadThroughput": -1,
        "uploadThroughput": -1,
    }
    cdp.send("Network.emulateNetworkConditions", conditions)
    asked: list[str] = []
    failed: list[str] = []
    page.on(
        "request",
        lambda r: (
            asked.append(r.url) if r.resource_type == "image" and "/decode.png" in r.url else None
        ),
    )
    page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
    open_app(page)
    page.wait_for_function(
        f"""() => {{
            const imgs = [...document.querySelectorAll('{STRIP_CELLS}')];
            return imgs.length === 4 && imgs.every((i) => i.src.startsWith('data:'));
        }}""",
        timeout=20_000,
    )
    assert failed == []
    assert asked == [], "the compare strip asked the server while the decoder files were loading"


def test_a_slow_decoder_file_leaves_its_cell_blank_then_the_server_fills_it(page: Page) -> None:
    """A cell waits for its model's file (blank, with no alt text drawn in it), gets the server's
    image once LOAD_WAIT_MS has passed, and the browser's once the file arrives."""
    held: list[Route] = []
    page.route("**/pca-mnist-z2/decoder.safetensors*", lambda route: held.append(route))
    open_app(page)
    cell = page.locator(f"{STRIP_CELLS}[data-model=pca-mnist-z2]")
    wait_held(page, held)
    assert cell.get_attribute("src") is None  # nothing asked of the server yet
    assert cell.get_attribute("alt") == ""
    expect(cell).to_have_attribute(
        "src", re.compile(r"/decode\.png\?"), timeout=LOAD_WAIT_MS + 5000
    )
    expect(cell).to_have_attribute("alt", "the current z decoded by pca-mnist-z2")
    held[0].continue_()
    expect(cell).to_have_attribute("src", re.compile("^data:image/png"))


def test_the_compare_strip_fills_from_the_server_when_decoders_fail(page: Page) -> None:
    """Files that cannot load: the strip's cells are the server's images, one per model."""
    page.allow_errors = True  # Chromium logs each refused file ("Failed to load resource")
    page.route(DECODER_ROUTE, lambda route: route.abort())
    open_app(page)
    page.wait_for_function(
        f"""() => {{
            const imgs = [...document.querySelectorAll('{STRIP_CELLS}')];
            return imgs.length === 4 && imgs.every((i) => i.src.includes('/decode.png?')
                                                         && i.complete && i.naturalWidth === 28);
        }}""",
        timeout=LOAD_WAIT_MS + 10_000,
    )
    assert all(e.startswith("Failed to load resource") for e in page.errors), page.errors


# Move slider 0 from one end to the other in `moves` input events, one per animation frame, as a
# fast drag. A count of frames, not a duration: a loaded machine draws fewer frames a second (CI's
# shared cores: 19 frames in 1.7 s where the test asked for 30 in 1.5 s), and the drag is then
# slower, not shorter; the server's pace is checked against the time it took.
DRAG_SLIDER = """async (moves) => {
  const slider = document.querySelector("[data-testid=latent-slider][data-dim='0']");
  const lo = Number(slider.min), hi = Number(slider.max);
  const start = performance.now();
  let frames = 0;
  while (frames < moves) {
    await new Promise(requestAnimationFrame);
    frames++;
    slider.value = String(lo + ((hi - lo) * frames) / moves);
    slider.dispatchEvent(new Event("input", { bubbles: true }));
  }
  return { frames, ms: performance.now() - start };
}"""
# 1.5 s of frames at 60 per second.
DRAG_MOVES = 90

# Every cell shows the sliders' final z, loaded.
STRIP_AT_SLIDERS = f"""() => {{
  const z = [...document.querySelectorAll('[data-testid=latent-slider]')]
    .map((s) => Number(s.value).toFixed(4)).join(',');
  const imgs = [...document.querySelectorAll('{STRIP_CELLS}')];
  return imgs.length === 4 && imgs.every((i) => i.src.includes(`z=${{z}}`) && i.complete);
}}"""


def test_the_compare_strip_asks_the_server_at_a_walking_pace(page: Page) -> None:
    """On the server path a fast drag costs a few requests per cell, not one per frame, and the
    strip still ends on the final z."""
    page.allow_errors = True  # Chromium logs each refused file ("Failed to load resource")
    page.route(DECODER_ROUTE, lambda route: route.abort())
    open_app(page)
    page.wait_for_selector("[data-testid=decode-note][data-where=server]", timeout=10_000)
    page.wait_for_function(STRIP_AT_SLIDERS, timeout=LOAD_WAIT_MS + 10_000)
    cells = page.locator(STRIP_CELLS).count()
    asked: list[str] = []
    page.on(
        "request",
        lambda r: (
            asked.append(r.url) if r.resource_type == "image" and "/decode.png" in r.url else None
        ),
    )
    # Every server image the strip points a cell at, not only the requests Chromium started (it
    # may drop an image load that a newer src replaces first; the race audit saw 44 requests
    # against a limit of 56 with the pace off its way; SERVER_EVERY_MS = 0 here: 357).
    page.evaluate(
        """() => { window.pointedAt = 0;
            new MutationObserver((records) => { for (const r of records)
                if (r.target.getAttribute('src')?.includes('/decode.png')) window.pointedAt++;
            }).observe(document.getElementById('compare-strip'),
                       {attributes: true, attributeFilter: ['src'], subtree: true}); }"""
    )
    drag = page.evaluate(DRAG_SLIDER, DRAG_MOVES)
    assert drag["frames"] == DRAG_MOVES, drag  # it did move once a frame
    page.wait_for_function(STRIP_AT_SLIDERS, timeout=10_000)  # the trailing update came
    limit = cells * (drag["ms"] / SERVER_PACE_MS + 2)
    assert len(asked) <= limit, f"{len(asked)} decode.png images in {drag}"
    pointed = page.evaluate("window.pointedAt")
    assert pointed <= limit, f"cells pointed at {pointed} decode.png images in {drag}"
    assert all(e.startswith("Failed to load resource") for e in page.errors), page.errors


def _refuse(how: str):
    """A route handler that makes the decoder file fail to load in the way named."""

    def handler(route: Route) -> None:
        if how == "abort":
            route.abort()
        elif how == "404":
            route.fulfill(status=404)
        else:  # one flipped byte: the file arrives, but not the one /api/models announced
            body = bytearray(route.fetch().body())
            body[len(body) // 2] ^= 0xFF
            route.fulfill(status=200, content_type="application/octet-stream", body=bytes(body))

    return handler


@pytest.mark.parametrize(
    ("how", "reason"),
    [("abort", "network request"), ("404", "HTTP 404"), ("corrupt", "checksum")],
)
def test_a_failed_decoder_file_is_named_for_what_happened(
    page: Page, how: str, reason: str
) -> None:
    page.allow_errors = True  # Chromium logs each refused file ("Failed to load resource")
    page.route(DECODER_ROUTE, _refuse(how))
    open_app(page)
    note = page.get_by_test_id("decode-note")
    expect(note).to_have_attribute("data-where", "server")
    title = note.get_attribute("title")
    assert reason in title, title
    assert "did not answer" not in title, title  # the server answered all along
    expect(page.get_by_role("alert")).to_be_hidden()
    # The compare strip's files come after the current one's, so their handlers may still be
    # fetching when the page closes: "Response has been disposed" then surfaced in the next test.
    page.unroute_all(behavior="ignoreErrors")


def test_drawing_logs_no_canvas_readback_warning(page: Page) -> None:
    warnings: list[str] = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    open_app(page)
    for _ in range(3):
        draw_stroke(page, SEVEN)
        page.wait_for_function(
            "() => document.querySelector('#encode-info').textContent.includes('μ = (')"
        )
        page.get_by_role("button", name="Clear the drawing").click()
    for _ in range(3):
        draw_completion(page, TOP_LEFT)
        expect(page.get_by_test_id("completions").locator("img")).to_have_count(8)
        page.get_by_role("button", name="Clear the partial drawing").click()
    page.wait_for_timeout(SETTLE_MS)
    assert [w for w in warnings if "willReadFrequently" in w] == []
