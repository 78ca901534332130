// The page's state and wiring. Components render; this module owns the model, z and label.

import * as api from "./api.js";
import { createCompletionPanel } from "./completion-panel.js";
import { createDecodedView } from "./decoded-view.js";
import { createDrawPad } from "./draw-pad.js";
import { latestWins } from "./latest.js";
import { createLatentMap } from "./latent-map.js";
import { createSliders } from "./sliders.js";
import { showBars, showThumbs } from "./thumbs.js";

const $ = (id) => document.getElementById(id);
const SAMPLES = 16;
const INTERP_STEPS = 10;

const state = {
  models: [],
  model: null, // the selected entry of /api/models
  z: [],
  label: 0,
  view: { plane: "dims", dims: [0, 1], range: 3, scatter: true },
  atlas: null,
  encoded: null, // {mu, logvar} of the last drawing
  ends: [null, null], // interpolation A and B
};

const conditional = () => state.model && state.model.num_classes > 0;
const labelOrNull = () => (conditional() ? state.label : null);

// ---- errors ---------------------------------------------------------------------------------
function showError(err) {
  if (err && err.name === "AbortError") return;
  $("error").textContent = err instanceof api.ApiError ? err.message : `Something went wrong: ${err.message}`;
  $("error").hidden = false;
}
const clearError = () => { $("error").hidden = true; };

// ---- decoding the current z (latest wins: one request in flight) ---------------------------
const decodedView = createDecodedView($("decoded"), $("latency"));
const scheduleDecode = latestWins(async () => {
  const z = [...state.z];
  const started = performance.now();
  try {
    const blob = await api.decodePng(state.model.id, z, labelOrNull());
    await decodedView.draw(blob, started);
    clearError();
    window.dispatchEvent(new CustomEvent("digit-drawn", { detail: { z, drawnAt: performance.now() } }));
  } catch (err) {
    showError(err);
  }
});

