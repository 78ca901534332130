// Wiring: components report what the user did, the store (state.js) records it, and this module
// asks the server and hands the answers to the components. Every answer is checked against the
// store's model-switch token before it is shown, so a late answer never paints another model.

import * as api from "./api.js";
import { createCompletionPanel } from "./completion-panel.js";
import { createDecodeSource, gaussian } from "./decode-source.js";
import { createDecodedView } from "./decoded-view.js";
import { createDigitFlow } from "./digit-flow.js";
import { createDrawFlow } from "./draw-flow.js";
import { createDrawPad } from "./draw-pad.js";
import { createEncodeView } from "./encode-view.js";
import { createInterpolationView, interpolateEnds } from "./interpolation-view.js";
import { backoff, newestSettled } from "./latest.js";
import { createLatentMap } from "./latent-map.js";
import { fillLabelSelect, fillPlaneSelect, fitModelPicker, formatMetric, lessonOrder, styleNote }
  from "./model-picker.js";
import { PRIOR_RANGE, applyNotation, drawPrep, fillRangeSelect, metricNote, outputMeaning, padNote }
  from "./model-notes.js";
import { createNotice, describe } from "./notice.js";
import { applyNouns } from "./nouns.js";
import { createSliders, guardTouch } from "./sliders.js";
import { createStore } from "./state.js";
import { createTeaching } from "./teach.js";
import { showThumbs, withArticle } from "./thumbs.js";
import { createShareLink, readQuery, writeQuery } from "./url-state.js";

const $ = (id) => document.getElementById(id);
const SAMPLES = 16;
const INTERP_STEPS = 10;
// The model a bare address opens, named once in index.html (the server preloads its decoder).
const PREFERRED_MODEL = document.querySelector("meta[name=default-model]")?.content ?? null;

const store = createStore();
const { state } = store;
const { conditional } = store;
const labelOrNull = () => (conditional() ? state.label : null);

const notice = createNotice($("error"));

// ---- components -----------------------------------------------------------------------------
// Digits come from the decoder running in the page, or from the server (see decode-source.js).
const source = createDecodeSource({
  onChange: ({ where, note, reason }) => {
    Object.assign($("decode-note"), { textContent: note, title: reason || "" });
    $("decode-note").dataset.where = where;
    // The file arrived: the digit shown was the server's, and its latency line said so.
    if (where === "browser" && state.model) scheduleDecode();
  },
});
const decodedView = createDecodedView($("decoded"), $("latency"), $("map-digit"));
const sliders = createSliders($("sliders"), {
  onInput: (dim, value) => {
    const z = [...state.z];
    z[dim] = value;
    setZ(z, { fromSlider: true });
  },
});
const map = createLatentMap(
  { wrap: $("map"), canvas: $("map-canvas"), svg: $("map-overlay"), legend: $("legend") },
  { onPick: (x, y) => setZ(map.plane().unproject(x, y, state.z)),
    // Neutral, and never over the atlas's own notice (which says the same thing first).
    onError: () => atlasRetry || notice.show("The map's background did not load (the server or " +
                                             "the network may be down): it is asked again when " +
                                             "you next move.", "map"),
    onLoad: () => notice.clear("map"),
    // A PCA plane comes with the atlas: without it the map takes no click, and a click asks for
    // the atlas again (it never did: the retry sat in setZ, which such a map cannot call).
    onNoPlane: () => { if (atlasRetry && !viewPending) applyView(); } },
);
const pad = createDrawPad($("draw-pad"), { onStroke: () => drawFlow.encodeDrawing() });
const encodeView = createEncodeView({ preprocessed: $("preprocessed"), reconstruction: $("reconstruction"),
                                      info: $("encode-info"), probs: $("label-probs") },
                                    () => state.model);
const interpolationView = createInterpolationView({ row: $("interpolation"), info: $("interp-info") });
const teach = createTeaching($, { map, images: source.images, imageIn: source.imageIn,
                                  onError: (err) => notice.show(err, "posterior") });
const drawFlow = createDrawFlow(
  { store, pad, encodeView, teach, map, upload: $("upload") },
  { followLabel, moveTo: setZ, hint: outsideRangeHint,
    forgetLabel: () => { store.setDrawLabel(null); $("draw-label").value = ""; } },
);
const completion = createCompletionPanel(
  { panel: $("complete-panel"), pad: $("complete-pad"), shade: $("complete-shade"),
    region: $("region-select"), clear: $("clear-complete"), upload: $("complete-upload"),
    row: $("completions"), info: $("complete-info"), source: $("complete-model") },
  { onError: (err, next) => notice.show(err, "complete", next), onOk: () => notice.clear("complete") },
);

