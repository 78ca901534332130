// Where the page's digits come from: the model's decoder run in the browser once its file has
// loaded, the server until then, and the server for good when the file cannot be fetched or
// parsed (a file the network failed to bring is asked again, later). main.js asks this module for
// digits and never needs to know which one answered.
// The server stays the source of encode and completion (api.js); samples are drawn here from
// their seed whoever decodes them.

import * as api from "./api.js";
import { fetchDecoder } from "./decoder-fetch.js";
import { toImageData } from "./decoder.js";
import { newestSettled } from "./latest.js";
import { gaussian, interpolatePath, seededUniform } from "./latent-paths.js";

/** Longest stretch of thumbnail decoding before the page gets the main thread back. */
const SLICE_MS = 8;

/** How long a model switch waits for the decoder file before the server decodes meanwhile. */
export const LOAD_WAIT_MS = 1500;

/** imageIn's answer while a model's decoder file is loading (for less than LOAD_WAIT_MS). */
export const PENDING = Symbol("decoder file loading");

/** Seconds before a decoder file the network (or the server's own error) failed is asked for
 *  again, by the number of failures so far; the last repeats. */
const LOAD_AGAIN_S = [2, 4, 8, 16, 30];

/**
 * @typedef {{where: "browser"|"server", image: ImageData|ImageBitmap}} DecodedDigit
 * @typedef {{where: "loading"|"browser"|"server", note: string, reason?: string}} SourceStatus
 */

/**
 * @typedef {{use: (model: object) => Promise<void>,
 *            digit: (z: number[], label: number|null) => Promise<DecodedDigit>,
 *            images: (zs: number[][], labels: (number|null)[]|null) => Promise<string[]>,
 *            sample: (n: number, label: number|null, temperature: number, seed: number) =>
 *              Promise<{images: string[], zs: number[][]}>,
 *            interpolate: (a: number[], b: number[], opts: object) => Promise<{z: number[][], images: string[]}>,
 *            status: () => SourceStatus}} DecodeSource
 */

/**
 * @param {{onChange?: (status: SourceStatus) => void}} [handlers] told when the source changes
 * @returns {DecodeSource}
 */