const scheduleStyleRow = latestWins(async () => {
  if (!conditional()) return showThumbs($("style-row"), []);
  const k = state.model.num_classes;
  try {
    const body = await api.decode(state.model.id, Array(k).fill(state.z), [...Array(k).keys()]);
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
  state.z = z;
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

// ---- components -----------------------------------------------------------------------------
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

const completion = createCompletionPanel(
  { panel: $("complete-panel"), pad: $("complete-pad"), shade: $("complete-shade"),
    region: $("region-select"), clear: $("clear-complete"), row: $("completions"),
    info: $("complete-info") },
  { onError: showError, onOk: clearError },
);

async function encodeDrawing() {
  if (!pad.hasInk()) return;
  try {
    // An M2 reads the label itself; a CVAE is told which digit was drawn (the label control).
    const infers = state.model.kind === "m2";
    const body = await api.encodeImage(state.model.id, await pad.toBlob(), infers ? null : labelOrNull());
    if (body.label_probs) {
      showBars($("label-probs"), body.label_probs, state.model.class_names);
      state.label = body.label;
      $("label-select").value = String(body.label);
      refreshBackground();
      generateSamples();
    }
    $("preprocessed").src = body.preprocessed;
    $("reconstruction").src = body.reconstruction;
    state.encoded = { mu: body.mu, logvar: body.logvar };
    map.setMarker(body.mu, body.logvar);
    const sigma = body.logvar ? body.logvar.map((v) => Math.exp(v / 2)) : null;
    $("encode-info").textContent = `mu = (${body.mu.map((v) => v.toFixed(2)).join(", ")})` +
      (sigma ? `, mean sigma ${(sigma.reduce((a, b) => a + b, 0) / sigma.length).toFixed(2)}` : "") +
      (infers ? `; reads it as a ${state.model.class_names[body.label]}` : "") +
      (conditional() && !infers ? `, encoded as a ${state.model.class_names[state.label]}` : "");
    setZ([...body.mu]);
    clearError();
  } catch (err) {
    showError(err);
  }
}

async function generateSamples() {
  try {
    const body = await api.generate(state.model.id, { n: SAMPLES, label: labelOrNull() });
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
  try {
    const body = await api.interpolate(state.model.id, a, b, {
      steps: INTERP_STEPS, method: $("method-select").value, label: labelOrNull(),
    });
    showThumbs($("interpolation"), body.images);
    $("interp-info").textContent = `${INTERP_STEPS} frames, ${$("method-select").value}, A to B`;
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

async function applyView() {
  const latentDim = state.model.latent_dim;
  const choice = latentDim > 2 ? $("plane-select").value : "0,1";
  state.view.plane = choice === "pca" ? "pca" : "dims";
  state.view.dims = choice === "pca" ? null : choice.split(",").map(Number);
  state.view.range = Number($("range-select").value);
  delete $("map").dataset.plane;
  if (state.view.plane === "dims") {
    // Clicks map back to z without the atlas: apply the plane now, the scatter when it comes.
    map.setView(latentDim, state.view, null);
  }
  const requested = choice;
  try {
    const atlas = await api.atlas(state.model.id, state.view.dims);
    if (requested !== (latentDim > 2 ? $("plane-select").value : "0,1")) return; // superseded
    state.atlas = atlas;
  } catch (err) {
    state.atlas = null;
    showError(err);
  }
  map.setView(latentDim, state.view, state.atlas);
  $("map").dataset.plane = choice;
  map.setCrosshair(state.z);
  map.setMarker(state.encoded && state.encoded.mu, state.encoded && state.encoded.logvar);
  map.setEnds(...state.ends);
  refreshBackground();
}

async function selectModel(id, { z = null, label = null } = {}) {
  state.model = state.models.find((m) => m.id === id) || state.models[0];
  $("model-select").value = state.model.id;
  const m = state.model;
  const head = m.headline_metric;
  $("model-info").textContent = m.description;
  if (label !== null && label >= 0 && label < 10) state.label = label;
  $("label-select").value = String(state.label);
  $("label-select").disabled = !conditional();
  $("style-note").hidden = conditional();
  state.encoded = null;
  state.ends = [null, null];
  $("label-probs").hidden = true;
  showThumbs($("interpolation"), []);
  map.setLegend(m.class_names.length ? m.class_names : [...Array(10).keys()].map(String));
  sliders.setDims(m.latent_dim);
  fillPlaneSelect(m.latent_dim);
  const start = z && z.length === m.latent_dim && z.every(Number.isFinite) ? z : Array(m.latent_dim).fill(0);
  state.z = start;
  await applyView();
  setZ(start);
  generateSamples();
  document.title = `latent-explorer: ${m.id}${head.value != null ? ` (${formatMetric(m)})` : ""}`;
}

// ---- wiring ---------------------------------------------------------------------------------
$("model-select").addEventListener("change", (e) => selectModel(e.target.value));
$("plane-select").addEventListener("change", applyView);
$("range-select").addEventListener("change", applyView);
$("scatter-toggle").addEventListener("change", (e) => map.setScatter(e.target.checked));
$("reset").addEventListener("click", () => setZ(Array(state.model.latent_dim).fill(0)));
$("random").addEventListener("click", () => setZ(state.z.map(() => gaussian())));
$("clear-pad").addEventListener("click", () => pad.clear());
$("generate").addEventListener("click", generateSamples);
$("label-select").addEventListener("change", (e) => {
  state.label = Number(e.target.value);
  refreshBackground();
  generateSamples();
  setZ(state.z);
});
$("set-a").addEventListener("click", () => { state.ends[0] = [...state.z]; runInterpolation(); });
$("set-b").addEventListener("click", () => { state.ends[1] = [...state.z]; runInterpolation(); });
$("method-select").addEventListener("change", runInterpolation);

/** The headline metric as people read it: a percentage for an error, nats otherwise. */
function formatMetric(m) {
  const v = m.headline_metric.value;
  return m.headline_metric.name.endsWith("error") ? `${(100 * v).toFixed(1)}%` : `${v.toFixed(1)} nats`;
}

function gaussian() {
  const u = 1 - Math.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * Math.random());
}

async function start() {
  let all;
  try {
    all = await api.listModels();
  } catch (err) {
    showError(err);
    return;
  }
  // Completion models finish partial images; every other kind is walked with the sliders and map.
  state.models = all.filter((m) => m.kind !== "completion");
  const completer = all.find((m) => m.kind === "completion");
  completion.setModel(completer ? completer.id : null);
  if (!state.models.length) {
    showError(new api.ApiError("The server has no models loaded (see its log).", 0));
    return;
  }
  const select = $("model-select");
  for (const m of state.models) {
    const head = m.headline_metric.value != null ? `, ${m.headline_metric.label} ${formatMetric(m)}` : "";
    select.add(new Option(`${m.id} (${m.kind}, ${m.dataset}, z=${m.latent_dim}${head})`, m.id));
  }
  const params = new URLSearchParams(location.search);
  const z = params.get("z") ? params.get("z").split(",").map(Number) : null;
  const label = params.has("label") ? Number(params.get("label")) : null;
  const preferred = state.models.find((m) => m.id === "vae-mnist-z2") ? "vae-mnist-z2" : state.models[0].id;
  await selectModel(params.get("model") || preferred, { z, label });
  document.body.dataset.ready = "true";
}

start();
