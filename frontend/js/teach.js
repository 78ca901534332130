// The page's teaching parts (issue 11), wired in one place so main.js only calls a few hooks: the
// map's axes, prior circles, legend title and each model's own range; the compare strip (the same
// z in every 2-d model); a drawing in nats and samples of its q(z|x).

import { createCompareStrip } from "./compare-strip.js";
import { createElboBar } from "./elbo-bar.js";
import { createMapAxes, defaultRange } from "./map-axes.js";
import { fillRangeSelect, legendTitle, noLikelihood, posteriorName, showRangeNote } from "./model-notes.js";
import { cloudSize, createPosteriorCloud, createPosteriorSamples } from "./posterior-views.js";

/**
 * @param {(id: string) => HTMLElement} $ the page's element lookup
 * @param {{map: object, images: Function, imageIn: Function, onError: (err: Error) => void,
 *          onOk: () => void}} deps
 *        the latent map (for the prior's circles and the samples' dots), the decode source's
 *        `images` (the posterior samples are decoded where the digit is) and `imageIn` (the
 *        compare strip's models), and where errors go
 */
export function createTeaching($, { map, images, imageIn, onError, onOk }) {
  const axes = createMapAxes($("map-axes"));
  const compareStrip = createCompareStrip($("compare-strip"), $("compare-note"), imageIn,
                                         $("compare-recon"));
  const elboBar = createElboBar($("elbo"), $("kl-per-dim"),
                                { more: $("elbo-more"), summary: $("elbo-more-summary"), detail: $("elbo-detail") });
  const cloud = createPosteriorCloud($("posterior-cloud"), $("posterior-cloud-note"));
  let encoded = null; // {mu, logvar} of the drawing shown, for the zoomed cloud on a new plane
  // The Draw explanation's sentence on the cloud's size: the page's words until a drawing's σ
  // give its own.
  const sizeSaid = $("cloud-size");
  const sizeUnsaid = sizeSaid.textContent;
  let dots = [];
  let ownRange = null; // the model's own range and the points it came from, for the range note
  const posterior = createPosteriorSamples(
    { root: $("posterior"), strip: $("posterior-samples"), again: $("posterior-again"),
      note: $("posterior-note") },
    { onDots: (zs) => { dots = zs; map.setSamples(zs); cloud.show(zs); }, images, onError, onOk },
  );

  return {
    /** The walkable models are known: one compare-strip cell per 2-d one. */
    setModels: (models) => compareStrip.setModels(models),

    /**
     * A new model or plane: its own range (from the atlas, ~99% of the test codes visible) fills
     * the range select, unless a link asked for another. Returns the range now selected.
     * @param {object} model @param {{points: number[][]}} atlas @param {number | null} linkRange
     */
    resetRange(model, atlas, linkRange) {
      const range = defaultRange(atlas.points);
      fillRangeSelect($("range-select"), range, linkRange);
      ownRange = { model, points: atlas.points, range };
      const shown = Number($("range-select").value);
      showRangeNote($("range-note"), model, atlas.points, range, shown);
      return shown;
    },

    /** The map shows `view` of `model`: its axes, the prior's circles, the legend's title, and
     *  the range note for the range shown. */
    showView(model, view) {
      if (ownRange && ownRange.model === model) {
        showRangeNote($("range-note"), model, ownRange.points, ownRange.range, view.range);
      }
      map.setPrior(model.capabilities.standard_normal_prior);
      const names = view.plane === "pca" ? ["PC1", "PC2"] : view.dims.map((d) => `z${d}`);
      axes.update({ range: view.range, xLabel: names[0], yLabel: names[1] });
      $("legend-title").textContent = legendTitle(model, view.plane);
      if (encoded) {
        cloud.set(map.plane(), encoded.mu, encoded.logvar, posteriorName(model));
        cloud.show(dots);
      }
    },

    /** z moved: the compare strip follows. */
    showZ: (z, label, modelId) => compareStrip.update(z, label, modelId),

    /** A drawing was encoded (an /encode answer): its nats, and samples of q(z|x). */
    showEncoded(body, model, label) {
      if (body.elbo) elboBar.show(body, model);
      else elboBar.clear(noLikelihood(model));
      encoded = { mu: body.mu, logvar: body.logvar };
      sizeSaid.textContent = body.logvar ? cloudSize(body.logvar.map((v) => Math.exp(v / 2)))
        : sizeUnsaid;
      cloud.set(map.plane(), body.mu, body.logvar, posteriorName(model));
      posterior.set(model, body.mu, body.logvar, label);
    },

    /** The drawing is gone (cleared, or another model). */
    clear() {
      elboBar.clear();
      encoded = null;
      sizeSaid.textContent = sizeUnsaid;
      cloud.set(null);
      posterior.clear();
    },
  };
}
