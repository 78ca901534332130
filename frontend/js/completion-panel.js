// Draw part of a digit in the visible region; the model proposes ways to finish it. The regions
// offered are the ones the completion model declares (capabilities.completes).

import { complete } from "./api.js";
import { createDrawPad, toPixels } from "./draw-pad.js";
import { showThumbs } from "./thumbs.js";

// Quadrants 0..3 are top-left, top-right, bottom-left, bottom-right (the API's numbering).
const SIDES = { top: [0, 1], bottom: [2, 3], left: [0, 2], right: [1, 3] };
// Any set of quadrants is a valid mask for the API, beside the named regions: offer one example.
const THREE_QUADRANTS = { value: "q:0,1,2", text: "three quadrants" };
const COMPLETIONS = 8;

/** The quadrants a region name leaves visible ("left-half" -> [0, 2]); [] when unknown. */
export function regionQuadrants(name) {
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

/**
 * @param {{panel: HTMLElement, pad: HTMLCanvasElement, shade: HTMLElement, region: HTMLSelectElement,
 *          clear: HTMLButtonElement, row: HTMLElement, info: HTMLElement}} els
 * @param {{onError: (err: Error) => void, onOk: () => void}} handlers
 */
export function createCompletionPanel(els, { onError, onOk }) {
  /** @type {object | null} the completion model's entry of /api/models */
  let model = null;
  const pad = createDrawPad(els.pad, { onStroke: run });

  function shade() {
    const { quadrants } = parseRegion(els.region.value);
    els.shade.replaceChildren(...[0, 1, 2, 3].filter((q) => !quadrants.includes(q)).map((q) => {
      const d = document.createElement("div");
      Object.assign(d.style, { left: `${(q % 2) * 50}%`, top: `${Math.floor(q / 2) * 50}%`,
                               width: "50%", height: "50%" });
      return d;
    }));
  }

  async function run() {
    if (!model || !pad.hasInk()) return;
    try {
      const body = await complete(model.id, toPixels(els.pad), parseRegion(els.region.value).mask,
                                  { n: COMPLETIONS });
      showThumbs(els.row, body.images);
      els.info.textContent = `${body.images.length} completions of what you drew`;
      onOk();
    } catch (err) {
      onError(err);
    }
  }

  els.region.addEventListener("change", () => { shade(); run(); });
  els.clear.addEventListener("click", () => { pad.clear(); showThumbs(els.row, []); });

  /**
   * Show the panel for a completion model, offering the regions it declares (or hide it: null).
   * @param {object | null} entry an entry of /api/models whose capabilities.completes is not empty
   */
  function setModel(entry) {
    model = entry;
    els.panel.hidden = !entry;
    if (!entry) return;
    const options = entry.capabilities.completes.map((name) => new Option(name.replace("-", " "), name));
    els.region.replaceChildren(...options, new Option(THREE_QUADRANTS.text, THREE_QUADRANTS.value));
    shade();
  }

  return { setModel };
}
