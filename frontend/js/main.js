// Wiring: components report what the user did, the store (state.js) records it, and this module
// asks the server and hands the answers to the components. Every answer is checked against the
// store's model-switch token before it is shown, so a late answer never paints another model.
// Past the house's ~300 lines on purpose: it is the one place that owns the state, each handler
// is a line or two, and the flows it hands to (decode-flows, view-flow, draw-flow) took what
// was logic; splitting the wiring again would pass its dozen closures across modules.

import * as api from "./api.js";
import { createCompletionPanel } from "./completion-panel.js";
import { createDecodeSource } from "./decode-source.js";
import { createDecodedView } from "./decoded-view.js";
import { createDigitFlow, createInterpolationView, createSamplesFlow } from "./decode-flows.js";
import { createDrawFlow } from "./draw-flow.js";
import { createDrawPad } from "./draw-pad.js";
import { createEncodeView } from "./encode-view.js";
import { newestSettled } from "./latest.js";
import { gaussian } from "./latent-paths.js";
import { createLatentMap } from "./latent-map.js";
import { showModelTexts } from "./model-notes.js";
import { fillPlaneSelect, fitModelPicker, lessonOrder, listModelsUntilAnswered, styleNote,
         watchPicker } from "./model-picker.js";
import { createNotice } from "./notice.js";
import { createSliders, guardTouch } from "./sliders.js";
import { createStore } from "./state.js";
import { createTeaching } from "./teach.js";
import { showThumbs } from "./thumbs.js";
import { createShareLink, readQuery, writeQuery } from "./url-state.js";
import { createViewFlow } from "./view-flow.js";
import { createZWords, zWords as wordsOfZ } from "./z-words.js";

const $ = (id) => document.getElementById(id);
// The model a bare address opens, named once in index.html (the server preloads its decoder).
const PREFERRED_MODEL = document.querySelector("meta[name=default-model]")?.content ?? null;

const store = createStore();
const { state } = store;
const { conditional } = store;
const labelOrNull = () => (conditional() ? state.label : null);

const notice = createNotice($("error"), $("model-select"));
// Open on a wide screen, folded on a phone: see index.html.
const wide = !window.matchMedia("(max-width: 640px)").matches;
for (const fold of ["model-figures-box", "elbo-more"]) $(fold).open = wide;
/** A failure no flow caught (each catches its own): said, not left to the console alone with a
 *  half-switched page (review 14). */
const unexpected = (err) => notice.show(err, "page"); // not "the model list", which loaded
const zWords = createZWords({ description: $("decoded-words"), said: $("z-said") });
// The decoded image's description follows what it shows: the z and label of each digit drawn.
// So does "Encode the decoded digit": a decode on its way leaves the last z's picture up
// (review 17).
let drawnFor = "";
const viewKey = (z, label) => JSON.stringify([state.model.id, z, label]);
window.addEventListener("digit-drawn", ({ detail: { z, label } }) => {
  drawnFor = viewKey(z, label);
  zWords.describe(z, label === null ? null : state.model.data.class_names[label]);
});
window.addEventListener("digit-stale", () => zWords.stale());