// Everything below shows one model's results: a model switch clears all of it.
store.perModel(() => decodedView.clear());
store.perModel(() => pad.clear());
store.perModel(() => encodeView.clear());
store.perModel(() => interpolationView.clear());
store.perModel(() => showThumbs($("samples"), []));
store.perModel(() => showThumbs($("style-row"), []));
store.perModel(() => { map.setMarker(null); map.setEnds(null, null); map.setPath(null); });
// Until the new model's grid arrives, black: its dots and axes must not sit on the old digits.
store.perModel(() => map.clearBackground());
store.perModel(() => notice.clear());
store.perModel(() => teach.clear());
store.perModel(() => drawFlow.forgetUpload());

// ---- the current z's digit and style row (digit-flow.js) -----------------------------------
const { scheduleDecode, scheduleStyleRow } = createDigitFlow(
  { store, source, decodedView, notice, styleRow: $("style-row"), labelOrNull },
);

let urlTimer = null;
/** The view as a link's query (url-state.js). */
const currentQuery = () => writeQuery(state, $("method-select").value, Number($("temperature").value));
const shareLink = createShareLink({ button: $("copy-link"), note: $("link-note") }, currentQuery,
                                  () => clearTimeout(urlTimer));
/** Write the view into the address: after 150 ms (a drag writes once it pauses), or `now` for a
 *  discrete choice, which a Back or reload right after it must not lose (range pass: a range
 *  picked under 150 ms before Back was dropped with the pending write). */
function saveUrl(now = false) {
  clearTimeout(urlTimer);
  shareLink.hide(); // its note spoke of the link before this change
  const write = () => history.replaceState(null, "", currentQuery());
  if (now) write();
  else urlTimer = setTimeout(write, 150);
}

let backgroundTimer = null;
/** z changed: decode, move sliders and crosshair, refresh what depends on z. */
function setZ(z, { fromSlider = false } = {}) {
  store.setZ(z);
  if (!fromSlider) sliders.setValues(z);
  map.setCrosshair(z);
  teach.showZ(z, state.label, state.model.id);
  scheduleDecode();
  scheduleStyleRow();
  saveUrl();
  $("download-digit").href = api.decodePngUrl(state.model.id, z, labelOrNull(), 8);
  // After a failed atlas (the server or network was down) a move asks again, at most every few
  // seconds, with the model's own range (or the link's) if that was still owed; a failed
  // background asks again below.
  if (atlasRetry && !viewPending && performance.now() - atlasAskedAt > ATLAS_RETRY_MS) {
    applyView(); // carries the range still owed, if any
  }
  // A plane (dims or PCA) shows the other dims at their current values: refresh it once the
  // user pauses, so that a click decodes what the map shows there.
  if (state.model.latent_dim > 2 || map.backgroundFailed()) {
    clearTimeout(backgroundTimer);
    backgroundTimer = setTimeout(refreshBackground, 200);
  }
}

function refreshBackground() {
  // A 2-d model's plane is all of z: no base point, so one URL per label and range (cached).
  // Otherwise the plane's point at (0, 0): a move within the plane keeps the URL and its picture.
  const plane = map.plane();
  const z = state.model.latent_dim <= 2 ? null : plane ? plane.unproject(0, 0, state.z) : state.z;
  map.loadBackground(state.model.id, { label: labelOrNull(), z });
}

/** How far z lies from the centre on the map's plane, in its largest coordinate (0: no plane). */
function reach(z) {
  const plane = map.plane();
  return plane ? Math.max(...plane.project(z).map(Math.abs)) : 0;
}

/** Where the map cannot show the drawing's mean: past its range on the plane shown. */
function outsideRangeHint(mu) {
  const far = reach(mu);
  if (far <= state.view.range) return "";
  // "outside ±2 (at 2.0)" read as a contradiction: as many decimals as tell them apart.
  const at = far.toFixed(1) === state.view.range.toFixed(1) ? far.toFixed(2) : far.toFixed(1);
  return ` It lies outside the map's ±${state.view.range} (at ${at}): choose a wider range to see it.`;
}

