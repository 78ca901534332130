// What the encoder made of a drawing: the 28x28 it saw, its reconstruction, mu and sigma, and an
// M2's reading of the label. All of it belongs to one model and is cleared on a model switch.

import { setLive } from "./notice.js";
import { fillNouns } from "./nouns.js";
import { classPhrase, fixed2, showBars, sigmaText } from "./thumbs.js";

// The file chooser named: it is the keyboard's way in (page pass 22: nothing pointed to it).
const PROMPT = "Draw, then lift the pen: the {item} is encoded (or choose an image file).";

/**
 * @param {{preprocessed: HTMLImageElement, reconstruction: HTMLImageElement, info: HTMLElement,
 *          probs: HTMLElement}} els
 * @param {() => object} currentModel the selected entry of /api/models (its nouns are the prompt's)
 */
/**
 * The cloud's σ in words. Over two dims their mean; over more, their span and how many sit at the
 * prior's 1: a 16-d β-VAE's "mean sigma 0.88" read as larger than the zoom's "widest σ 0.53" on
 * the map's plane, and hid that half its dims are not used (page pass 8).
 */
export function spread(sigma) {
  if (sigma.length <= 2) {
    return `, mean σ ${sigmaText(sigma.reduce((a, b) => a + b, 0) / sigma.length)}`;
  }
  const atPrior = sigma.filter((v) => v > 0.9).length;
  return `, σ ${sigmaText(Math.min(...sigma))} to ${sigmaText(Math.max(...sigma))} over its ` +
    `${sigma.length} dims` + (atPrior ? ` (${atPrior} of them above 0.9, near the prior's 1)` : "");
}

/**
 * Where an encoded drawing landed, in words, from the labels of the test codes nearest its mean
 * (/encode's nearest_labels): "draw a digit and see where it lands" showed a 3 px ring, often
 * off a phone's screen, and numbers (page pass 24). "" where the answer has none.
 * @param {number[] | null | undefined} nearest @param {object} model an entry of /api/models
 */
export function landing(nearest, model) {
  if (!nearest || !nearest.length) return "";
  const names = model.class_names.length ? model.class_names : model.data.class_names;
  const counts = new Map();
  for (const y of nearest) counts.set(y, (counts.get(y) || 0) + 1);
  const ranked = [...counts].sort((a, b) => b[1] - a[1]);
  const [top, n] = ranked[0];
  const { items } = model.data;
  const near = `test ${items} coded nearest it`;
  if (2 * n > nearest.length) {
    return `It lands among the ${items} labelled ${names[top]} (${n} of the ${nearest.length} ${near}). `;
  }
  return `It lands between kinds: of the ${nearest.length} ${near}, ` +
    `${ranked.map(([y, c]) => `${c} ${c === 1 ? "is" : "are"} labelled ${names[y]}`).join(", ")}. `;
}

export function createEncodeView(els, currentModel) {
  let shown = null; // the line about the encoded drawing, without its hint; null: none shown

  /**
   * Show an /encode answer. `labelUsed`: the label a conditional model was told, else null;
   * `hint`: a sentence to add (e.g. that the map's range does not reach the drawing's mean).
   */
  function show(body, model, labelUsed, hint = "") {
    const infers = model.capabilities.infers_label;
    if (body.label_probs) showBars(els.probs, body.label_probs, model.class_names);
    els.info.classList.remove("error-text");
    els.preprocessed.src = body.preprocessed;
    els.reconstruction.src = body.reconstruction;
    const sigma = body.logvar ? body.logvar.map((v) => Math.exp(v / 2)) : null;
    // An AE's code is a point z(x), not the mean of a distribution.
    // The M2's reading first: after 16 numbers it came ~200 characters in (page pass 16).
    shown = (infers ? `Reads it as ${classPhrase(model, body.label)}; ` : "") +
      landing(body.nearest_labels, model) +
      `${sigma ? "μ" : "z"} = (${body.mu.map(fixed2).join(", ")})` + (sigma ? spread(sigma) : "") +
      (labelUsed !== null ? `, encoded as ${classPhrase(model, labelUsed)}` : "");
    setHint(hint);
  }

  /** While `on`, the line changes without being read out (an encode retried in the background). */
  function quiet(on) {
    els.info.setAttribute("aria-live", on ? "off" : "polite");
  }

  /** Replace the hint after the encoded drawing's line (the map's range or plane changed). */
  function setHint(hint) {
    if (shown !== null) els.info.textContent = shown + (hint ? `.${hint}` : "");
  }

  /** An encode is on its way: said where nothing else about the drawing is shown yet. */
  function pending() {
    if (shown === null) say(fillNouns("Encoding the {item}…", currentModel()));
  }

  /** A message about the drawing, next to it (a blank pad, a label to choose, a failed encode). */
  function say(message, { error = false } = {}) {
    shown = null;
    els.info.textContent = message;
    els.info.classList.toggle("error-text", error);
  }

  /** Back to the state before any drawing (a model switch, Clear): said again, even if a retry
   *  had quieted the line (review: a switch during a retry left the new prompt unread). */
  function clear() {
    quiet(false);
    shown = null;
    els.info.classList.remove("error-text");
    els.preprocessed.removeAttribute("src");
    els.reconstruction.removeAttribute("src");
    setLive(els.info, fillNouns(PROMPT, currentModel())); // a model switch: said if it changed
    els.probs.replaceChildren();
    els.probs.hidden = true;
  }

  return { show, setHint, pending, say, clear, quiet };
}
