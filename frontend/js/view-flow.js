// The map's view: the plane and range shown, the atlas that comes with them (the model's own
// range, the scatter of test codes, the PCA plane), and the picture behind the map. An atlas
// answer is dropped when the model or the plane changed meanwhile; one that failed in a way that
// may pass is asked again by the user's next move, and by itself after 1, 2, 4, then every 8 s.

import * as api from "./api.js";
import { createRetry } from "./latest.js";
import { PRIOR_RANGE, fillRangeSelect } from "./model-notes.js";

const ATLAS_RETRY_MS = 2000; // a failed atlas is asked again by a move at most this often
const BACKGROUND_PAUSE_MS = 200; // a plane's picture follows z once the user pauses

/**
 * @param {{store: object, $: (id: string) => HTMLElement, map: object, sliders: object,
 *          teach: object, notice: object, encodeView: object, saveUrl: () => void,
 *          labelOrNull: () => number | null}} deps
 * @returns {{applyView: (opts?: object) => Promise<void>, followMove: () => void,
 *            refreshBackground: () => void, reach: (z: number[]) => number,
 *            outsideRangeHint: (mu: number[]) => string, atlasFailing: () => boolean,
 *            retryAtlas: () => void}}
 */
export function createViewFlow({ store, $, map, sliders, teach, notice, encodeView, saveUrl,
                                 labelOrNull }) {
  const { state } = store;
  let viewRequest = 0;
  let viewPending = false; // an atlas is on its way
  let atlasRetry = false; // the last atlas failed in a way that may pass: a move asks again
  let atlasAskedAt = -Infinity;
  let backgroundTimer = null;
  /** @type {{linkRange: number | null} | null} the range a new model, plane or link is owed
   *  until its atlas comes (the atlas's own, or the link's): slow or failed, any later view
   *  change carries it, and a range the user picks meanwhile becomes the one it keeps (review: a
   *  range picked during a switch left the previous model's choices and "Why ±130?" note on the
   *  new model) */
  let rangeOwed = null;
  // Asked again by itself too: with the digit decoded in the page, nothing else failed to mend and
  // ask for it, and the map stayed empty until a move (page pass 19).
  const retry = createRetry();
  store.perModel(() => retry.reset());

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

  /** z moved: what the view owes a move. */
  function followMove() {
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
      backgroundTimer = setTimeout(refreshBackground, BACKGROUND_PAUSE_MS);
    }
  }

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
      retry.reset();
      notice.clear("atlas");
    } catch (err) {
      if (!store.isCurrent(t) || request !== viewRequest) return;
      store.setAtlas(null);
      // Only a failure that may pass (no answer, or the server's own error) is asked again.
      failedForNow = api.mayPass(err);
      // The model's own range comes with them: until then the map shows the prior's, which for
      // an AE (±130) left a link's z off the map without a word (page pass 12).
      const range = resetRange && !linkRange
        ? ` Until then the map shows ±${PRIOR_RANGE}, the prior's range, not this model's own.` : "";
      const itself = failedForNow
        ? ` Asked again by itself in ${retry.schedule(retryAtlas)} s.`
        : "";
      notice.show(err, "atlas", !failedForNow ? "" : (view.plane === "pca"
        ? "The PCA plane comes with them: until then the map takes no click. A click or a slider asks again."
        : "A move asks again.") + itself + range);
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

  function retryAtlas() {
    if (atlasRetry && !viewPending) applyView();
  }

  return {
    applyView, followMove, refreshBackground, reach, outsideRangeHint,
    /** The last atlas failed in a way that may pass (its notice says so already). */
    atlasFailing: () => atlasRetry,
    /** A click on a map without its PCA plane (which comes with the atlas) asks for it again. */
    retryAtlas,
  };
}