/** Show the label the view decodes with in both selects (the map's and the Generate panel's). */
function showLabel(label) {
  for (const id of ["label-select", "map-label"]) $(id).value = String(label);
}

/** The view decodes with this label now: the selects, the map's background and the samples. */
function followLabel(label) {
  store.setLabel(label);
  showLabel(label);
  refreshBackground();
  generateSamples();
}

/** The user picked a label (above the map or under Generate): everything decoded follows it. */
function chooseLabel(label) {
  followLabel(label);
  setZ(state.z);
}

let samplesRequest = 0; // a newer label or temperature wins over a late answer
async function generateSamples() {
  const t = store.token();
  const request = ++samplesRequest;
  try {
    const temperature = Number($("temperature").value);
    const label = labelOrNull();
    const images = await source.sample(SAMPLES, label, temperature);
    store.check(t);
    if (request !== samplesRequest) return;
    const of = label === null ? "" : ` of ${withArticle(state.model.class_names[label])}`;
    showThumbs($("samples"), images, null, (k) => `sample ${k + 1}${of}`);
    notice.clear("samples");
  } catch (err) {
    // A failure of a request since superseded (another model's, an older label's) is no news.
    if (!store.isCurrent(t) || request !== samplesRequest) return;
    notice.show(err, "samples");
  }
}

/** Set interpolation end k (0: A, 1: B) at the current z, with the current label. */
function setEnd(k) {
  store.setEnd(k, { z: [...state.z], label: labelOrNull() });
  runInterpolation();
  saveUrl();
}

let interpRequest = 0; // newer ends or path win over a late answer
async function runInterpolation() {
  const [a, b] = state.ends;
  map.setEnds(a && a.z, b && b.z);
  const request = ++interpRequest;
  if (!a || !b) return;
  const t = store.token();
  try {
    const frames = await interpolateEnds(state.model, a, b, $("method-select").value, INTERP_STEPS,
                                         source.interpolate);
    store.check(t);
    if (request !== interpRequest) return;
    interpolationView.show(frames.images, frames.info, frames.captions);
    map.setPath(frames.zs);
    notice.clear("interp");
  } catch (err) {
    if (!store.isCurrent(t) || request !== interpRequest) return; // superseded, as above
    notice.show(err, "interp");
  }
}

// ---- model and view -------------------------------------------------------------------------
function fillDrawLabel(model) {
  const select = $("draw-label");
  // "It is [an 8]", "It is [a T-shirt/top]": the article goes with the name.
  select.replaceChildren(new Option("?", ""),
                         ...model.class_names.map((name, k) => new Option(withArticle(name), String(k))));
  $("draw-label-control").hidden = !drawFlow.needsLabel();
}

let viewRequest = 0;
let viewPending = false; // an atlas is on its way
let atlasRetry = false; // the last atlas failed in a way that may pass: a move asks again
let atlasAskedAt = -Infinity;
const ATLAS_RETRY_MS = 2000;
/** @type {{linkRange: number | null} | null} the range a new model, plane or link is owed until its
 *  atlas comes (the atlas's own, or the link's): slow or failed, any later view change carries it,
 *  and a range the user picks meanwhile becomes the one it keeps (review: a range picked during a
 *  switch left the previous model's choices and "Why ±130?" note on the new model) */
let rangeOwed = null;
/**
 * Show the chosen plane and range; the atlas answer is dropped if the model or plane changed.
 * `resetRange`: a new model or plane gets its own range from its atlas (~99% of the test codes
 * visible), or `linkRange` when a link asked for one; `userRange`: the user chose the range.
 */
