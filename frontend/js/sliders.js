// One range input per latent dimension, keyboard operable, with a value label. Their range is the
// map's (one range for both: a point clicked on the map can be reached with the sliders too).

import { fixed2 } from "./thumbs.js";
import { guardTouch } from "./touch-guard.js";

/** Fine steps for a VAE's ±3.5; coarser ones for an AE's ±130, so the keyboard still gets there. */
const stepFor = (range) => (range > 10 ? 0.1 : 0.01);

/**
 * @param {HTMLElement} root
 * @param {{onInput: (dim: number, value: number) => void}} handlers
 */
export function createSliders(root, { onInput }) {
  /** @type {{input: HTMLInputElement, output: HTMLOutputElement}[]} */
  let rows = [];
  let range = 3;

  /** @param {number} n latent dims @param {number} [nextRange] ± range of every slider */
  function setDims(n, nextRange = range) {
    range = nextRange;
    root.replaceChildren();
    rows = [];
    for (let d = 0; d < n; d++) {
      const label = document.createElement("label");
      label.textContent = `z${d}`;
      label.htmlFor = `slider-${d}`;
      const input = document.createElement("input");
      Object.assign(input, { type: "range", id: `slider-${d}`, min: -range,
                             max: range, step: stepFor(range), value: 0 });
      input.dataset.testid = "latent-slider";
      input.dataset.dim = String(d);
      input.setAttribute("aria-label", `latent dimension ${d}`);
      const output = document.createElement("output");
      output.htmlFor = input.id;
      output.value = "0.00";
      guardTouch(input); // a swipe that scrolls past the slider does not set it
      input.addEventListener("input", () => {
        output.value = fixed2(Number(input.value));
        onInput(d, Number(input.value));
      });
      root.append(label, input, output);
      rows.push({ input, output });
    }
  }

  /** Show z without firing input events (a value past the range sits at the track's end). */
  function setValues(z) {
    z.forEach((v, d) => {
      if (!rows[d]) return;
      rows[d].input.value = String(v);
      rows[d].output.value = fixed2(v);
    });
  }

  /** @param {number} nextRange the map's ± range */
  function setRange(nextRange) {
    range = nextRange;
    for (const { input } of rows) {
      input.min = String(-range);
      input.max = String(range);
      input.step = String(stepFor(range));
    }
    root.dataset.range = String(range);
  }

  return { setDims, setValues, setRange };
}
