// The view in the link: every choice a user made travels, so a reload or a shared link shows the
// same page. Short keys: model, z, label, plane ("pca" or "i,j"), range, scatter (0/1), a and b
// (interpolation ends, z then ":label" for a conditional model), method (interpolation path),
// t (the temperature of "New samples"), seed (which samples: latent-paths.js seededUniform).
// Reading checks every value: out of range is clamped, nonsense is refused, and each correction
// is reported in words so the page can say what it did.

import { MAX_SEED } from "./latent-paths.js";
import { classCount } from "./state.js";

// Each model has its own range (an AE's codes reach ±130), so a link may carry any range and z up
// to what the server accepts.
const Z_LIMIT = 1000;
// The temperature slider's range; the server takes more, the page offers this.
const TEMPERATURE_RANGE = [0.1, 2];

/** A number as short as it can be written and read back within 1e-4. */
const num = (v) => String(Number(v.toFixed(4)));

/**
 * @param {{model: object, z: number[], label: number, view: object,
 *          ends: ({z: number[], label: number | null} | null)[]}} state
 * @param {string} method the interpolation path
 * @param {number} [temperature] of "New samples"; 1 is left out of the link
 * @param {number | null} [seed] of "New samples"
 * @returns {string} the query string, starting with "?"
 */
export function writeQuery(state, method, temperature = 1, seed = null) {
  const m = state.model;
  const parts = [`model=${encodeURIComponent(m.id)}`, `z=${state.z.map(num).join(",")}`];
  // An unconditional model's link keeps a label other than 0 too: it is the one the "Same z,
  // every model" strip decodes its conditional models with (page pass 5: the link dropped it).
  if (m.capabilities.conditional || (state.label !== 0 && classCount(m))) parts.push(`label=${state.label}`);
  if (m.latent_dim > 2) parts.push(`plane=${state.view.plane === "pca" ? "pca" : state.view.dims.join(",")}`);
  // Pass 7: "range differs from 3" dropped a chosen ±3 on models whose own range is another.
  if (!state.view.ownRange) parts.push(`range=${state.view.range}`);
  if (!state.view.scatter) parts.push("scatter=0");
  state.ends.forEach((end, k) => {
    if (!end) return;
    parts.push(`${"ab"[k]}=${end.z.map(num).join(",")}${end.label !== null ? `:${end.label}` : ""}`);
  });
  if (method !== "linear") parts.push(`method=${method}`);
  if (temperature !== 1) parts.push(`t=${num(temperature)}`);
  if (seed !== null) parts.push(`seed=${seed}`);
  // Written by hand so the commas stay readable in a shared link (URLSearchParams gives %2C).
  return `?${parts.join("&")}`;
}

// A number as people write one in a link: decimal, optional sign and exponent. Number() also
// took "" as 0 ("z=1," was z = (1, 0)), "0x10" as 16 and " 2 " as 2 (page pass 9).
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const decimal = (text) => (DECIMAL.test(text.trim()) ? Number(text) : NaN); // "0.5, -1.2" too
// Narrower than this, the sliders' 0.01 steps and the map's ticks say nothing.
const MIN_RANGE = 0.1;

// The keys a link may carry (the view's, written by `query`).
const KEYS = ["model", "z", "label", "plane", "range", "scatter", "a", "b", "method", "t", "seed"];

/** Parse a comma list of numbers for a model; clamps to ±Z_LIMIT. */
function parseZ(raw, model, name, notes) {
  const z = raw.split(",").map(decimal);
  if (z.length !== model.latent_dim || !z.every(Number.isFinite)) {
    notes.push(`The link's ${name} (${raw}) is not ${model.latent_dim} numbers: ignored.`);
    return null;
  }
  if (z.some((v) => Math.abs(v) > Z_LIMIT)) {
    notes.push(`The link's ${name} goes past ±${Z_LIMIT}, the most the server takes: clamped.`);
  }
  return z.map((v) => Math.min(Z_LIMIT, Math.max(-Z_LIMIT, v)));
}

function parseLabel(raw, model, notes, what = "label", instead = "ignored") {
  const label = decimal(raw);
  if (!Number.isInteger(label) || label < 0 || label >= classCount(model)) {
    notes.push(`The link's ${what} (${raw}) is not one of ${model.id}'s labels: ${instead}.`);
    return null;
  }
  return label;
}

/** "label 3", or "label 3 (Dress)" where the classes have names. */
function labelName(model, label) {
  const name = (model.class_names || [])[label];
  return name !== undefined && name !== String(label) ? `label ${label} (${name})` : `label ${label}`;
}

/** The link's temperature, on the slider's 0.1 grid; clamped to the slider's range, 1 if nonsense. */
function parseTemperature(raw, notes) {
  const t = decimal(raw);
  const [lo, hi] = TEMPERATURE_RANGE;
  if (!Number.isFinite(t)) {
    notes.push(`The link's temperature (${raw}) is not a number: 1 is used.`);
    return 1;
  }
  if (t < lo || t > hi) notes.push(`The link's temperature (${raw}) is outside ${lo}–${hi}: clamped.`);
  const used = Math.round(10 * Math.min(hi, Math.max(lo, t))) / 10;
  if (t >= lo && t <= hi && used !== t) {
    notes.push(`The link's temperature (${raw}) is set in steps of 0.1: ${used} is used.`);
  }
  return used;
}