async function applyView({ resetRange = false, linkRange = null, userRange = false } = {}) {
  if (resetRange) rangeOwed = { linkRange };
  else if (rangeOwed) {
    resetRange = true;
    linkRange = userRange ? Number($("range-select").value) : rangeOwed.linkRange;
    rangeOwed = { linkRange };
  }
  // A link's range is the view's at once, not once the atlas comes: written into the address
  // meanwhile, the range before it (the left model's) replaced the link's for good if the atlas
  // failed (review).
  if (resetRange) {
    // Until the atlas comes, the range is the link's, or the prior's ±3 rather than the left
    // model's (whose ±130 and "Why ±130?" note the VAE showed while its atlas was slow, and for
    // good when it was refused); the note is the atlas's to show.
    fillRangeSelect($("range-select"), linkRange || PRIOR_RANGE, linkRange);
    $("range-note").hidden = true;
  }
  const t = store.token();
  const request = ++viewRequest;
  viewPending = true;
  atlasAskedAt = performance.now();
  let failedForNow = false;
  const latentDim = state.model.latent_dim;
  const choice = latentDim > 2 ? $("plane-select").value : "0,1";
  const view = { plane: choice === "pca" ? "pca" : "dims",
                 dims: choice === "pca" ? null : choice.split(",").map(Number),
                 range: Number($("range-select").value), scatter: $("scatter-toggle").checked,
                 // A range nobody chose (the model's own, from its atlas) is left out of links,
                 // which open at the opened model's own; one the user or a link chose is written.
                 ownRange: resetRange ? !linkRange : !userRange && state.view.ownRange };
  store.setView(view);
  sliders.setRange(view.range);
  teach.showView(state.model, state.view); // the axes follow the range now, not once the atlas comes
  saveUrl();
  delete $("map").dataset.plane;
  if (view.plane === "dims") {
    // Clicks map back to z without the atlas: apply the plane now, the scatter when it comes.
    map.setView(latentDim, state.view, null);
  }
  try {
    const atlas = await api.atlas(state.model.id, view.dims);
    if (!store.isCurrent(t) || request !== viewRequest) return; // superseded
    store.setAtlas(atlas);
    notice.clear("atlas");
  } catch (err) {
    if (!store.isCurrent(t) || request !== viewRequest) return;
    store.setAtlas(null);
    // Only a failure that may pass (no answer, or the server's own error) is asked again.
    failedForNow = api.mayPass(err);
    notice.show(err, "atlas", !failedForNow ? "" : view.plane === "pca"
      ? "The PCA plane comes with them: until then the map takes no click. A click or a slider asks again."
      : "A move asks again.");
  } finally {
    if (request === viewRequest) viewPending = false;
  }
  atlasRetry = failedForNow;
  if (!failedForNow) rangeOwed = null; // met below, or refused for good (a 4xx)
  if (resetRange && state.atlas) {
    store.setView({ range: teach.resetRange(state.model, state.atlas, linkRange) });
    sliders.setRange(state.view.range);
    sliders.setValues(state.z);
    saveUrl();
  }
  map.setView(latentDim, state.view, state.atlas);
  teach.showView(state.model, state.view);
  $("map").dataset.plane = choice;
  map.setCrosshair(state.z);
  map.setMarker(state.encoded && state.encoded.mu, state.encoded && state.encoded.logvar);
  if (state.encoded) encodeView.setHint(outsideRangeHint(state.encoded.mu));
  map.setEnds(state.ends[0] && state.ends[0].z, state.ends[1] && state.ends[1].z);
  refreshBackground();
}

/**
 * Open a model, optionally at a saved view (from the link).
 * @param {string} id
 * @param {{z?: number[] | null, label?: number | null, plane?: string | null,
 *          ends?: object[]}} [start]
 * @returns {Promise<boolean>} false when another model was chosen before this one was shown
 */
async function selectModel(id, start = {}) {
  const m = state.models.find((entry) => entry.id === id) || state.models[0];
  const t = store.resetForModel(m, start);
  $("model-select").value = m.id;
  $("model-info").textContent = `${m.description}. ${metricNote(m)}`.replace(/\.\. /, ". ").trim();
  $("digit-meaning").textContent = outputMeaning(m);
  // Sentences of the explanations that hold only for models with this capability.
  const c = m.capabilities;
  const has = { stochastic: c.stochastic, point: !c.stochastic, exact: c.exact_posterior,
                learned: c.stochastic && !c.exact_posterior, likelihood: c.likelihood,
                prior: c.standard_normal_prior, noprior: !c.standard_normal_prior,
                conditional: c.conditional };
  for (const el of document.querySelectorAll("[data-needs]")) el.hidden = !has[el.dataset.needs];
  applyNotation(document, m);
  $("download-grid").download = `map-${m.id}.png`;
  applyNouns(document, m); // "Decoded digit" or "Decoded item": the marked words follow the model
  // An unconditional model takes no label, but its data set's names still show what it was trained on.
  fillLabelSelect($("label-select"), m.class_names.length ? m.class_names : m.data.class_names);
  fillLabelSelect($("map-label"), m.class_names);
  showLabel(state.label);
  $("map-label-control").hidden = !conditional();
  $("label-select").disabled = !conditional();
  $("gen-label-control").hidden = !conditional(); // a greyed "Label 0" read as "samples of 0s"
  $("style-note").hidden = conditional();
  fillDrawLabel(m);
  map.setLegend(m.data.class_names.length ? m.data.class_names : [...Array(10).keys()].map(String));
  const note = padNote(m);
  Object.assign($("pad-note"), { textContent: note || "", hidden: note === null });
  $("draw-prep").textContent = drawPrep(m);
  sliders.setDims(m.latent_dim, Number($("range-select").value));
  fillPlaneSelect($("plane-select"), $("plane-control"), m.latent_dim);
  if (start.plane) $("plane-select").value = start.plane;
  (start.ends || []).forEach((end, k) => end && store.setEnd(k, end));
  const metric = m.headline_metric;
  document.title = `latent-explorer: ${m.id}` +
    (metric.value != null ? ` (${metric.label} ${formatMetric(m)})` : "");
  const view = applyView({ resetRange: true, linkRange: start.range || null });
  await source.use(m);
  if (!store.isCurrent(t)) return false;
  scheduleDecode(); // the first digit needs the decoder only, not the atlas
  await view;
  if (!store.isCurrent(t)) return false;
  setZ(state.z);
  generateSamples();
  runInterpolation();
  return true;
}