export function createDecodeSource({ onChange = () => {} } = {}) {
  const loads = new Map(); // model id -> Promise<{decoder} | {reason}>, fetched once per page
  const starts = new Map(); // model id -> starts its fetch (a strip's waits for the current one)
  const ready = new Map(); // model id -> LocalDecoder, once its file is loaded and checked
  const settled = new Set(); // model ids whose load has ended, loaded or not
  // model id -> {tries, at}: its last load failed in a way that may pass, and is asked for again
  // from `at` on (page pass 18: a file lost to a few seconds offline was never asked for again,
  // and the page decoded on the server, ~170 ms a step instead of ~2, for the rest of the visit).
  const again = new Map();
  let againTimer = null; // the current model's next ask
  const waits = new Map(); // model id -> {pending, listeners}: imageIn's wait for the file
  let model = null;
  let local = null; // the current model's LocalDecoder, once loaded
  let status = { where: "loading", note: "" };
  let currentLoad = Promise.resolve(); // the current model's decoder load (never rejects)
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 28;
  // Read back (toDataURL) after every putImageData: a context kept in memory is the cheap one.
  const ctx = canvas.getContext("2d", { willReadFrequently: true });

  /** The decoder file's size as the page says it, " (1.9 MB)". */
  const sizeOf = (m) => (m.decoder ? ` (${(m.decoder.bytes / 1e6).toFixed(1)} MB)` : "");

  function setStatus(next) {
    status = next;
    onChange(status);
  }

  /**
   * Switch to a model: resolves when its decoder runs in the browser, when it cannot, or after
   * LOAD_WAIT_MS (the server decodes until the file arrives).
   * @param {object} m an entry of /api/models
   * @returns {Promise<void>}
   */
  function use(m) {
    model = m;
    local = null;
    setStatus({ where: "loading", note: m.decoder ? `Loading the decoder file${sizeOf(m)}…` : "" });
    const done = follow(m);
    return Promise.race([done, new Promise((r) => setTimeout(r, LOAD_WAIT_MS))]);
  }

  /** Load the current model's file and decode where it lets us; a failure that may pass is asked
   *  again while that model is current (the server decodes meanwhile). */
  function follow(m) {
    clearTimeout(againTimer);
    currentLoad = ensure(m);
    return currentLoad.then((result) => {
      if (model !== m) return; // switched again meanwhile; the file stays loaded for later
      if (result.decoder) {
        local = result.decoder;
        const mb = (local.bytes / 1e6).toFixed(2);
        setStatus({ where: "browser", note: `Decoding in the browser (${mb} MB, ${local.dtype}).` });
        return;
      }
      const retry = again.get(m.id);
      const wait = retry ? Math.max(0, retry.at - performance.now()) : null;
      // The reason in the words, not only in a title a finger or a screen reader cannot reach.
      const note = `Decoding on the server: ${result.reason}` +
        (retry ? ` (asked for again in ${Math.ceil(wait / 1000)} s).` : ".");
      setStatus({ where: "server", note, reason: result.reason });
      if (!retry) return;
      againTimer = setTimeout(() => {
        if (model !== m || local) return;
        // Said while it comes: the failure and its "asked for again in 16 s" stood through the
        // whole ~40 s of the second download on a slow link (page pass 29).
        setStatus({ where: "server", note: `Decoding on the server while the decoder file${sizeOf(m)} is asked for again…` });
        follow(m);
      }, wait);
    });
  }

  /**
   * The load of a model's decoder, asked for once and kept for the page's life (a failure that
   * may pass: until its time to be asked again comes). The current
   * model's file starts at once; another model's (the compare strip's) starts once no current
   * model's file is loading, checked again whenever the current model changes, and at once if
   * that model becomes the current one. On a slow link the three strip files had shared the link
   * with the current one, which came last, in 22 s instead of 11.
   */
  function ensure(m) {
    const retry = again.get(m.id);
    if (retry && performance.now() >= retry.at && settled.has(m.id)) {
      // Its time has come: forgotten, so that this ask (a switch back to it, the strip's next z,
      // the current model's timer) fetches it anew.
      loads.delete(m.id);
      settled.delete(m.id);
      waits.delete(m.id);
    }
    if (!loads.has(m.id)) {
      let start;
      const begun = new Promise((resolve) => { start = resolve; });
      starts.set(m.id, start);
      loads.set(m.id, begun.then(() => fetchDecoder(m)).then((result) => {
        if (result.decoder) ready.set(m.id, result.decoder);
        if (result.mayPass) {
          const tries = (again.get(m.id)?.tries ?? 0) + 1;
          const s = LOAD_AGAIN_S[Math.min(tries, LOAD_AGAIN_S.length) - 1];
          again.set(m.id, { tries, at: performance.now() + 1000 * s });
        } else {
          again.delete(m.id);
        }
        settled.add(m.id);
        return result;
      }));
      if (!(model && m.id === model.id)) startAfterCurrent(m.id);
    }
    if (model && m.id === model.id) starts.get(m.id)(); // resolving twice is a no-op
    return loads.get(m.id);
  }

  /** Start another model's load once the current model's has ended (whichever is current then). */
  async function startAfterCurrent(id) {
    await newestSettled(() => currentLoad);
    starts.get(id)();
  }

  /**
   * z decoded by any model (not only the current one) as a PNG data URL, in the browser. While
   * that model's decoder file loads (its load starts on the first ask) the answer is PENDING, for
   * up to LOAD_WAIT_MS: a server image asked for meanwhile would be dropped, mid-request, as soon
   * as the file arrives. null when the file cannot be had, or while it is slower than that: the
   * caller then asks the server. `onChange` runs when the answer for that model changes (the file
   * loaded or failed, or the wait ran out).
   * @param {object} m an entry of /api/models @param {number[]} z @param {number|null} label
   * @param {() => void} [onChange]
   * @returns {string | null | typeof PENDING}
   */
  function imageIn(m, z, label, onChange = () => {}) {
    if (again.has(m.id)) ensure(m); // fetched anew once its time has come
    const dec = ready.get(m.id);
    if (dec) return dataUrl(dec.decode(z, label));
    if (!m.decoder || settled.has(m.id)) return null;
    const wait = waitFor(m);
    wait.listeners.add(onChange);
    return wait.pending ? PENDING : null;
  }

  /** The wait for a model's decoder file, started once: pending until it ends or LOAD_WAIT_MS. */
  function waitFor(m) {
    if (!waits.has(m.id)) {
      const wait = { pending: true, listeners: new Set() };
      waits.set(m.id, wait);
      const tell = () => {
        wait.pending = false;
        for (const f of wait.listeners) f();
      };
      const timer = setTimeout(tell, LOAD_WAIT_MS);
      ensure(m).then((result) => {
        clearTimeout(timer);
        // Past the wait the server is already drawing: only a decoder that arrived changes that.
        if (wait.pending || result.decoder) tell();
        wait.listeners.clear(); // nothing more will change for this model
      });
    }
    return waits.get(m.id);
  }

  function dataUrl(probs) {
    ctx.putImageData(toImageData(probs), 0, 0);
    return canvas.toDataURL();
  }

  /**
   * The digit for z (and a label for conditional models).
   * @param {number[]} z @param {number|null} label
   * @returns {Promise<DecodedDigit>}
   */
  async function digit(z, label) {
    if (local) return { where: "browser", image: toImageData(local.decode(z, label)) };
    const blob = await api.decodePng(model.id, z, label);
    return { where: "server", image: await createImageBitmap(blob) };
  }

  /**
   * Several digits as PNG data URLs (the style row and other thumbnails).
   * @param {number[][]} zs @param {(number|null)[]|null} labels one per z, or null
   * @returns {Promise<string[]>}
   */
  async function images(zs, labels) {
    const dec = local; // the model may switch while this runs: keep to the one asked of
    if (dec) {
      // Tasks of their own, a few milliseconds each: the digit asked for by the same input is
      // drawn first, and the main thread never holds a frame for a row of thumbnails.
      const urls = [];
      let slice = -Infinity;
      for (let i = 0; i < zs.length; i++) {
        if (performance.now() - slice > SLICE_MS) {
          await yieldTask();
          slice = performance.now();
        }
        urls.push(dataUrl(dec.decode(zs[i], labels ? labels[i] : null)));
      }
      return urls;
    }
    return (await api.decode(model.id, zs, labels)).images;
  }

  /**
   * n samples z = temperature · ε, ε ~ N(0, I) drawn from `seed`; a conditional model without a
   * label gets labels drawn from it too. Drawn here whoever decodes them (the server decodes
   * these z when the decoder file cannot be had), so one seed is one set of samples.
   * @returns {Promise<{images: string[], zs: number[][]}>}
   */
  async function sample(n, label, temperature, seed) {
    const uniform = seededUniform(seed);
    const zs = Array.from({ length: n }, () =>
      Array.from({ length: model.latent_dim }, () => temperature * gaussian(uniform)));
    const k = model.capabilities.conditional ? model.num_classes : 0;
    const labels = k ? zs.map(() => (label ?? Math.floor(uniform() * k))) : null;
    return { images: await images(zs, labels), zs };
  }

  /**
   * Frames from a to b, along a line or a great circle, as the server's /interpolate makes them
   * (and in its shape: the path and the images).
   * @returns {Promise<{z: number[][], images: string[]}>}
   */
  async function interpolate(a, b, { steps, method, label }) {
    if (!local) return api.interpolate(model.id, a, b, { steps, method, label });
    const path = interpolatePath(a, b, steps, method);
    return { z: path, images: await images(path, label === null ? null : path.map(() => label)) };
  }

  return { use, digit, images, imageIn, sample, interpolate, status: () => status };
}

const yieldTask = () => new Promise((r) => setTimeout(r));
