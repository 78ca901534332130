"""The fourteenth new-user pass (a fashion student on the Fashion models; a screen-reader and
keyboard-only user; notes/page-pass14-report.md): Back to a model without the focused control
left the focus nowhere; a slider's move was heard two or three times (its readout too); the
completion panel's move buttons did nothing, silently, on an empty pad. Its low items, later: the
notice's × dropped the focus; a model switch was not said by name (and its panels' unchanged
prompts were said again); "a Trouser"; a text file on the Fashion CVAE asked for its label first;
the intro said every model was MNIST's; "New samples" came without a word."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests import test_browser
from tests.test_browser import open_app

# The same server, browser and page fixtures as the other browser tests (one server per module).
base_url = test_browser.base_url
browser = test_browser.browser
page = test_browser.page


def test_back_to_a_model_that_hides_the_focused_control_keeps_the_focus(page: Page) -> None:
    open_app(page, "?model=vae-fashion-z2")
    page.get_by_test_id("model-select").select_option("cvae-fashion-z2")
    label = page.get_by_test_id("map-label")
    expect(label).to_be_visible()
    label.focus()
    page.go_back()
    expect(page.get_by_test_id("model-select")).to_have_value("vae-fashion-z2")
    expect(label).to_be_hidden()
    expect(page.get_by_test_id("model-select")).to_be_focused()


def test_a_sliders_readout_is_for_the_eye(page: Page) -> None:
    open_app(page)
    readouts = page.eval_on_selector_all(
        "#sliders output", "os => os.map(o => o.getAttribute('aria-hidden'))"
    )
    assert readouts == ["true", "true"], readouts
    assert "0.00" not in page.locator("#sliders").aria_snapshot().replace("valuetext", "")


def test_moving_an_empty_pad_says_why_nothing_moves(page: Page) -> None:
    open_app(page)
    page.get_by_role("button", name="Move the drawing up one pixel").click()
    expect(page.locator("#complete-info")).to_have_text(
        "Nothing to move yet: draw in the clear part, or choose an image."
    )


def test_dismissing_the_notice_gives_the_focus_back(page: Page) -> None:
    open_app(page, "?model=no-such-model")
    notice = page.get_by_test_id("notice")
    expect(notice).to_be_visible()
    # The control before the notice in the Tab order (the test set's figures since page pass 25).
    before = page.get_by_test_id("model-figures-box").locator("summary")
    before.focus()
    page.keyboard.press("Tab")
    close = page.get_by_role("button", name="Dismiss the message")
    expect(close).to_be_focused()
    page.keyboard.press("Enter")
    expect(notice).to_be_hidden()
    expect(before).to_be_focused()


def test_a_model_switch_is_said_by_name_and_unchanged_prompts_are_not_said_again(
    page: Page,
) -> None:
    open_app(page)
    said = page.get_by_test_id("model-said")
    expect(said).to_have_text("")  # the page's first model is the page itself: not announced
    page.evaluate(
        """() => {
            window.rewrites = 0;
            const seen = new MutationObserver((records) => { window.rewrites += records.length; });
            for (const id of ["interp-info", "encode-info"]) {
                seen.observe(document.getElementById(id), { childList: true, characterData: true,
                                                             subtree: true });
            }
        }"""
    )
    page.get_by_test_id("model-select").select_option("ae-mnist-z2")
    expect(said).to_contain_text("Now showing ae-mnist-z2: ")
    expect(said).to_contain_text(", MNIST.")
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_timeout(500)
    assert page.evaluate("window.rewrites") == 0


def test_fashion_labels_are_named_as_a_sentence_names_them(page: Page) -> None:
    open_app(page, "?model=cvae-fashion-z2&label=1")
    first = page.locator("[data-testid=samples] img").first
    expect(first).to_have_attribute("alt", "sample 1 of trousers", timeout=10_000)


def test_a_file_that_is_no_image_is_refused_before_its_label_is_asked(page: Page) -> None:
    open_app(page, "?model=cvae-fashion-z2")
    page.get_by_test_id("upload").set_input_files(
        files=[{"name": "notes.png", "mimeType": "image/png", "buffer": b"not an image at all"}]
    )
    info = page.locator("#encode-info")
    expect(info).to_have_text(
        "This file is not a PNG, JPEG, WebP, GIF or BMP image: choose another."
    )


def test_the_servers_refusal_of_an_upload_does_not_name_the_image_twice(page: Page) -> None:
    open_app(page, "?model=vae-mnist-z2")
    page.allow_errors = True  # type: ignore[attr-defined]  # Chromium logs the refused file
    truncated = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20
    page.get_by_test_id("upload").set_input_files(
        files=[{"name": "cut.png", "mimeType": "image/png", "buffer": truncated}]
    )
    info = page.locator("#encode-info")
    expect(info).to_contain_text("The image could not be encoded: the PNG file", timeout=10_000)
    expect(info).not_to_contain_text("image: ")


def test_the_intro_follows_a_fashion_model(page: Page) -> None:
    open_app(page, "?model=vae-fashion-z2")
    intro = page.get_by_test_id("intro")
    expect(intro).to_contain_text("watch the item change, draw an item and see where it lands")
    expect(intro).to_contain_text("Most of the models were trained on the same MNIST digits")


def test_new_samples_are_said_at_every_press(page: Page) -> None:
    # An ankle boot: its phrase, "an ankle boot", made "16 new samples of an ankle boot" (one boot).
    open_app(page, "?model=cvae-fashion-z2&label=9")
    said = page.get_by_test_id("samples-said")
    expect(said).to_have_text("")  # the samples that come with the model are not announced
    page.get_by_role("button", name="New samples").click()
    expect(said).to_have_text("16 new samples given the label “Ankle boot”, temperature 1.0.")
    first = said.text_content()
    page.get_by_role("button", name="New samples").click()
    # The same words, changed (a no-break space), so that they are read out again.
    page.wait_for_function(
        "first => document.getElementById('samples-said').textContent !== first", arg=first
    )
    expect(said).to_contain_text("16 new samples given the label “Ankle boot”, temperature 1.0.")
