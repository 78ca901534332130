// The Generate panel's samples and the interpolation between ends A and B: each asked for again
// when what it depends on changes, the newest ask winning over a late answer.

import { interpolateEnds } from "./interpolation-view.js";
import { showThumbs, withArticle } from "./thumbs.js";

const SAMPLES = 16;
const INTERP_STEPS = 10;

/**
 * @param {{store: object, source: object, notice: object, map: object, interpolationView: object,
 *          samples: HTMLElement, temperature: HTMLInputElement, method: HTMLSelectElement,
 *          labelOrNull: () => number | null}} deps
 * @returns {{generateSamples: () => Promise<void>, runInterpolation: () => Promise<void>}}
 */
export function createSamplesFlow({ store, source, notice, map, interpolationView, samples,
                                    temperature, method, labelOrNull }) {
  const { state } = store;
  let samplesRequest = 0; // a newer label or temperature wins over a late answer
  let interpRequest = 0; // newer ends or path win over a late answer

  async function generateSamples() {
    const t = store.token();
    const request = ++samplesRequest;
    try {
      const label = labelOrNull();
      const images = await source.sample(SAMPLES, label, Number(temperature.value));
      store.check(t);
      if (request !== samplesRequest) return;
      const of = label === null ? "" : ` of ${withArticle(state.model.class_names[label])}`;
      showThumbs(samples, images, null, (k) => `sample ${k + 1}${of}`);
      notice.clear("samples");
    } catch (err) {
      // A failure of a request since superseded (another model's, an older label's) is no news.
      if (!store.isCurrent(t) || request !== samplesRequest) return;
      notice.show(err, "samples");
    }
  }

  async function runInterpolation() {
    const [a, b] = state.ends;
    map.setEnds(a && a.z, b && b.z);
    const request = ++interpRequest;
    if (!a || !b) return interpolationView.waitFor(a, b);
    const t = store.token();
    try {
      const frames = await interpolateEnds(state.model, a, b, method.value, INTERP_STEPS,
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

  return { generateSamples, runInterpolation };
}