// ---- wiring ---------------------------------------------------------------------------------
// A model switch is a step Back can undo: the old view keeps its history entry and the new
// model's is pushed at once (selectModel sets the new state before its first await); moves within
// a model only replace. A pushed copy of the old address, fixed later by saveUrl's timer, was
// left behind by a Back within that timer's 150 ms, and Forward then led to the old model.
function switchModel(id) {
  if (state.model && id === state.model.id) return;
  clearTimeout(urlTimer);
  history.replaceState(null, "", currentQuery());
  selectModel(id);
  clearTimeout(urlTimer);
  history.pushState(null, "", currentQuery());
}
// An arrow key on a closed select changes it at each press: eight presses opened eight models
// (eight history entries, 12 MB of decoder files for models only passed through). A choice made
// with keys is opened once the keys pause, or at once on Enter or on leaving the picker; one
// made with the pointer at once.
const PICKER_KEY_PAUSE_MS = 600;
let pickerKeyAt = -Infinity;
let pickerTimer = 0;
const pickerSettle = () => {
  clearTimeout(pickerTimer);
  pickerTimer = 0;
  switchModel($("model-select").value);
};
$("model-select").addEventListener("keydown", (e) => {
  pickerKeyAt = performance.now();
  if (e.key === "Enter") pickerSettle();
});
$("model-select").addEventListener("blur", () => { if (pickerTimer) pickerSettle(); });
$("model-select").addEventListener("change", (e) => {
  clearTimeout(pickerTimer);
  pickerTimer = 0;
  if (performance.now() - pickerKeyAt < 100) {
    pickerTimer = setTimeout(pickerSettle, PICKER_KEY_PAUSE_MS);
  } else {
    switchModel(e.target.value);
  }
});
window.addEventListener("popstate", () => {
  clearTimeout(urlTimer); // a pending write is about the view being left
  if (state.models.length) openLink(readQuery(location.search, state.models, preferredModel(), elsewhere));
});
$("plane-select").addEventListener("change", () => { applyView({ resetRange: true }); saveUrl(true); });
$("range-select").addEventListener("change", () => { applyView({ userRange: true }); saveUrl(true); });
guardTouch($("temperature")); // a swipe that scrolls past it does not set it (or draw samples)
$("temperature").addEventListener("input", (e) => {
  $("temperature-value").value = Number(e.target.value).toFixed(1);
});
$("temperature").addEventListener("change", () => { generateSamples(); saveUrl(true); });
$("scatter-toggle").addEventListener("change", (e) => {
  store.setView({ scatter: e.target.checked });
  map.setScatter(e.target.checked);
  saveUrl(true);
});
$("reset").addEventListener("click", () => setZ(Array(state.model.latent_dim).fill(0)));
$("random").addEventListener("click", () => setZ(state.z.map(() => gaussian())));
$("clear-pad").addEventListener("click", () => drawFlow.clear());
$("draw-label").addEventListener("change", (e) => {
  store.setDrawLabel(e.target.value === "" ? null : Number(e.target.value));
  drawFlow.relabel();
});
$("generate").addEventListener("click", generateSamples);
$("label-select").addEventListener("change", (e) => chooseLabel(Number(e.target.value)));
$("map-label").addEventListener("change", (e) => chooseLabel(Number(e.target.value)));
// Pressed while a drawing is being encoded (right after pen-up), "current" is where the view is
// about to go: the end is set once the answer has moved it (or the user's own move kept it).
const setEndWhenEncoded = async (k) => {
  const t = store.token();
  await newestSettled(drawFlow.settled); // a stroke made meanwhile: wait for its encode too
  if (store.isCurrent(t)) setEnd(k);
};
$("set-a").addEventListener("click", () => setEndWhenEncoded(0));
$("set-b").addEventListener("click", () => setEndWhenEncoded(1));
$("method-select").addEventListener("change", () => { runInterpolation(); saveUrl(true); });
$("upload").addEventListener("change", (e) => { if (e.target.files[0]) drawFlow.encodeFile(e.target.files[0]); });
// The map as shown, dots included, is made when the link is clicked.
$("download-grid").addEventListener("click", () => { $("download-grid").href = map.snapshot(); });

