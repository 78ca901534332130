// The frames between interpolation ends A and B, and the line that says how they were made.

import { showThumbs } from "./thumbs.js";

const PROMPT = "Pick two points (draw, click the map or use the sliders) and set A and B.";

/** @param {{row: HTMLElement, info: HTMLElement}} els */
export function createInterpolationView(els) {
  /** @param {string[]} images PNG data URLs @param {string} method "linear" or "slerp" */
  function show(images, method) {
    showThumbs(els.row, images);
    els.info.textContent = `${images.length} frames, ${method}, A to B`;
  }

  function clear() {
    showThumbs(els.row, []);
    els.info.textContent = PROMPT;
  }

  return { show, clear };
}
