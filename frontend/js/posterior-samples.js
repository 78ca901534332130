// q(z|x) is a distribution: 16 samples z = mu + sigma * eps of the encoded drawing, shown as dots
// on the map (inside its ellipse) and as a strip of their decodings, drawn again on request.

import { gaussian } from "./decode-source.js";
import { givenLabel } from "./model-notes.js";
import { fillNouns } from "./nouns.js";
import { showThumbs } from "./thumbs.js";

const POSTERIOR_SAMPLES = 16;

/**
 * @param {{root: HTMLElement, strip: HTMLElement, again: HTMLButtonElement, note: HTMLElement}} els
 * @param {{onDots: (zs: number[][]) => void, onError: (err: Error) => void,
 *          images: (zs: number[][], labels: number[] | null) => Promise<string[]>}} handlers
 *   `images` decodes the samples (decode-source.js: in the browser, or on the server)
 */
export function createPosteriorSamples({ root, strip, again, note }, { onDots, images, onError }) {
  let current = null; // {modelId, mu, logvar, label}
  let token = 0; // a newer drawing (or a clear) wins over a late answer

  /** Sample 16 z from q(z|x), show them on the map, then decode them into the strip. */
  async function draw() {
    if (!current) return;
    const mine = ++token;
    const { mu, logvar, label } = current;
    const sigma = logvar.map((v) => Math.exp(v / 2));
    const zs = Array.from({ length: POSTERIOR_SAMPLES }, () => mu.map((m, d) => m + sigma[d] * gaussian()));
    onDots(zs);
    try {
      const labels = label === null ? null : Array(zs.length).fill(label);
      const decoded = await images(zs, labels);
      if (mine !== token) return;
      showThumbs(strip, decoded, null, (k) => `the drawing's posterior sample ${k + 1}, decoded`);
      root.dataset.count = String(decoded.length);
    } catch (err) {
      if (mine === token) onError(err); // not a failure about a drawing no longer shown
    }
  }

  /**
   * A new encoding: sample from it (a model without logvar has no distribution to sample).
   * @param {object} model the entry of /api/models that encoded the drawing
   */
  function set(model, mu, logvar, label) {
    token += 1;
    current = logvar ? { modelId: model.id, mu, logvar, label } : null;
    root.hidden = false;
    again.disabled = !current;
    again.hidden = !current;
    // An AE's heading must not promise what its note then denies.
    const heading = root.querySelector("h3");
    // PPCA's posterior is exact: the heading names it as the sentence below does (page pass 12).
    const q = `${model.capabilities.exact_posterior ? "p" : "q"}(z|x${givenLabel(model)})`;
    if (heading) heading.textContent = current ? `${q} is a distribution` : "z(x) is a point";
    strip.replaceChildren();
    onDots([]);
    // A linear Gaussian model's posterior is exact: the contrast with a VAE's learned q is the lesson.
    const exact = model.capabilities.exact_posterior
      ? " Here it is the exact posterior p(z|x), found in closed form (the model is linear and " +
        "Gaussian); a VAE's encoder can only learn an approximation of its own."
      : "";
    note.textContent = current
      ? fillNouns(`16 samples z = μ + σ·ε, ε ~ N(0, I), from ${q}: the dots on the map and ` +
                  `their {items}.${exact}`, model)
      : "This model encodes to a single point z(x): there is no q(z|x) to sample from.";
    draw();
  }

  /** Forget the drawing (model switch, clear). */
  function clear() {
    token += 1;
    current = null;
    root.hidden = true;
    strip.replaceChildren();
    onDots([]);
  }

  again.addEventListener("click", draw);
  return { set, clear };
}
