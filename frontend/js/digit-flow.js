// The current z's digit and style row: asked for as z moves, the newest ask winning (one in
// flight each), drawn where the decode source answers from (the page or the server).

import { mayPass } from "./api.js";
import { createRetry, latestWins } from "./latest.js";
import { describe } from "./notice.js";
import { showThumbs } from "./thumbs.js";

// On the server the style row costs a 10-image decode per z: while the pointer drags, wait for
// it to pause. Decoded in the browser it costs a few ms and follows every move.
const STYLE_ROW_PAUSE_MS = 250;

/**
 * @param {{store: object, source: object, decodedView: object, notice: object,
 *          styleRow: HTMLElement, labelOrNull: () => number | null}} deps
 * @returns {{scheduleDecode: () => void, scheduleStyleRow: () => void}}
 */
export function createDigitFlow({ store, source, decodedView, notice, styleRow, labelOrNull }) {
  const { state } = store;
  // A server decode that failed in a way that may pass is asked again (1, 2, 4, then every 8 s)
  // until one succeeds (for the z current then; a move meanwhile asks at once): the old digit
  // stayed, looking current, until the user moved (page pass 8).
  const retry = createRetry();
  store.perModel(() => retry.reset());

  const scheduleDecode = latestWins(async () => {
    const t = store.token();
    const z = [...state.z];
    const started = performance.now();
    try {
      const digit = await source.digit(z, labelOrNull());
      if (decodedView.show(digit, started, () => store.isCurrent(t)) === null) return;
      retry.reset();
      notice.clear("decode");
      const detail = { z, where: digit.where, drawnAt: performance.now() };
      window.dispatchEvent(new CustomEvent("digit-drawn", { detail }));
    } catch (err) {
      if (err.name === "AbortError" || err.name === "StaleError" || !store.isCurrent(t)) return;
      const reason = describe(err);
      decodedView.stale(reason.charAt(0).toLowerCase() + reason.slice(1).replace(/\.$/, ""));
      const next = mayPass(err) ? `Asked again in ${retry.schedule(() => scheduleDecode())} s.` : "";
      notice.show(err, "decode", next);
    }
  });

  const refreshStyleRow = latestWins(async () => {
    if (!store.conditional()) return showThumbs(styleRow, []);
    const t = store.token();
    const k = state.model.num_classes;
    try {
      const images = await source.images(Array(k).fill(state.z), [...Array(k).keys()]);
      store.check(t);
      showThumbs(styleRow, images, state.model.class_names);
      notice.clear("style");
    } catch (err) {
      if (store.isCurrent(t)) notice.show(err, "style"); // not another model's late failure
    }
  });
  let styleTimer = null;
  function scheduleStyleRow() {
    clearTimeout(styleTimer);
    if (source.status().where === "browser") refreshStyleRow();
    else styleTimer = setTimeout(refreshStyleRow, STYLE_ROW_PAUSE_MS);
  }

  return { scheduleDecode, scheduleStyleRow };
}
