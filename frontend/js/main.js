// Wiring: components report what the user did, the store (state.js) records it, and this module
// asks the server and hands the answers to the components. Every answer is checked against the
// store's model-switch token before it is shown, so a late answer never paints another model.

import * as api from "./api.js";
import { createCompletionPanel } from "./completion-panel.js";
import { createDecodedView } from "./decoded-view.js";
import { createDrawPad } from "./draw-pad.js";
import { createEncodeView } from "./encode-view.js";
import { createInterpolationView } from "./interpolation-view.js";
import { latestWins } from "./latest.js";
import { createLatentMap } from "./latent-map.js";
import { createSliders } from "./sliders.js";
import { createStore, StaleError } from "./state.js";
import { showThumbs } from "./thumbs.js";

const $ = (id) => document.getElementById(id);
const SAMPLES = 16;
const INTERP_STEPS = 10;
const PREFERRED_MODEL = "vae-mnist-z2";

const store = createStore();
const { state } = store;
const conditional = () => Boolean(state.model && state.model.capabilities.conditional);
const labelOrNull = () => (conditional() ? state.label : null);

// ---- errors ---------------------------------------------------------------------------------
function showError(err) {
  if (err && (err.name === "AbortError" || err instanceof StaleError)) return;
  $("error").textContent = err instanceof api.ApiError ? err.message : `Something went wrong: ${err.message}`;
  $("error").hidden = false;
}
const clearError = () => { $("error").hidden = true; };

// ---- components -----------------------------------------------------------------------------
const decodedView = createDecodedView($("decoded"), $("latency"));
const sliders = createSliders($("sliders"), {
  onInput: (dim, value) => {
    const z = [...state.z];
    z[dim] = value;
    setZ(z, { fromSlider: true });
  },
});
const map = createLatentMap(
  { wrap: $("map"), canvas: $("map-canvas"), svg: $("map-overlay"), legend: $("legend") },
  { onPick: (x, y) => setZ(map.plane().unproject(x, y, state.z)), onError: showError },
);
const pad = createDrawPad($("draw-pad"), { onStroke: encodeDrawing });
const encodeView = createEncodeView({ preprocessed: $("preprocessed"), reconstruction: $("reconstruction"),
                                      info: $("encode-info"), probs: $("label-probs") });
const interpolationView = createInterpolationView({ row: $("interpolation"), info: $("interp-info") });
const completion = createCompletionPanel(
  { panel: $("complete-panel"), pad: $("complete-pad"), shade: $("complete-shade"),
    region: $("region-select"), clear: $("clear-complete"), row: $("completions"),
    info: $("complete-info") },
  { onError: showError, onOk: clearError },
);

// Everything below shows one model's results: a model switch clears all of it.
store.perModel(() => decodedView.clear());
store.perModel(() => pad.clear());
store.perModel(() => encodeView.clear());
store.perModel(() => interpolationView.clear());
store.perModel(() => showThumbs($("samples"), []));
store.perModel(() => showThumbs($("style-row"), []));
store.perModel(() => { map.setMarker(null); map.setEnds(null, null); });
store.perModel(clearError);

// ---- decoding the current z (latest wins: one request in flight) ---------------------------
const scheduleDecode = latestWins(async () => {
  const t = store.token();
  const z = [...state.z];
  const started = performance.now();
  try {
    const blob = await api.decodePng(state.model.id, z, labelOrNull());
    store.check(t);
    await decodedView.draw(blob, started, () => store.isCurrent(t));
    clearError();
    window.dispatchEvent(new CustomEvent("digit-drawn", { detail: { z, drawnAt: performance.now() } }));
  } catch (err) {
    showError(err);
  }
});

const scheduleStyleRow = latestWins(async () => {
  if (!conditional()) return showThumbs($("style-row"), []);
  const t = store.token();
  const k = state.model.num_classes;
  try {
    const body = await api.decode(state.model.id, Array(k).fill(state.z), [...Array(k).keys()]);
    store.check(t);
    showThumbs($("style-row"), body.images, state.model.class_names);
  } catch (err) {
    showError(err);
  }
});

