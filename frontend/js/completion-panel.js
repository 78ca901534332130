// Draw part of a digit in the visible region; the model proposes ways to finish it.

import { complete } from "./api.js";
import { createDrawPad } from "./draw-pad.js";
import { showThumbs } from "./thumbs.js";

const QUADRANTS = { "left-half": [0, 2], "right-half": [1, 3], "top-half": [0, 1],
                    "bottom-half": [2, 3], "top-left": [0], "bottom-left": [2] };
const COMPLETIONS = 8;

/** The region select's value as the API's mask, and the visible quadrants for shading. */
function parseRegion(value) {
  if (value.startsWith("q:")) {
    const quadrants = value.slice(2).split(",").map(Number);
    return { mask: { quadrants }, quadrants };
  }
  return { mask: value, quadrants: QUADRANTS[value] };
}

/** Average 10x10 blocks of the 280 px pad into 28x28 values in [0, 1]. */
function toPixels(canvas) {
  const { data, width } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  const block = width / 28;
  const out = new Array(784).fill(0);
  for (let y = 0; y < width; y++) {
    for (let x = 0; x < width; x++) {
      out[Math.floor(y / block) * 28 + Math.floor(x / block)] += data[(y * width + x) * 4];
    }
  }
  return out.map((v) => Math.min(1, v / (255 * block * block)));
}

/**
 * @param {{panel: HTMLElement, pad: HTMLCanvasElement, shade: HTMLElement, region: HTMLSelectElement,
 *          clear: HTMLButtonElement, row: HTMLElement, info: HTMLElement}} els
 * @param {{onError: (err: Error) => void, onOk: () => void}} handlers
 */
export function createCompletionPanel(els, { onError, onOk }) {
  let modelId = null;
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
    if (!modelId || !pad.hasInk()) return;
    try {
      const body = await complete(modelId, toPixels(els.pad), parseRegion(els.region.value).mask,
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
  shade();

  /** Show the panel for a completion model (or hide it when there is none). */
  function setModel(id) {
    modelId = id;
    els.panel.hidden = !id;
  }

  return { setModel };
}
