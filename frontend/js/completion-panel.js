// Draw part of a digit in the visible region; the model proposes ways to finish it. The regions
// offered are the ones the completion model declares (capabilities.completes).

import { complete, completeUpload, mayPass } from "./api.js";
import { createDrawPad } from "./draw-pad.js";
import { MAX_RETRIES, createRetry } from "./latest.js";
import { sentence } from "./notice.js";
import { showThumbs } from "./thumbs.js";

// Quadrants 0..3 are top-left, top-right, bottom-left, bottom-right (the API's numbering).
const SIDES = { top: [0, 1], bottom: [2, 3], left: [0, 2], right: [1, 3] };
// Any set of quadrants is a valid mask for the API, beside the named regions: offer one example.
const THREE_QUADRANTS = { value: "q:0,1,2", text: "all but bottom-right" };
const COMPLETIONS = 8;
// A 28x28 pixel counts as ink from a tenth covered: a stroke drawn next to the middle line may
// smudge its anti-aliased edge over it, which is not a drawing the model can see.
const INK_LEVEL = 0.1;
const GAVE_UP = "Not asked again: another stroke, or another region, asks.";
const HIDDEN_INK = "Draw in the clear part of the square: the model sees only that part.";
const AT_EDGE = "The drawing is at the pad's edge: it does not move further that way.";
// The keyboard's way in is an image file: the move buttons may be the first thing it reaches.
const NOTHING_TO_MOVE = "Nothing to move yet: draw in the clear part, or choose an image.";
const DRAWN = "what you drew";

/** The quadrants a region name leaves visible ("left-half" -> [0, 2]); [] when unknown. */
function regionQuadrants(name) {
  const [first, second] = name.split("-");
  if (!SIDES[first]) return [];
  return second === "half" ? SIDES[first] : SIDES[first].filter((q) => (SIDES[second] || []).includes(q));
}

/** The region select's value as the API's mask, and the visible quadrants for shading. */
function parseRegion(value) {
  if (value.startsWith("q:")) {
    const quadrants = value.slice(2).split(",").map(Number);
    return { mask: { quadrants }, quadrants };
  }
  return { mask: value, quadrants: regionQuadrants(value) };
}

// Ink the model must see to complete anything, in pixels' worth: a stroke's rounded tip reaching
// into the clear part (a pixel or two) was completed as if it were the drawing (page pass 17).
const MIN_VISIBLE_INK = 4;

/**
 * Whether the visible quadrants (q: rows 0-13 for q < 2, else 14-27; columns 0-13 for even q,
 * else 14-27), what the model is shown of the drawing, hold MIN_VISIBLE_INK of its ink.
 * @param {number[]} pixels 784 values in [0, 1], row-major (draw-pad.js toPixels)
 * @param {number[]} quadrants the visible quadrants
 * @returns {boolean}
 */
function visibleInk(pixels, quadrants) {
  let ink = 0;
  pixels.forEach((v, i) => {
    const q = (Math.floor(i / 28) < 14 ? 0 : 2) + (i % 28 < 14 ? 0 : 1);
    if (v >= INK_LEVEL && quadrants.includes(q)) ink += v;
  });
  return ink >= MIN_VISIBLE_INK;
}

/**
 * @param {{panel: HTMLElement, pad: HTMLCanvasElement, shade: HTMLElement, region: HTMLSelectElement,
 *          clear: HTMLButtonElement, upload: HTMLInputElement, move: HTMLElement, row: HTMLElement,
 *          info: HTMLElement, source: HTMLElement}} els
 * @param {{onError: (err: Error, next: string) => void, onOk: () => void}} handlers
 */