let urlTimer = null;
function saveUrl() {
  clearTimeout(urlTimer);
  urlTimer = setTimeout(() => {
    // Written by hand so the commas stay readable in a shared link (URLSearchParams gives %2C).
    let query = `?model=${encodeURIComponent(state.model.id)}&z=${state.z.map((v) => v.toFixed(3)).join(",")}`;
    if (conditional()) query += `&label=${state.label}`;
    history.replaceState(null, "", query);
  }, 150);
}

let backgroundTimer = null;
/** z changed: decode, move sliders and crosshair, refresh what depends on z. */
function setZ(z, { fromSlider = false } = {}) {
  store.setZ(z);
  if (!fromSlider) sliders.setValues(z);
  map.setCrosshair(z);
  scheduleDecode();
  scheduleStyleRow();
  saveUrl();
  $("download-digit").href = api.decodePngUrl(state.model.id, z, labelOrNull(), 8);
  // A dims plane shows the other dims at their current values: refresh it once the user pauses.
  if (state.view.plane === "dims" && state.model.latent_dim > 2) {
    clearTimeout(backgroundTimer);
    backgroundTimer = setTimeout(refreshBackground, 200);
  }
}

function refreshBackground() {
  const url = map.loadBackground(state.model.id, { label: labelOrNull(), z: state.z });
  $("download-grid").href = url;
}

async function encodeDrawing() {
  if (!pad.hasInk()) return;
  const t = store.token();
  const model = state.model;
  // A model that infers labels (M2) reads the digit itself; a conditional one is told it.
  const infers = model.capabilities.infers_label;
  const told = infers ? null : labelOrNull();
  try {
    const blob = await pad.toBlob();
    store.check(t);
    const body = await api.encodeImage(model.id, blob, told);
    store.check(t);
    if (infers) {
      store.setLabel(body.label);
      $("label-select").value = String(body.label);
      refreshBackground();
      generateSamples();
    }
    encodeView.show(body, model, told);
    store.setEncoded({ mu: body.mu, logvar: body.logvar });
    map.setMarker(body.mu, body.logvar);
    setZ([...body.mu]);
    clearError();
  } catch (err) {
    showError(err);
  }
}

async function generateSamples() {
  const t = store.token();
  try {
    const body = await api.generate(state.model.id, { n: SAMPLES, label: labelOrNull() });
    store.check(t);
    showThumbs($("samples"), body.images);
    clearError();
  } catch (err) {
    showError(err);
  }
}

async function runInterpolation() {
  const [a, b] = state.ends;
  map.setEnds(a, b);
  if (!a || !b) return;
  const t = store.token();
  const method = $("method-select").value;
  try {
    const body = await api.interpolate(state.model.id, a, b, {
      steps: INTERP_STEPS, method, label: labelOrNull(),
    });
    store.check(t);
    interpolationView.show(body.images, method);
  } catch (err) {
    showError(err);
  }
}

// ---- model and view -------------------------------------------------------------------------
function fillPlaneSelect(latentDim) {
  const select = $("plane-select");
  select.replaceChildren();
  $("plane-control").hidden = latentDim <= 2;
  if (latentDim <= 2) return;
  select.add(new Option("PCA plane of the test set", "pca"));
  for (let i = 0; i + 1 < latentDim; i += 1) {
    for (let j = i + 1; j < latentDim; j += 1) select.add(new Option(`z${i} × z${j}`, `${i},${j}`));
  }
}

let viewRequest = 0;
/** Show the chosen plane and range; the atlas answer is dropped if the model or plane changed. */
async function applyView() {
  const t = store.token();
  const request = ++viewRequest;
  const latentDim = state.model.latent_dim;
  const choice = latentDim > 2 ? $("plane-select").value : "0,1";
  const view = { plane: choice === "pca" ? "pca" : "dims",
                 dims: choice === "pca" ? null : choice.split(",").map(Number),
                 range: Number($("range-select").value) };
  store.setView(view);
  delete $("map").dataset.plane;
  if (view.plane === "dims") {
    // Clicks map back to z without the atlas: apply the plane now, the scatter when it comes.
    map.setView(latentDim, state.view, null);
  }
  try {
    const atlas = await api.atlas(state.model.id, view.dims);
    if (!store.isCurrent(t) || request !== viewRequest) return; // superseded
    store.setAtlas(atlas);
  } catch (err) {
    if (!store.isCurrent(t) || request !== viewRequest) return;
    store.setAtlas(null);
    showError(err);
  }
  map.setView(latentDim, state.view, state.atlas);
  $("map").dataset.plane = choice;
  map.setCrosshair(state.z);
  map.setMarker(state.encoded && state.encoded.mu, state.encoded && state.encoded.logvar);
  map.setEnds(...state.ends);
  refreshBackground();
}

