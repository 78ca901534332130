// The frames between interpolation ends A and B, and the line that says how they were made.

import { setLive } from "./notice.js";
import { classPhrase, showThumbs } from "./thumbs.js";

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
    setLive(els.info, info);
  }

  function clear() {
    showThumbs(els.row, []);
    setLive(els.info, PROMPT);
  }

  /** One end is set, or none: say so, and what is next (page pass 11: "A = current" changed
   *  nothing on the line, which still asked to set A and B). */
  function waitFor(a, b) {
    showThumbs(els.row, []);
    const [set, next] = a ? ["A", "B"] : ["B", "A"];
    setLive(els.info, !a && !b ? PROMPT
      : `${set} is set (marked on the map): move z to another point, then set ${next}.`);
  }

  return { show, clear, waitFor };
}

/**
 * Frames from end A to end B, each end decoded with the label it was set under.
 * @param {object} model the entry of /api/models
 * @param {{z: number[], label: number | null}} a
 * @param {{z: number[], label: number | null}} b
 * @param {string} method "linear" or "slerp"
 * @param {number} steps an even number of frames
 * @param {(a: number[], b: number[], opts: object) => Promise<{z: number[][], images: string[]}>} frames
 *   the decode source's `interpolate` (in the browser, or the server's /interpolate)
 * @returns {Promise<{images: string[], captions: string[] | null, info: string, zs: number[][]}>}
 */
export async function interpolateEnds(model, a, b, method, steps, frames) {
  const ask = (label) => frames(a.z, b.z, { steps, method, label });
  const names = model.class_names;
  const fromA = await ask(a.label);
  let images = fromA.images;
  let captions = a.label === null ? null : images.map(() => names[a.label]);
  const samePoint = a.z.every((v, i) => Math.abs(v - b.z[i]) < 1e-9);
  let info = `${steps} frames, ${method}, A to B`;
  if (samePoint && a.label === b.label) {
    info = "A and B are the same point: move z (map, sliders or a drawing), then set B.";
  }
  if (a.label !== b.label) {
    // A conditional model decodes one label at a time: the first half with A's, the rest with
    // B's, so both ends look as they were set.
    const fromB = await ask(b.label);
    const half = steps / 2;
    images = [...fromA.images.slice(0, half), ...fromB.images.slice(half)];
    captions = images.map((_, k) => names[k < half ? a.label : b.label]);
    const move = samePoint ? "z stays put" : "z moves smoothly";
    info += `; ${move}, the label switches from ${classPhrase(model, a.label)} ` +
            `to ${classPhrase(model, b.label)} halfway`;
  }
  return { images, captions, info, zs: fromA.z };
}