export function createCompletionPanel(els, { onError, onOk }) {
  /** @type {object | null} the completion model's entry of /api/models */
  let model = null;
  const pad = createDrawPad(els.pad, { onStroke: () => { forgetFile(); subject = DRAWN; run(); } });
  let subject = DRAWN; // what the pad holds, as its completions are captioned
  // An image file instead of a drawing (the way in for keyboard users): re-sent when the region
  // changes, forgotten on a stroke or Clear.
  let file = null;
  function forgetFile() {
    file = null;
    els.upload.value = "";
  }

  function shade() {
    const { quadrants } = parseRegion(els.region.value);
    els.shade.replaceChildren(...[0, 1, 2, 3].filter((q) => !quadrants.includes(q)).map((q) => {
      const d = document.createElement("div");
      Object.assign(d.style, { left: `${(q % 2) * 50}%`, top: `${Math.floor(q / 2) * 50}%`,
                               width: "50%", height: "50%" });
      return d;
    }));
  }

  // Latest wins: a newer stroke, region or Clear makes every answer still on its way stale (a
  // late answer for the top half must not replace the left half's, nor fill a cleared pad).
  let request = 0;
  // What the info line says before anything is drawn, and again after Clear.
  const intro = els.info.textContent;
  // A request the server or the network failed is asked again, backing off (page pass 9: the
  // panel kept the previous drawing's completions and waited for another stroke).
  const retry = createRetry(MAX_RETRIES);

  /**
   * Show the completions `ask()` brings, unless a newer stroke, region, file or Clear came since.
   * Meanwhile the row shown (of an earlier drawing or region) is dimmed; on a failure it goes.
   * A refused file is forgotten (not sent again with every region), its reason said in the panel.
   */
  async function show(ask, what) {
    const mine = ++request;
    retry.cancel();
    els.row.classList.add("pending");
    els.info.textContent = `Completing ${what}…`;
    try {
      const body = await ask();
      if (mine !== request) return; // superseded
      retry.reset();
      els.info.setAttribute("aria-live", "polite");
      els.row.classList.remove("pending");
      showThumbs(els.row, body.images, null, (k) => `completion ${k + 1}`);
      els.info.textContent = `${body.images.length} completions of ${what}`;
      // An uploaded image is shown on the pad as the server read it: the user sees what was
      // completed, and can draw over it (page pass 5: the pad stayed black).
      if (file && body.preprocessed) showRead(body.preprocessed, mine);
      onOk();
    } catch (err) {
      if (mine !== request) return; // an error about a drawing or region no longer shown
      els.row.classList.remove("pending");
      showThumbs(els.row, []);
      let next = "";
      if (mayPass(err)) {
        const wait = retry.schedule(() => { if (mine === request) run(true); });
        next = wait ? `Asked again in ${wait} s.` : GAVE_UP; // spent: the user's next move asks
      }
      if (!file || next) {
        // The page's alert says it (and each retry's countdown) to a screen reader: this line,
        // read too, made every message heard twice (page pass 13).
        els.info.setAttribute("aria-live", "off");
        els.info.textContent = sentence(err, "complete", next);
        return onError(err, next);
      }
      els.info.textContent = sentence(err, "complete", next);
      forgetFile();
    }
  }

  /**
   * Nothing is on its way any more (a Clear, a new stroke, an empty or hidden drawing). A retry
   * keeps its backoff; the user's own action starts it over, and takes down the notice that
   * promised a retry no longer coming (review: it stayed after Clear).
   */
  function settle(again = false) {
    request++;
    // Off while the page's alert speaks of a failure, retries included ("Completing…" was read
    // at each; review): the user's own action, or a success, speaks here again.
    if (!again) els.info.setAttribute("aria-live", "polite");
    els.row.classList.remove("pending");
    if (again) return retry.cancel();
    if (retry.failing) onOk();
    retry.reset();
  }

  function showRead(url, mine) {
    const img = new Image();
    img.onload = () => { if (mine === request) pad.showImage(img); };
    img.src = url;
  }

  /** Complete what is on the pad (or the file); `again`: a retry of the same, backing off. */
  function run(again = false) {
    if (!model) return;
    const { mask, quadrants } = parseRegion(els.region.value);
    settle(again); // whatever was on its way is about a drawing no longer there
    // The file is read as it is framed, by the server.
    if (file) return show(() => completeUpload(model.id, file, mask, { n: COMPLETIONS }),
                          "the image's visible part");
    if (!pad.hasInk()) {
      // Nothing to complete: the line goes back to asking for a drawing (page pass 17: a refused
      // file's error stayed over an empty pad when the region changed).
      showThumbs(els.row, []);
      els.info.textContent = intro;
      return;
    }
    const pixels = pad.toPixels();
    if (!visibleInk(pixels, quadrants)) {
      // The server would be completing an empty visible part: nothing of the drawing is used.
      showThumbs(els.row, []);
      els.info.textContent = HIDDEN_INK;
      return;
    }
    return show(() => complete(model.id, pixels, mask, { n: COMPLETIONS }), subject);
  }

  els.region.addEventListener("change", () => { shade(); run(); });
  els.upload.addEventListener("change", () => {
    if (!els.upload.files[0]) return;
    pad.clear();
    file = els.upload.files[0];
    run();
  });
  // The model is an MLP that saw digits only where MNIST puts them: a pixel's move can change what
  // it completes (page pass 11: the top of a 7 drawn two pixels high gave 2s and 3s, eight of
  // eight). Moving the drawing shows it, and mends it. An image file's reading moves like ink.
  els.move.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-dx]");
    if (!button) return;
    const [dx, dy] = [Number(button.dataset.dx), Number(button.dataset.dy)];
    const refusal = !pad.hasInk() ? NOTHING_TO_MOVE : !pad.canShift(dx, dy, INK_LEVEL) ? AT_EDGE : "";
    if (refusal) {
      els.info.setAttribute("aria-live", "polite"); // said to the keyboard's user too
      els.info.textContent = refusal;
      return;
    }
    if (file) subject = "the image you chose, moved";
    forgetFile();
    pad.shift(dx, dy);
    run();
  });
  function clearAll() {
    settle();
    forgetFile();
    subject = DRAWN;
    pad.clear();
    showThumbs(els.row, []);
    els.info.textContent = intro;
  }
  els.clear.addEventListener("click", clearAll);

  /**
   * Show the panel for a completion model, offering the regions it declares (or hide it: null).
   * @param {object | null} entry an entry of /api/models whose capabilities.completes is not empty
   */
  function setModel(entry) {
    model = entry;
    els.panel.hidden = !entry;
    if (!entry) return;
    // Said because the panel sits among the picked model's panels (a Fashion model's too).
    els.source.textContent = `Its own model, ${entry.id}, trained on ${entry.data.title}: the ` +
      "model picked above does not change it.";
    const options = entry.capabilities.completes.map((name) => new Option(name.replace("-", " "), name));
    els.region.replaceChildren(...options, new Option(THREE_QUADRANTS.text, THREE_QUADRANTS.value));
    shade();
  }

  return { setModel };
}