/** Models a link may name that live in a panel of their own: id -> where to look. */
let elsewhere = {};
const preferredModel = () =>
  (state.models.find((m) => m.id === PREFERRED_MODEL) ? PREFERRED_MODEL : state.models[0].id);

/** Show the view a link describes (the page's own address, on load or on Back/Forward). */
async function openLink(link) {
  $("scatter-toggle").checked = link.scatter;
  $("method-select").value = link.method;
  $("temperature").value = String(link.temperature);
  $("temperature-value").value = link.temperature.toFixed(1);
  if (!(await selectModel(link.model.id, link))) return; // another model was picked meanwhile
  const notes = [...link.notes];
  const far = reach(state.z);
  if (far > state.view.range) {
    notes.push(`The link's z lies outside the map's ±${state.view.range} (at ${far.toFixed(1)}), so ` +
               "its crosshair is off the map: choose a wider range, or Reset to 0.");
  }
  // After the switch (which clears messages): what the link asked for and did not get.
  if (notes.length) notice.show(notes.join(" "), "link");
}

// The model list is what the page needs before anything else, so a failure that may pass (no
// answer: the server restarting, a link dropping; or the server's own 5xx) is asked again, waiting
// 1, 2, 4, then at most 8 s between tries, rather than leaving an empty page until the visitor
// thinks of reloading. A refusal (4xx) would only be refused again: said once. null then.
async function listModelsUntilAnswered() {
  for (let wait = backoff(0); ; wait = backoff(wait)) {
    try {
      const all = await api.listModels();
      notice.clear("models");
      return all;
    } catch (err) {
      const why = `Could not load the list of models: ${describe(err).replace(/\.?$/, ".")}`;
      if (!api.mayPass(err)) {
        notice.show(why, "models");
        return null;
      }
      notice.show(`${why} Trying again in ${wait} s.`, "models");
      await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    }
  }
}

async function start() {
  // On a phone, or a screen too short for the intro and the map together, the intro starts
  // folded: the digit and the map come first.
  if (window.matchMedia("(max-width: 640px), (max-height: 900px)").matches) $("intro").open = false;
  const all = await listModelsUntilAnswered();
  if (!all) return;
  // Walkable models are explored with the sliders and map; a model that completes images gets
  // its own panel.
  const walkable = all.filter((m) => m.capabilities.walkable);
  store.setModels(lessonOrder(walkable, PREFERRED_MODEL));
  const completer = all.find((m) => m.capabilities.completes.length > 0) || null;
  completion.setModel(completer);
  // A link may name it: the note says where it is, not that it does not exist (page pass 10).
  if (completer) {
    elsewhere = { [completer.id]: "completes partial drawings in its own panel, “Complete a " +
                  `${completer.data.item}”, further down` };
  }
  $("style-note").textContent = styleNote(state.models);
  if (!state.models.length) {
    notice.show("The server has no models loaded (see its log).", "models");
    return;
  }
  fitModelPicker($("model-select"), state.models);
  teach.setModels(state.models);
  const opened = openLink(readQuery(location.search, state.models, preferredModel(), elsewhere));
  // A model is current now (set before openLink's first wait): the controls may act on it.
  for (const el of document.querySelectorAll("[data-until-model]")) el.inert = false;
  await opened;
  document.body.dataset.ready = "true";
}

start();
