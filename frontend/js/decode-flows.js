// What the page asks the decode source for as the view changes, the newest ask winning over a
// late answer: the current z's digit and style row (one in flight each, drawn where the decoder
// answers from: the page or the server), the Generate panel's samples, and the interpolation
// between ends A and B, with the interpolation's row and line. One module, not three: every
// module is one more request on the way to the first digit (over HTTP/1.1 the browser fetches
// six at a time).

import { mayPass } from "./api.js";
import { createRetry, latestWins } from "./latest.js";
import { describe, setLive } from "./notice.js";
import { newSeed } from "./latent-paths.js";
import { fillNouns } from "./nouns.js";
import { classPhrase, showThumbs } from "./thumbs.js";
import { zWords } from "./z-words.js";

// On the server the style row costs a 10-image decode per z: while the pointer drags, wait for
// it to pause. Decoded in the browser it costs a few ms and follows every move.
const STYLE_ROW_PAUSE_MS = 250;

/**
 * @param {{store: object, source: object, decodedView: object, notice: object,
 *          styleRow: HTMLElement, labelOrNull: () => number | null}} deps
 * @returns {{scheduleDecode: () => void, scheduleStyleRow: () => void}}
 */
export function createDigitFlow({ store, source, decodedView, notice, styleRow, labelOrNull }) {
  const { state } = store;
  // A server decode that failed in a way that may pass is asked again (1, 2, 4, then every 8 s)
  // until one succeeds (for the z current then; a move meanwhile asks at once): the old digit
  // stayed, looking current, until the user moved (page pass 8).
  const retry = createRetry();
  // What the digit shows: model, z, label and where it was decoded. The same again is not asked
  // for: a link's opening asked twice (its first digit, then its settled view), and the server's
  // second answer, from the browser's cache in a few ms, was read out as a server decode beside
  // a median of seconds (page pass 18).
  let shown = "";
  store.perModel(() => { retry.reset(); shown = ""; });

  const scheduleDecode = latestWins(async () => {
    const t = store.token();
    const z = [...state.z];
    const label = labelOrNull();
    const key = JSON.stringify([state.model.id, z, label, source.status().where === "browser"]);
    if (key === shown) return;
    const started = performance.now();
    try {
      const digit = await source.digit(z, label);
      if (decodedView.show(digit, started, () => store.isCurrent(t)) === null) return;
      shown = key;
      retry.reset();
      notice.clear("decode");
      const detail = { z, label, where: digit.where, drawnAt: performance.now() };
      window.dispatchEvent(new CustomEvent("digit-drawn", { detail }));
    } catch (err) {
      if (err.name === "AbortError" || err.name === "StaleError" || !store.isCurrent(t)) return;
      shown = "";
      const reason = describe(err);
      decodedView.stale(reason.charAt(0).toLowerCase() + reason.slice(1).replace(/\.$/, ""));
      window.dispatchEvent(new CustomEvent("digit-stale"));
      const next = mayPass(err) ? `Asked again in ${retry.schedule(() => scheduleDecode())} s.` : "";
      notice.show(err, "decode", next);
    }
  });

  const refreshStyleRow = latestWins(async () => {
    if (!store.conditional()) return showThumbs(styleRow, []);
    const t = store.token();
    const k = state.model.num_classes;
    try {
      const images = await source.images(Array(k).fill(state.z), [...Array(k).keys()]);
      store.check(t);
      showThumbs(styleRow, images, state.model.class_names);
      notice.clear("style");
    } catch (err) {
      if (store.isCurrent(t)) notice.show(err, "style"); // not another model's late failure
    }
  });
  let styleTimer = null;
  function scheduleStyleRow() {
    clearTimeout(styleTimer);
    if (source.status().where === "browser") refreshStyleRow();
    else styleTimer = setTimeout(refreshStyleRow, STYLE_ROW_PAUSE_MS);
  }

  return { scheduleDecode, scheduleStyleRow };
}

// ---- the samples and the interpolation -------------------------------------------------------

const SAMPLES = 16;
const INTERP_STEPS = 10;

/**
 * @param {{store: object, source: object, notice: object, map: object, interpolationView: object,
 *          samples: HTMLElement, samplesSaid: HTMLElement, picked: HTMLElement,
 *          digit: HTMLElement, temperature: HTMLInputElement,
 *          method: HTMLSelectElement, labelOrNull: () => number | null}} deps
 * @returns {{generateSamples: (opts?: {announce?: boolean, fresh?: boolean}) => Promise<void>,
 *            runInterpolation: () => Promise<void>, seed: () => number,
 *            useSeed: (seed: number | null) => void}}
 */
