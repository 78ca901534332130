// The model list and the controls that depend on the model: the picker (one option per walkable
// model, named as the model names itself, its choices opened once they settle), the plane select,
// the style row's note.

import * as api from "./api.js";
import { backoff } from "./latest.js";
import { describe } from "./notice.js";

/** The headline metric as people read it: a fraction as a percentage, nats with one decimal. */
export function formatMetric(m) {
  const { value, unit } = m.headline_metric;
  if (unit === "fraction") return `${(100 * value).toFixed(1)}%`;
  return `${value.toFixed(1)} ${unit}`;
}

/**
 * Each option names the model, not its score: the AE's reconstruction 125.3 nats and the CVAE's
 * −log p(x|y) 124.6 stood beside the VAE's −log p(x) 134.1 in one list, under a header that says
 * "lower is better", and a beginner read the AE as the better model (page pass 24). The chosen
 * model's number comes with what it measures, under the picker.
 * @param {HTMLSelectElement} select
 * @param {object[]} models entries of /api/models
 * @param {boolean} [short] a narrow screen: the closed select shows ~30 characters, so the kind,
 *        its dims and, before them, another data set than the first model's; ids told
 *        three "(VAE)" apart by their slugs only, and cut the M2's name (page pass 24)
 */
function fillModelPicker(select, models, short = false) {
  const home = models[0]?.dataset;
  for (const m of models) {
    // The data set first: what a closed select cuts is the end.
    const other = m.dataset !== home ? `${m.data.title} ` : "";
    const text = short ? `${other}${m.display_name}, ${m.latent_dim}-d`
      : `${m.id} (${m.display_name}, z=${m.latent_dim})`;
    select.add(new Option(text, m.id));
  }
}

/**
 * The models in the order the intro teaches them, read from what each declares (never from its
 * name): the default first, then the AE and PCA to compare it with, the models with more dims,
 * the conditional ones, the one that reads labels; other data sets after the default's. The picker
 * was alphabetical, with the default last of nine (page pass 5).
 * @param {object[]} models entries of /api/models @param {string} preferred the default's id
 */
export function lessonOrder(models, preferred) {
  const first = models.find((m) => m.id === preferred) || models[0];
  const rank = (m) => {
    const c = m.capabilities;
    const step = m.id === preferred ? -1 : !c.stochastic ? 1 : c.exact_posterior ? 2
      : c.infers_label ? 5 : c.conditional ? 4 : m.latent_dim > 2 ? 3 : 0;
    return (first && m.dataset === first.dataset ? 0 : 10) + step;
  };
  return [...models].sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id));
}

/**
 * Fill the picker, with short names while the screen is narrow, and refill it when the width
 * crosses (a window narrowed to a phone's kept long names, cut off).
 * @param {HTMLSelectElement} select @param {object[]} models entries of /api/models
 */
export function fitModelPicker(select, models) {
  const narrow = window.matchMedia("(max-width: 640px)");
  const fill = () => {
    const chosen = select.value;
    select.replaceChildren();
    fillModelPicker(select, models, narrow.matches);
    if (chosen) select.value = chosen;
  };
  fill();
  narrow.addEventListener("change", fill);
}

/**
 * The label select: one option per class name, the value its index.
 * @param {HTMLSelectElement} select @param {string[]} names
 */
export function fillLabelSelect(select, names) {
  select.replaceChildren(...names.map((name, k) => new Option(name, String(k))));
}

/** "a", "a or b", "a, b or c". */
const orList = (names) => (names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names.at(-1)}` : names[0]);

/** The note shown where the style row would be, naming the conditional models. */
export function styleNote(models) {
  const names = models.filter((m) => m.capabilities.conditional).map((m) => m.id);
  return names.length
    ? `A style row (the current z decoded with every label) needs a conditional model: pick ${orList(names)}.`
    : "A style row (the current z decoded with every label) needs a conditional model; none is loaded.";
}

/**
 * The planes of a latent space: PCA and every pair of dims (none to choose for a 2-d model).
 * @param {HTMLSelectElement} select @param {HTMLElement} control its label, hidden for 2-d
 * @param {number} latentDim
 */
export function fillPlaneSelect(select, control, latentDim) {
  select.replaceChildren();
  control.hidden = latentDim <= 2;
  if (latentDim <= 2) return;
  select.add(new Option("PCA plane of the test set", "pca"));
  for (let i = 0; i + 1 < latentDim; i += 1) {
    for (let j = i + 1; j < latentDim; j += 1) select.add(new Option(`z${i} × z${j}`, `${i},${j}`));
  }
}

// An arrow key on a closed select changes it at each press: eight presses opened eight models
// (eight history entries, 12 MB of decoder files for models only passed through). A choice made
// with keys is opened once the keys pause, or at once on Enter or on leaving the picker; one
// made with the pointer at once.
const PICKER_KEY_PAUSE_MS = 600;

/**
 * Call `open(id)` for the model chosen in the picker, once the choice has settled.
 * @param {HTMLSelectElement} select
 * @param {(id: string) => void} open
 */
export function watchPicker(select, open) {
  let keyAt = -Infinity;
  let timer = 0;
  const settle = () => {
    clearTimeout(timer);
    timer = 0;
    open(select.value);
  };
  select.addEventListener("keydown", (e) => {
    keyAt = performance.now();
    if (e.key === "Enter") settle();
  });
  select.addEventListener("blur", () => { if (timer) settle(); });
  select.addEventListener("change", () => {
    clearTimeout(timer);
    timer = 0;
    if (performance.now() - keyAt < 100) timer = setTimeout(settle, PICKER_KEY_PAUSE_MS);
    else open(select.value);
  });
}

// The model list is what the page needs before anything else, so a failure that may pass (no
// answer: the server restarting, a link dropping; or the server's own 5xx) is asked again, waiting
// 1, 2, 4, then at most 8 s between tries, rather than leaving an empty page until the visitor
// thinks of reloading. A refusal (4xx) would only be refused again: said once. null then.
/**
 * The models the server has, asked for until it answers.
 * @param {{show: Function, clear: Function}} notice the page's error line
 * @returns {Promise<object[] | null>}
 */
export async function listModelsUntilAnswered(notice) {
  for (let wait = backoff(0); ; wait = backoff(wait)) {
    try {
      const all = await api.listModels();
      notice.clear("models");
      return all;
    } catch (err) {
      const reason = describe(err).replace(/\.?$/, ".");
      const why = `Could not load the list of models: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}`;
      if (!api.mayPass(err)) {
        notice.show(why, "models");
        return null;
      }
      // The wait as what comes next, not in the failure's words: a failure whose words changed
      // on every retry was news each time, said again after a dismissal (review 16).
      notice.show(why, "models", `Trying again in ${wait} s.`);
      await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    }
  }
}