/** The samples' seed: a whole number in 0..MAX_SEED, written as digits; else new samples. */
function parseSeed(raw, notes) {
  if (/^\d{1,10}$/.test(raw) && Number(raw) <= MAX_SEED) return Number(raw);
  notes.push(notRead("seed", raw, `a whole number from 0 to ${MAX_SEED}`, "other samples are drawn"));
  return null;
}

/** A value the page cannot read, in words: "The link's method (SLERPY) is not linear or slerp". */
function notRead(key, raw, expected, instead) {
  return raw === "" ? `The link's ${key} is empty: ${instead}.`
    : `The link's ${key} (${raw}) is not ${expected}: ${instead}.`;
}

// The paths an interpolation may take. Read whatever the case: a hand-typed "SLERP" means slerp
// (page pass 18: it became linear without a word), and the address then says "slerp".
const METHODS = ["linear", "slerp"];

function parseMethod(raw, notes) {
  const method = raw.toLowerCase();
  if (METHODS.includes(method)) return method;
  notes.push(notRead("method", raw, "linear or slerp", "linear is used"));
  return "linear";
}

/** The test set's dots: "0" hides them, "1" shows them (as the absent key does). */
function parseScatter(raw, notes) {
  if (raw === "0" || raw === "1") return raw === "1";
  notes.push(notRead("scatter", raw, "0 or 1", "the dots are shown"));
  return true;
}

const MOST_NAMED = 4; // a link with more unknown keys than this names the first few
// Added by the sites a link passes through, not typed by its sender: not worth a word.
const TRACKING = /^(utm_\w+|fbclid|gclid)$/;

/** One sentence for every key the page does not read (a misspelt "zz=1,1" showed z = 0 silently). */
function unknownKeys(params) {
  const unknown = [...new Set(params.keys())]
    .filter((key) => key !== "" && !KEYS.includes(key) && !TRACKING.test(key));
  if (!unknown.length) return [];
  const named = unknown.length > MOST_NAMED
    ? [...unknown.slice(0, MOST_NAMED - 1), `${unknown.length - MOST_NAMED + 1} others`] : unknown;
  const list = named.length === 1 ? named[0] : `${named.slice(0, -1).join(", ")} and ${named.at(-1)}`;
  return [unknown.length === 1 ? `The link's ${list} is not a setting this page reads: ignored.`
    : `The link's ${list} are not settings this page reads: ignored.`];
}

/**
 * Read the link.
 * @param {string} search location.search
 * @param {object[]} models the walkable models
 * @param {string} fallback the id opened when the link names none, or one that is not loaded
 * @param {Object<string, string>} [elsewhere] ids served in a panel of their own: where to look
 * @returns {{model: object, z: number[] | null, label: number | null, plane: string | null,
 *            range: number | null, scatter: boolean, ends: object[], method: string,
 *            temperature: number, seed: number | null, notes: string[]}}
 */
export function readQuery(search, models, fallback, elsewhere = {}) {
  const params = new URLSearchParams(search);
  const notes = [];
  const byId = (id) => models.find((m) => m.id === id);
  let model = byId(params.get("model"));
  const named = params.get("model");
  if (params.has("model") && !model) {
    // A model served with a panel of its own (the completion model) is not "no model".
    notes.push(Object.hasOwn(elsewhere, named) ? `${named} ${elsewhere[named]}; showing ${fallback} above.`
      : `No model named "${named}" can be explored here; showing ${fallback}.`);
  }
  model = model || byId(fallback) || models[0];
  // The server serves the page whatever its query holds; what a link repeats is said here.
  const twice = KEYS.filter((key) => params.getAll(key).length > 1);
  if (twice.length) notes.push(`The link gives ${twice.join(", ")} more than once: the first is used.`);
  const out = { model, z: null, label: null, plane: null, range: null, scatter: true,
                ends: [null, null], method: "linear", temperature: 1, seed: null, notes };
  if (params.get("z")) out.z = parseZ(params.get("z"), model, "z", notes);
  if (params.has("label")) out.label = parseLabel(params.get("label"), model, notes);
  // Written only when it is not 0 for a model not told labels: absent means 0, so that Back to
  // such a link does not keep the label of the view it leaves.
  else if (classCount(model)) out.label = 0;
  if (params.has("plane") && model.latent_dim > 2) {
    const plane = params.get("plane");
    const dims = plane.split(",").map(Number);
    const ok = plane === "pca" || (dims.length === 2 && dims.every((d) => Number.isInteger(d) && d >= 0 && d < model.latent_dim) && dims[0] < dims[1]);
    if (ok) out.plane = plane;
    else notes.push(`The link's plane (${plane}) is not a plane of ${model.id}: ignored.`);
  }
  if (params.has("range")) {
    const range = decimal(params.get("range"));
    if (range >= MIN_RANGE && range <= Z_LIMIT) out.range = range;
    else notes.push(`The link's range (${params.get("range")}) is not a number from ${MIN_RANGE} to ${Z_LIMIT}: ignored.`);
  }
  if (params.has("scatter")) out.scatter = parseScatter(params.get("scatter"), notes);
  ["a", "b"].forEach((key, k) => {
    if (!params.get(key)) return;
    // "z:label"; an empty label is none, and "1,1:3:5" is one label, "3:5", that is not one.
    const [zRaw, ...rest] = params.get(key).split(":");
    const labelRaw = rest.length && rest.join(":") !== "" ? rest.join(":") : undefined;
    const name = key.toUpperCase();
    const z = parseZ(zRaw, model, name, notes);
    if (!z) return;
    if (!model.capabilities.conditional) return void (out.ends[k] = { z, label: null });
    // A conditional model decodes an end with its label: one missing or wrong takes the view's
    // (a hand-made "a=1,1" broke the interpolation with "label must be in 0..9"; page pass 9).
    const fallback = out.label ?? 0;
    const instead = `it takes the view's, ${labelName(model, fallback)}`;
    let label = labelRaw === undefined ? null : parseLabel(labelRaw, model, notes, `${name} label`, instead);
    if (labelRaw === undefined) notes.push(`The link's ${name} names no label: ${instead}.`);
    label ??= fallback;
    out.ends[k] = { z, label };
  });
  if (params.has("method")) out.method = parseMethod(params.get("method"), notes);
  if (params.has("t")) out.temperature = parseTemperature(params.get("t"), notes);
  if (params.has("seed")) out.seed = parseSeed(params.get("seed"), notes);
  notes.push(...unknownKeys(params));
  return out;
}