export function createSamplesFlow({ store, source, notice, map, interpolationView, samples,
                                    samplesSaid, picked, digit, temperature, method, labelOrNull,
                                    goTo }) {
  const { state } = store;
  let samplesRequest = 0; // a newer label or temperature wins over a late answer
  let interpRequest = 0; // newer ends or path win over a late answer
  // The samples' draws: kept across a new label, temperature or model (a new T scales the same
  // ε, so the samples move towards z = 0 together), new only at "New samples"; in the link.
  let seed = newSeed();
  let pickedZ = null; // the z of the sample pressed, while it is the current z

  /** Mark sample k as the current z (-1: none is), and say so under the samples. */
  function markPicked(k, z = null) {
    pickedZ = k < 0 ? null : z;
    samples.querySelectorAll(".thumb-pick").forEach((b, i) => b.setAttribute("aria-pressed", String(i === k)));
    picked.hidden = k < 0;
    if (k >= 0) {
      // The data set's noun: "the digit" under a Fashion model's sandal (page pass 28).
      picked.firstElementChild.textContent = fillNouns(`Sample ${k + 1} is the current z ` +
        `(${zWords(z)}): the {item}, the sliders and the map above show it.`, state.model);
    }
  }
  picked.querySelector("button").addEventListener("click", () =>
    digit.scrollIntoView({ block: "center", behavior: "smooth" }));
  // Another model's samples are other images: the line spoke of one no longer shown (review 19).
  store.perModel(() => markPicked(-1));

  /** @param {{announce?: boolean, fresh?: boolean}} [opts] announce: asked for by the user, who
   *  hears them come; fresh: other draws (a new seed) */
  async function generateSamples({ announce = false, fresh = false } = {}) {
    const t = store.token();
    const request = ++samplesRequest;
    if (fresh) seed = newSeed();
    try {
      const label = labelOrNull();
      const { images, zs } = await source.sample(SAMPLES, label, Number(temperature.value), seed);
      store.check(t);
      if (request !== samplesRequest) return;
      const of = label === null ? "" : ` of ${classPhrase(state.model, label)}`;
      // A sample pressed moves z to it: the digit, the sliders and the map's crosshair follow.
      showThumbs(samples, images, null, (k) => `sample ${k + 1}${of}`, (k) => {
        goTo(zs[k], k);
        markPicked(k, zs[k]);
      });
      markPicked(-1);
      // New images and no word (page pass 14): said, and said again at every press (the
      // no-break space alternates, as the same words are not read out twice).
      if (announce) {
        // The label by its name, as the model is given it: "16 new samples of an ankle boot" read
        // as 16 of one boot (a phrase is one item), and a label is a condition, not a promise.
        const given = label === null ? "" : ` given the label “${state.model.data.class_names[label]}”`;
        // Only "New samples" draws new ones: a label or temperature changes how the same draws
        // are decoded or scaled.
        const said = `${images.length} ${fresh ? "new samples" : "samples"}${given}, temperature ` +
          `${Number(temperature.value).toFixed(1)}${fresh ? "" : ", from the same draws"}.`;
        samplesSaid.textContent = samplesSaid.textContent === said ? `${said}\u00a0` : said;
      } else {
        samplesSaid.textContent = ""; // it spoke of samples no longer shown (page pass 16)
      }
      notice.clear("samples");
    } catch (err) {
      // A failure of a request since superseded (another model's, an older label's) is no news.
      if (!store.isCurrent(t) || request !== samplesRequest) return;
      notice.show(err, "samples");
    }
  }

  async function runInterpolation() {
    const [a, b] = state.ends;
    map.setEnds(a && a.z, b && b.z);
    const request = ++interpRequest;
    if (!a || !b) return interpolationView.waitFor(a, b);
    const t = store.token();
    try {
      const frames = await interpolateEnds(state.model, a, b, method.value, INTERP_STEPS,
                                           source.interpolate);
      store.check(t);
      if (request !== interpRequest) return;
      interpolationView.show(frames.images, frames.info, frames.captions);
      map.setPath(frames.zs);
      notice.clear("interp");
    } catch (err) {
      if (!store.isCurrent(t) || request !== interpRequest) return; // superseded, as above
      interpolationView.failed();
      notice.show(err, "interp");
    }
  }

  return {
    generateSamples,
    runInterpolation,
    seed: () => seed,
    /** z moved: a sample marked as the current z is no longer it. */
    zMoved: (z) => {
      if (pickedZ && (z.length !== pickedZ.length || z.some((v, d) => v !== pickedZ[d]))) {
        markPicked(-1);
      }
    },
    /** The samples a link names (null: none named, new ones are drawn). */
    useSeed: (s) => { seed = s ?? newSeed(); },
  };
}

// ---- the interpolation's row and line ----------------------------------------------------------

const INTERP_PROMPT = "Pick two points (draw, click the map or use the sliders) and set A and B.";

/** @param {{row: HTMLElement, info: HTMLElement}} els */
export function createInterpolationView(els) {
  /**
   * @param {string[]} images PNG data URLs
   * @param {string} info how the frames were made, in one line
   * @param {string[] | null} [captions] one per frame (the label each was decoded with)
   */
  function show(images, info, captions = null) {
    // Each frame says where it lies on the path: "image 3", or ten frames all "decoded with the
    // label Bag", could not be told apart (page pass 22).
    const last = Math.max(images.length - 1, 1);
    showThumbs(els.row, images, captions,
               (k) => `frame ${k + 1} of ${images.length}, ${Math.round((100 * k) / last)}% of the way from A to B`);
    // New frames are news even in the same words (B set again elsewhere): the no-break space
    // alternates, as the samples line's does (review: setLive made the second one silent).
    els.info.textContent = els.info.textContent === info ? `${info}\u00a0` : info;
  }

  function clear() {
    showThumbs(els.row, []);
    setLive(els.info, INTERP_PROMPT);
  }

  /** One end is set, or none: say so, and what is next (page pass 11: "A = current" changed
   *  nothing on the line, which still asked to set A and B). */
  function waitFor(a, b) {
    showThumbs(els.row, []);
    const [set, next] = a ? ["A", "B"] : ["B", "A"];
    setLive(els.info, !a && !b ? INTERP_PROMPT
      : `${set} is set (marked on the map): move z to another point, then set ${next}.`);
  }

  /** Both ends are set and their frames failed: the line said "A is set… then set B" still
   *  (page pass 19). */
  function failed() {
    showThumbs(els.row, []);
    setLive(els.info, "A and B are set, but the path between them could not be made (the " +
      "message at the foot of the page says why; setting an end asks again).");
  }

  return { show, clear, waitFor, failed };
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