/** The headline metric as people read it: a fraction as a percentage, nats with one decimal. */
function formatMetric(m) {
  const { value, unit } = m.headline_metric;
  if (unit === "fraction") return `${(100 * value).toFixed(1)}%`;
  return `${value.toFixed(1)} ${unit}`;
}

async function selectModel(id, start = {}) {
  const m = state.models.find((entry) => entry.id === id) || state.models[0];
  const t = store.resetForModel(m, start);
  $("model-select").value = m.id;
  $("model-info").textContent = m.description;
  $("label-select").value = String(state.label);
  $("label-select").disabled = !conditional();
  $("style-note").hidden = conditional();
  map.setLegend(m.class_names.length ? m.class_names : [...Array(10).keys()].map(String));
  sliders.setDims(m.latent_dim);
  fillPlaneSelect(m.latent_dim);
  document.title = `latent-explorer: ${m.id}${m.headline_metric.value != null ? ` (${formatMetric(m)})` : ""}`;
  await applyView();
  if (!store.isCurrent(t)) return;
  setZ(state.z);
  generateSamples();
}

// ---- wiring ---------------------------------------------------------------------------------
$("model-select").addEventListener("change", (e) => selectModel(e.target.value));
$("plane-select").addEventListener("change", applyView);
$("range-select").addEventListener("change", applyView);
$("scatter-toggle").addEventListener("change", (e) => {
  store.setView({ scatter: e.target.checked });
  map.setScatter(e.target.checked);
});
$("reset").addEventListener("click", () => setZ(Array(state.model.latent_dim).fill(0)));
$("random").addEventListener("click", () => setZ(state.z.map(() => gaussian())));
$("clear-pad").addEventListener("click", () => pad.clear());
$("generate").addEventListener("click", generateSamples);
$("label-select").addEventListener("change", (e) => {
  store.setLabel(Number(e.target.value));
  refreshBackground();
  generateSamples();
  setZ(state.z);
});
$("set-a").addEventListener("click", () => { store.setEnd(0, [...state.z]); runInterpolation(); });
$("set-b").addEventListener("click", () => { store.setEnd(1, [...state.z]); runInterpolation(); });
$("method-select").addEventListener("change", runInterpolation);

function gaussian() {
  const u = 1 - Math.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * Math.random());
}

/** Describe the conditional models in the note shown where the style row would be. */
function styleNote(models) {
  const names = models.filter((m) => m.capabilities.conditional).map((m) => m.id);
  return names.length
    ? `The style row needs a conditional model: pick ${names.join(" or ")}.`
    : "The style row needs a conditional model; none is loaded.";
}

async function start() {
  let all;
  try {
    all = await api.listModels();
  } catch (err) {
    showError(err);
    return;
  }
  // Walkable models are explored with the sliders and map; a model that completes images gets
  // its own panel.
  store.setModels(all.filter((m) => m.capabilities.walkable));
  completion.setModel(all.find((m) => m.capabilities.completes.length > 0) || null);
  $("style-note").textContent = styleNote(state.models);
  if (!state.models.length) {
    showError(new api.ApiError("The server has no models loaded (see its log).", 0));
    return;
  }
  const select = $("model-select");
  for (const m of state.models) {
    const head = m.headline_metric.value != null ? `, ${m.headline_metric.label} ${formatMetric(m)}` : "";
    select.add(new Option(`${m.id} (${m.display_name}, ${m.dataset}, z=${m.latent_dim}${head})`, m.id));
  }
  const params = new URLSearchParams(location.search);
  const z = params.get("z") ? params.get("z").split(",").map(Number) : null;
  const label = params.has("label") ? Number(params.get("label")) : null;
  const preferred = state.models.find((m) => m.id === PREFERRED_MODEL) ? PREFERRED_MODEL : state.models[0].id;
  await selectModel(params.get("model") || preferred, { z, label });
  document.body.dataset.ready = "true";
}

start();