// "Copy link": the view's link (above) to the clipboard, and a line on what it leaves out
// (the drawing) and where it does not reach (a loopback address names the sender's computer).

// Host names that, in a link opened on another device, name that device: the loopback names,
// and the all-interfaces bind addresses, which the server printed as "open http://0.0.0.0:…"
// before it printed its own addresses (page pass 18: that link was copied without a word).
const OWN_DEVICE = ["127.0.0.1", "localhost", "[::1]", "0.0.0.0", "[::]"];

/** Whether a link to this host name reaches nobody but the device that opens it. */
export const namesOwnDevice = (hostname) => OWN_DEVICE.includes(hostname);

// The page cannot know whether a loopback-bound server listens elsewhere too; one opened as
// 0.0.0.0 or [::] does, and has printed its address already (page pass 19: told to start with
// --host 0.0.0.0, as it had been).
const OWN_DEVICE_NOTE = " It names this computer: to share it, open the page by this computer's " +
  "network address (the server prints it when started with --host 0.0.0.0) and copy the link there.";
const ALL_INTERFACES_NOTE = " It names each visitor's own device: to share it, open the page by " +
  "the address the server printed for other devices and copy the link there.";
const ownDeviceNote = (hostname) =>
  (["0.0.0.0", "[::]"].includes(hostname) ? ALL_INTERFACES_NOTE : OWN_DEVICE_NOTE);

/**
 * @param {{button: HTMLButtonElement, note: HTMLElement}} els
 * @param {() => string} query the current view as a link's query
 * @param {() => void} beforeCopy called first (main.js drops its pending address update)
 * @param {() => boolean} labelled whether the model shown takes a label
 * @returns {{hide: () => void}} hide the note (the view moved on: it spoke of an older link)
 */
export function createShareLink({ button, note }, query, beforeCopy = () => {}, labelled = () => true) {
  async function copy() {
    beforeCopy();
    const url = new URL(query(), location.href).href;
    history.replaceState(null, "", url);
    let copied = false;
    try {
      await navigator.clipboard.writeText(url); // only in a secure context (https, localhost)
      copied = true;
    } catch {
      copied = false;
    }
    // The label is kept in every link (the compare strip's CVAE decodes with it), but named only
    // where the model shown takes one (page pass 15: "label" beside an unconditional VAE).
    note.textContent = (copied ? "Link copied" : "Copy this link") +
      ` (model, z, ${labelled() ? "label, " : ""}map, interpolation, temperature and samples; not ` +
      "the drawing)." +
      (namesOwnDevice(location.hostname) ? ownDeviceNote(location.hostname) : "");
    if (!copied) note.append(linkField(url));
    note.hidden = false;
  }

  /** The link in a field of its own: it wraps to the page's width (one 600 px word widened a
   * phone's page and was cut off), and a tap selects all of it for the phone's own Copy. */
  function linkField(url) {
    const field = document.createElement("input");
    Object.assign(field, { type: "text", readOnly: true, value: url });
    field.className = "link-field";
    field.dataset.testid = "link-field";
    field.setAttribute("aria-label", "link to this view");
    field.addEventListener("focus", () => field.select());
    return field;
  }

  button.addEventListener("click", copy);
  return { hide: () => { note.hidden = true; } };
}
