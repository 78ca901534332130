// What the encoder made of a drawing: the 28x28 it saw, its reconstruction, mu and sigma, and an
// M2's reading of the label. All of it belongs to one model and is cleared on a model switch.

import { showBars } from "./thumbs.js";

const PROMPT = "Draw, then lift the pen: the digit is encoded.";

/**
 * @param {{preprocessed: HTMLImageElement, reconstruction: HTMLImageElement, info: HTMLElement,
 *          probs: HTMLElement}} els
 */
export function createEncodeView(els) {
  /** Show an /encode answer. `labelUsed`: the label a conditional model was told, else null. */
  function show(body, model, labelUsed) {
    const infers = model.capabilities.infers_label;
    if (body.label_probs) showBars(els.probs, body.label_probs, model.class_names);
    els.preprocessed.src = body.preprocessed;
    els.reconstruction.src = body.reconstruction;
    const sigma = body.logvar ? body.logvar.map((v) => Math.exp(v / 2)) : null;
    els.info.textContent = `mu = (${body.mu.map((v) => v.toFixed(2)).join(", ")})` +
      (sigma ? `, mean sigma ${(sigma.reduce((a, b) => a + b, 0) / sigma.length).toFixed(2)}` : "") +
      (infers ? `; reads it as a ${model.class_names[body.label]}` : "") +
      (labelUsed !== null ? `, encoded as a ${model.class_names[labelUsed]}` : "");
  }

  /** Back to the state before any drawing. */
  function clear() {
    els.preprocessed.removeAttribute("src");
    els.reconstruction.removeAttribute("src");
    els.info.textContent = PROMPT;
    els.probs.replaceChildren();
    els.probs.hidden = true;
  }

  return { show, clear };
}
