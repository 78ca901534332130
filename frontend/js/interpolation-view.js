// The frames between interpolation ends A and B, and the line that says how they were made.

import { showThumbs } from "./thumbs.js";

const PROMPT = "Pick two points (draw, click the map or use the sliders) and set A and B.";

/** @param {{row: HTMLElement, info: HTMLElement}} els */
export function createInterpolationView(els) {
  /**
   * @param {string[]} images PNG data URLs
   * @param {string} info how the frames were made, in one line
   * @param {string[] | null} [captions] one per frame (the label each was decoded with)
   */
  function show(images, info, captions = null) {
    showThumbs(els.row, images, captions);
    els.info.textContent = info;
  }

  function clear() {
    showThumbs(els.row, []);
    els.info.textContent = PROMPT;
  }

  return { show, clear };
}