// ---- components -----------------------------------------------------------------------------
// Digits come from the decoder running in the page, or from the server (see decode-source.js).
const source = createDecodeSource({
  onChange: ({ where, note, reason }) => {
    Object.assign($("decode-note"), { textContent: note, title: reason || "" });
    $("decode-note").dataset.where = where;
    // The file arrived: the digit shown was the server's, and its latency line said so; and what
    // failed to come from the server meanwhile may come from the page now.
    if (where === "browser" && state.model) { scheduleDecode(); notice.askAgain(); }
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
  { wrap: $("map"), canvas: $("map-canvas"), svg: $("map-overlay"), legend: $("legend"),
    keysNote: $("keys-note") },
  { onPick: (x, y) => setZ(map.plane().unproject(x, y, state.z)),
    // Neutral, and never over the atlas's own notice (which says the same thing first).
    // A failure that may pass (an <img> says no more): asked again when the server answers again.
    onError: () => viewFlow.atlasFailing() || notice.show("The map's background did not load (the server or " +
                                             "the network may be down): it is asked again when " +
                                             "you next move.", "map", "", { mayPass: true }),
    onLoad: () => notice.clear("map"),
    // A PCA plane comes with the atlas: without it the map takes no click, and a click asks for
    // the atlas again (it never did: the retry sat in setZ, which such a map cannot call).
    onNoPlane: () => viewFlow.retryAtlas() },
);
const pad = createDrawPad($("draw-pad"), { onStroke: () => drawFlow.encodeDrawing() });
const encodeView = createEncodeView({ preprocessed: $("preprocessed"), reconstruction: $("reconstruction"),
                                      info: $("encode-info"), probs: $("label-probs") },
                                    () => state.model);
const interpolationView = createInterpolationView({ row: $("interpolation"), info: $("interp-info") });
const teach = createTeaching($, { map, images: source.images, imageIn: source.imageIn,
                                  onError: (err) => notice.show(err, "posterior"),
                                  onOk: () => notice.clear("posterior") });
const drawFlow = createDrawFlow(
  { store, pad, encodeView, teach, map, upload: $("upload") },
  { followLabel, moveTo: setZ, hint: (mu) => viewFlow.outsideRangeHint(mu),
    forgetLabel: () => { store.setDrawLabel(null); $("draw-label").value = ""; },
    nameLabel: (label) => { store.setDrawLabel(label); $("draw-label").value = String(label); } },
);
const completion = createCompletionPanel(
  { panel: $("complete-panel"), pad: $("complete-pad"), shade: $("complete-shade"),
    region: $("region-select"), clear: $("clear-complete"), upload: $("complete-upload"),
    move: $("complete-move"),
    row: $("completions"), info: $("complete-info"), source: $("complete-model") },
  { onError: (err, next) => notice.show(err, "complete", next), onOk: () => notice.clear("complete") },
);

// Everything below shows one model's results: a model switch clears all of it.
store.perModel(() => decodedView.clear());
store.perModel(() => zWords.clear());
store.perModel(() => encodeView.clear());
store.perModel(() => interpolationView.clear());
store.perModel(() => showThumbs($("samples"), []));
store.perModel(() => showThumbs($("style-row"), []));
store.perModel(() => { map.setMarker(null); map.setEnds(null, null); map.setPath(null); });
// Until the new model's grid arrives, black: its dots and axes must not sit on the old digits.
store.perModel(() => map.clearBackground());
store.perModel(() => notice.clear());
store.perModel(() => teach.clear());

// ---- the current z's digit and style row (decode-flows.js) ---------------------------------
const { scheduleDecode, scheduleStyleRow } = createDigitFlow(
  { store, source, decodedView, notice, styleRow: $("style-row"), labelOrNull },
);

// ---- the map's view (view-flow.js), the samples and the interpolation (decode-flows.js) -----
const viewFlow = createViewFlow(
  { store, $, map, sliders, teach, notice, encodeView, saveUrl, labelOrNull },
);
const { applyView, refreshBackground, reach } = viewFlow;
const { generateSamples, runInterpolation, seed, useSeed, zMoved } = createSamplesFlow(
  { store, source, notice, map, interpolationView, samples: $("samples"), samplesSaid: $("samples-said"),
    picked: $("samples-picked"), digit: $("decoded"),
    temperature: $("temperature"), method: $("method-select"), labelOrNull,
    goTo: (z, k) => { setZ([...z]); zWords.sayMove(`z moved to sample ${k + 1}: ${wordsOfZ(state.z)}`); } },
);
// A failure that may pass was mended (the server or the network is back): what else failed
// meanwhile is asked again, not left blank until the user moves or presses (page pass 18).
const askAgain = { atlas: () => viewFlow.retryAtlas(), map: () => refreshBackground(),
                   samples: () => generateSamples(), interp: () => runInterpolation(),
                   style: () => scheduleStyleRow(), decode: () => scheduleDecode() };
notice.onRecovery((sources) => sources.forEach((source) => askAgain[source]?.()));
// Browsers often say "online" a moment before the network carries anything: asked again a few
// seconds later too, if that first try failed (review 20).
window.addEventListener("online", () => {
  notice.askAgain();
  setTimeout(() => notice.askAgain(), 3_000);
});

let urlTimer = null;
/** The view as a link's query (url-state.js). */
const currentQuery = () => writeQuery(state, $("method-select").value, Number($("temperature").value),
                                      seed());
const shareLink = createShareLink({ button: $("copy-link"), note: $("link-note") }, currentQuery,
                                  () => clearTimeout(urlTimer), conditional);
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

/** z changed: decode, move sliders and crosshair, refresh what depends on z. */
function setZ(z, { fromSlider = false } = {}) {
  store.setZ(z);
  if (!fromSlider) sliders.setValues(z);
  map.setCrosshair(z);
  teach.showZ(z, state.label, state.model.id);
  scheduleDecode();
  scheduleStyleRow();
  saveUrl();
  zMoved(z);
  $("download-digit").href = api.decodePngUrl(state.model.id, z, labelOrNull(), 8);
  viewFlow.followMove();
}

/** Show the label the view decodes with in its selects (the digit's, the map's, Generate's). */
function showLabel(label) {
  for (const id of ["digit-label", "label-select", "map-label"]) $(id).value = String(label);
}

/** The view decodes with this label now: the selects, the map's background and the samples
 *  (`announce`: said, as asked for in the Generate panel). */
function followLabel(label, announce = false) {
  store.setLabel(label);
  showLabel(label);
  refreshBackground();
  generateSamples({ announce });
}

/** The user picked a label (above the map or under Generate): everything decoded follows it.
 *  Picked under Generate, its new samples are said, as a new temperature's are (page pass 21). */
function chooseLabel(label, announce = false) {
  followLabel(label, announce);
  setZ(state.z);
}

/** Set interpolation end k (0: A, 1: B) at the current z, with the current label. */
function setEnd(k) {
  store.setEnd(k, { z: [...state.z], label: labelOrNull() });
  runInterpolation();
  saveUrl();
}

// ---- model and view -------------------------------------------------------------------------
/**
 * Open a model, optionally at a saved view (from the link).
 * @param {string} id
 * @param {{z?: number[] | null, label?: number | null, plane?: string | null,
 *          ends?: object[]}} [start]
 * @param {{follow?: boolean}} [how] follow: chosen in the picker, the view follows the drawing
 * @returns {Promise<boolean>} false when another model was chosen before this one was shown
 */
async function selectModel(id, start = {}, { follow = false } = {}) {
  const m = state.models.find((entry) => entry.id === id) || state.models[0];
  const focused = document.activeElement;
  const previous = state.model;
  const t = store.resetForModel(m, start);
  // A switch (the picker, Back, a link), not the page's first model, is said (page pass 14).
  // Its name, kind and data, not the training details (~150 characters of them: page pass 16).
  if (previous && previous.id !== m.id) {
    $("model-said").textContent = `Now showing ${m.id}: ${m.display_name}, ${m.data.title}.`;
  }
  $("model-select").value = m.id;
  showModelTexts(m, $);
  showLabel(state.label);
  $("draw-label-control").hidden = !drawFlow.needsLabel();
  $("draw-label").value = state.drawLabel === null ? "" : String(state.drawLabel);
  // A control the new model hides (a CVAE's label selects, on Back to a VAE) took the focus with
  // it, to the page's start (page pass 14): the picker, which made the switch, has it instead.
  if (focused && focused !== document.body && !focused.checkVisibility()) $("model-select").focus();
  map.setLegend(m.data.class_names.length ? m.data.class_names : [...Array(10).keys()].map(String),
                !m.capabilities.conditional);
  sliders.setDims(m.latent_dim, Number($("range-select").value));
  fillPlaneSelect($("plane-select"), $("plane-control"), m.latent_dim);
  if (start.plane) $("plane-select").value = start.plane;
  (start.ends || []).forEach((end, k) => end && store.setEnd(k, end));
  const view = applyView({ resetRange: true, linkRange: start.range || null });
  await source.use(m);
  if (!store.isCurrent(t)) return false;
  scheduleDecode(); // the first digit needs the decoder only, not the atlas
  await view;
  if (!store.isCurrent(t)) return false;
  setZ(state.z);
  generateSamples();
  runInterpolation();
  // The drawing (or image) stays on the pad across a switch and is encoded by this model too:
  // one image seen as a point (AE), a learned cloud (VAE), an exact posterior (PCA); redrawn by
  // hand for each, the numbers did not compare (page pass 25). The view goes to it after a
  // choice in the picker, not after a Back or a link, whose view is the one to restore.
  drawFlow.encodeAgain({ moveView: follow });
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
  selectModel(id, {}, { follow: true }).catch(unexpected);
  clearTimeout(urlTimer);
  history.pushState(null, "", currentQuery());
}
watchPicker($("model-select"), switchModel);
window.addEventListener("popstate", () => {
  clearTimeout(urlTimer); // a pending write is about the view being left
  if (state.models.length) {
    openLink(readQuery(location.search, state.models, preferredModel(), elsewhere)).catch(unexpected);
  }
});
$("plane-select").addEventListener("change", () => { applyView({ resetRange: true }); saveUrl(true); });
$("range-select").addEventListener("change", () => { applyView({ userRange: true }); saveUrl(true); });
/** The temperature as shown and as the slider says it ("1.0", where it said "1"). */
function showTemperature(t) {
  $("temperature-value").value = t.toFixed(1);
  $("temperature").setAttribute("aria-valuetext", t.toFixed(1));
}
guardTouch($("temperature")); // a swipe that scrolls past it does not set it (or draw samples)
$("temperature").addEventListener("input", (e) => {
  showTemperature(Number(e.target.value));
});
$("temperature").addEventListener("change", () => { generateSamples({ announce: true }); saveUrl(true); });
$("scatter-toggle").addEventListener("change", (e) => {
  store.setView({ scatter: e.target.checked });
  map.setScatter(e.target.checked);
  saveUrl(true);
});
$("reset").addEventListener("click", () => {
  setZ(Array(state.model.latent_dim).fill(0));
  zWords.sayMove("z reset to 0");
});
$("random").addEventListener("click", () => {
  setZ(state.z.map(() => gaussian()));
  zWords.sayMove(`A random z: ${wordsOfZ(state.z)}`);
});
$("clear-pad").addEventListener("click", () => drawFlow.clear());
$("pad-from-decoded").addEventListener("click", () =>
  drawFlow.encodeDecoded($("decoded"), drawnFor === viewKey(state.z, labelOrNull())));
$("draw-label").addEventListener("change", (e) => {
  store.setDrawLabel(e.target.value === "" ? null : Number(e.target.value));
  drawFlow.relabel();
});
$("generate").addEventListener("click", () => {
  generateSamples({ announce: true, fresh: true });
  saveUrl(true);
});
$("label-select").addEventListener("change", (e) => chooseLabel(Number(e.target.value), true));
$("map-label").addEventListener("change", (e) => chooseLabel(Number(e.target.value)));
$("digit-label").addEventListener("change", (e) => chooseLabel(Number(e.target.value)));
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
  showTemperature(link.temperature);
  useSeed(link.seed);
  if (!(await selectModel(link.model.id, link))) return; // another model was picked meanwhile
  const notes = [...link.notes];
  const far = reach(state.z);
  if (far > state.view.range) {
    notes.push(`The link's z lies outside the map's ±${state.view.range} (at ${far.toFixed(1)}), so ` +
               "its crosshair is off the map: choose a wider “Range ±” above the map, or Reset to 0.");
  }
  // After the switch (which clears messages): what the link asked for and did not get.
  if (notes.length) notice.show(notes.join(" "), "link", "", { once: true });
}

async function start() {
  const all = await listModelsUntilAnswered(notice);
  const noModels = () => $("model-select").replaceChildren(new Option("no models", ""));
  if (!all) return noModels();
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
    return noModels();
  }
  fitModelPicker($("model-select"), state.models);
  teach.setModels(state.models);
  const opened = openLink(readQuery(location.search, state.models, preferredModel(), elsewhere));
  // A model is current now (set before openLink's first wait): the controls may act on it.
  for (const el of document.querySelectorAll("[data-until-model]")) el.inert = false;
  await opened;
  // The opened view's address is written now, not 150 ms after the page says it is ready: a copy
  // of the address taken then lacked z and plane (CI: a test read it in that window).
  saveUrl(true);
  document.body.dataset.ready = "true";
}

start().catch(unexpected);
