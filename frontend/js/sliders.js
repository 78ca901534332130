// One range input per latent dimension, keyboard operable, with a value label. Their range is the
// map's (one range for both: a point clicked on the map can be reached with the sliders too).
// Also the touch guard every range input on the page wears (guardTouch, at the end).

import { fixed2 } from "./thumbs.js";

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
      input.setAttribute("aria-label", `z${d}, latent dimension ${d}`); // begins with the visible label (page pass 22)
      const output = document.createElement("output");
      output.htmlFor = input.id;
      output.value = "0.00";
      // Not a live region: a 16-d random draw rewrote sixteen of them at once (page pass 11), and
      // a slider's move was heard twice or three times (pass 14). The slider itself says its
      // value, as shown here (aria-valuetext): the readout is for the eye.
      output.setAttribute("aria-live", "off");
      output.setAttribute("aria-hidden", "true");
      input.setAttribute("aria-valuetext", "0.00");
      guardTouch(input); // a swipe that scrolls past the slider does not set it
      input.addEventListener("input", () => {
        output.value = fixed2(Number(input.value));
        input.setAttribute("aria-valuetext", output.value);
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
      rows[d].input.setAttribute("aria-valuetext", rows[d].output.value);
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

// A range input on a touch screen jumps to the finger at touchstart, before anyone can tell a
// scroll from a drag: a vertical swipe over the sliders, meant to scroll the page, set a latent
// dim (page pass 8; a 16-d model's slider box is almost all track). A touch's input and change
// events are held until the gesture shows what it is: a sideways move or a lift (a tap) lets
// them through, with one input event for the value so far; a scroll (the browser cancels the
// pointer, even after a sideways start) puts the value back and drops the rest. Mouse, pen and
// keys pass as they are.

/** Sideways travel, in CSS px, that makes a touch a drag (a slider's, the map's): about
 *  Chromium's touch slop, so a thumb's first drift does not count (review: 6 px let a drifting
 *  scroll through). */
export const SIDEWAYS_PX = 15;
/** A cancelled touch's change event comes right after its touchend: held this long at most. */
const SETTLE_MS = 400;

/** @param {HTMLInputElement} input a range input */
export function guardTouch(input) {
  /** @type {{before: string, x: number, y: number, through: boolean, cancelled: boolean} | null} */
  let held = null;
  const hold = (event) => {
    if (held && !held.through) event.stopImmediatePropagation();
  };
  // Capture listeners on the input itself run before its other listeners.
  input.addEventListener("input", hold, true);
  input.addEventListener("change", hold, true);
  const letThrough = () => {
    held.through = true;
    input.dispatchEvent(new Event("input", { bubbles: true }));
  };
  input.addEventListener("pointerdown", (event) => {
    held = event.pointerType === "touch"
      ? { before: input.value, x: event.clientX, y: event.clientY, through: false, cancelled: false }
      : null;
  });
  input.addEventListener("pointermove", (event) => {
    if (!held || held.through || held.cancelled) return;
    const dx = Math.abs(event.clientX - held.x);
    if (dx > SIDEWAYS_PX && dx > Math.abs(event.clientY - held.y)) letThrough();
  });
  input.addEventListener("pointerup", () => {
    if (held && !held.through && !held.cancelled) letThrough();
  });
  // A cancel means the browser took the touch as a scroll (a sideways drag on a range input is
  // never cancelled): the value goes back, and if it had been let through, the page follows it.
  input.addEventListener("pointercancel", () => {
    if (!held || held.cancelled) return;
    const undo = held.through && input.value !== held.before;
    input.value = held.before;
    held.through = false;
    held.cancelled = true;
    if (undo) {
      held.through = true; // this one event passes the hold
      input.dispatchEvent(new Event("input", { bubbles: true }));
      held.through = false;
    }
    const cancelled = held;
    setTimeout(() => {
      if (held === cancelled) held = null;
    }, SETTLE_MS);
  });
}
