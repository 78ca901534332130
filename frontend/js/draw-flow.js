// What happens to a drawing or an uploaded image: it is encoded (the pad's pixels or the file,
// with the label a CVAE must be told), and the answer is shown beside the pad, on the map and in
// the posterior's lesson. The newest stroke, label, file or Clear wins over a late answer.

import * as api from "./api.js";
import { toPixels } from "./draw-pad.js";
import { MAX_RETRIES, createRetry } from "./latest.js";
import { sentence } from "./notice.js";
import { fillNouns } from "./nouns.js";

const GAVE_UP = "Not asked again: another stroke, or Clear and draw, asks.";
// A drawing smaller than this (pad pixels between its strokes' extremes; 0 for a tap) is no digit
// MNIST's fit can read: 2 pixels of its 28.
const MIN_EXTENT = 20;
/** MNIST's crop-and-centre only where the data set says pen drawings fit it (see padNote). */
const preprocessFor = (model) => (model.data.drawing === "mnist-digit" ? "mnist" : "none");

/**
 * @param {object} parts `store` (state.js), `pad`, `encodeView`, `teach`, `map`, `upload` (the
 *   file input)
 * @param {object} hooks `followLabel(label)`: the view takes the drawing's label; `moveTo(z)`:
 *   the view goes to the drawing's mean; `hint(mu)`: a sentence to add about where mu lies;
 *   `forgetLabel()`: a new item is drawn or chosen, the label named for the last one is dropped;
 *   `nameLabel(label)`: the item on the pad is known to be `label` (the decoded image's)
 */
export function createDrawFlow({ store, pad, encodeView, teach, map, upload: input },
                               { followLabel, moveTo, hint, forgetLabel, nameLabel }) {
  const { state } = store;
  const { conditional } = store;
  /** A conditional model that cannot read the label itself must be told which one was drawn. */
  const needsLabel = () => conditional() && !state.model.capabilities.infers_label;
  let request = 0; // a newer stroke, label or Clear wins over a late answer to an older one
  let upload = null; // the image file encoded last, if it was an upload (re-sent when re-labelled)
  // The pixels of the decoded image "Encode the decoded digit" put on the pad, while it is there:
  // sent again as they are (encoded again as a drawing, after a switch or a label, they went
  // through MNIST's crop and centring and another model was shown another image: review 18).
  let decodedPixels = null;

  /** No file to re-send; the same file chosen again is a new choice. */
  function forgetUpload() {
    upload = null;
    input.value = "";
  }

  /** Take down what an encoded drawing showed: its numbers, samples and marker. */
  function takeDown() {
    encodeView.clear();
    teach.clear();
    store.setEncoded(null);
    map.setMarker(null);
  }

  /** Take down the results and the file: nothing is left to re-send. */
  function forgetResults() {
    forgetUpload();
    takeDown();
  }

  let inFlight = Promise.resolve(); // the newest encode, settled when its answer is shown
  // An encode the server or the network failed is sent again, backing off (page pass 9: the
  // line said "the server failed (HTTP 500)" and waited for another stroke).
  const retry = createRetry(MAX_RETRIES);

  /** Encode what `send(label)` sends and show it, as the newest encode (`again`: a retry). The
   *  view's z and label when it was first sent travel with it, across retries. `moveView`: the
   *  view goes to the answer's mean and label (not for a drawing encoded again by the model a
   *  Back or a link opened: the view it restores is theirs; review 18). */
  function encodeWith(send, asked = { z: state.z, label: state.label }, again = false,
                      moveView = true) {
    inFlight = encodeAndShow(send, asked, again, moveView);
    return inFlight;
  }

  /** Encode what `send(label)` sends and show it: the same for a drawing and an upload. */
  async function encodeAndShow(send, asked, again, moveView) {
    const model = state.model;
    if (needsLabel() && state.drawLabel === null) {
      request += 1; // "?" chosen while an answer for a named label was on its way
      // The results shown were encoded as another label: they go (the file stays, to be sent
      // once a label is named).
      takeDown();
      // A file is named: the pad may not show it yet (it shows a file as the server read it).
      const it = upload ? `the image “${upload.name}”` : "it";
      return encodeView.say(`Which ${model.data.item} is ${it}? The ${model.display_name} encodes ` +
                            "a drawing or image given its label: choose it under “It is”.");
    }
    const t = store.token();
    const told = needsLabel() ? state.drawLabel : null;
    const mine = ++request;
    retry.cancel();
    // A retry works quietly: its "Encoding…" and each failure's countdown were read out again,
    // 8 times in 10 s with no one acting (page pass 16). Its answer, or its giving up, is said.
    encodeView.quiet(again);
    encodeView.pending();
    try {
      const body = await send(told);
      store.check(t);
      if (mine !== request) return; // superseded: its label must not move the view
      retry.reset();
      encodeView.quiet(false);
      // The view follows the drawing's label: the one the model read (M2) or the one the user
      // gave (a CVAE), so the decoded image at the drawing's z is decoded as that class.
      // Unless the user moved since it was first sent: a label or a z chosen since is a view of
      // their own, kept whole (page passes 20-21: an answer retried after an outage put back the
      // label picked before under a z picked for the new one, or relabelled a map click's digit).
      const untouched = moveView && state.z === asked.z && state.label === asked.label;
      const label = model.capabilities.infers_label ? body.label : told;
      if (untouched && label !== null && label !== undefined && label !== state.label) {
        followLabel(label);
      }
      encodeView.show(body, model, told, hint(body.mu));
      // A file is shown on the pad as the server read it, as the completion pad shows one: it
      // stays there while other models encode the file (page pass 26: after an upload and a
      // switch to a CVAE the pad was blank under "Which digit is it?"), and can be drawn over.
      if (upload && body.preprocessed) showRead(body.preprocessed, mine);
      store.setEncoded({ mu: body.mu, logvar: body.logvar });
      map.setMarker(body.mu, body.logvar);
      teach.showEncoded(body, model, conditional() ? body.label ?? state.label : null);
      // The view goes to the drawing's mean unless the user moved z since it was first sent (a
      // map click, Random sample; across retries too): that newer move wins; the marker still
      // shows where mu lies. (z is replaced, not changed, by every move: state.js setZ.)
      if (untouched) moveTo([...body.mu]);
    } catch (err) {
      // An error about an older drawing, or another model's, is no news about this one.
      if (err.name === "StaleError" || mine !== request || !store.isCurrent(t)) return;
      // About the drawing: said next to the pad, where the user is looking.
      const subject = upload ? "upload" : "encode";
      // The results shown were an earlier drawing's: they go with the failed one.
      if (api.mayPass(err)) {
        takeDown();
        const wait = retry.schedule(() => {
          if (mine === request && store.isCurrent(t)) encodeWith(send, asked, true, moveView);
        });
        // Once the tries are spent, the user's next stroke asks again.
        const next = wait ? `Asked again in ${wait} s.` : GAVE_UP;
        encodeView.quiet(again && Boolean(wait)); // the first failure and the giving up are said
        return encodeView.say(sentence(err, subject, next), { error: true });
      }
      forgetResults(); // and "It is" must not send a file the server refused again
      encodeView.quiet(false); // a retry refused (4xx) is said (review: it stayed quiet)
      encodeView.say(sentence(err, subject), { error: true });
    }
  }

  /** The server's reading of a file on the pad, unless a newer stroke, file or Clear came, or a
   *  stroke is being drawn (it wiped the stroke's first part: review 19; at pen-up the pad is
   *  encoded, the file forgotten). */
  function showRead(url, mine) {
    const img = new Image();
    img.onload = () => { if (mine === request && upload && !pad.isDrawing()) pad.showImage(img); };
    img.src = url;
  }

  /** A new drawing, file or Clear: the backoff of an earlier one's retries starts over, and
   *  what the line says is read out again. */
  const userMoved = () => {
    retry.reset();
    encodeView.quiet(false);
  };

  /** A stroke on the pad: a drawing, whatever was on the pad before it. */
  function encodeDrawing() {
    decodedPixels = null;
    return encodePad();
  }

  /** What is on the pad, encoded: the decoded image as it is, else the drawing. */
  function encodePad(moveView = true) {
    userMoved();
    if (upload) forgetLabel(); // a drawing after a file is another item: its label is unknown
    forgetUpload();
    if (decodedPixels) {
      const pixels = decodedPixels;
      return encodeWith((told) => api.encodePixels(state.model.id, pixels, told, "none"),
                        undefined, false, moveView);
    }
    const model = state.model;
    if (!pad.hasInk()) {
      request += 1; // an answer to an earlier drawing is stale now
      return encodeView.say(fillNouns("The pad is blank: draw {an item} on it.", model));
    }
    const fitted = preprocessFor(model) === "mnist";
    const size = pad.extent();
    if (fitted && size !== null && size < MIN_EXTENT) {
      // MNIST's fit would blow a tap up into a square that fills the 20x20 box (page pass 15).
      request += 1;
      takeDown();
      return encodeView.say(fillNouns("Too small to read: MNIST's preprocessing would blow it up " +
                                      "to fill a 20×20 box. Draw {an item} larger.", model));
    }
    // A small drawing is read as if drawn large (the pad's fittedPixels), as MNIST's digits are
    // of a size with their strokes.
    const pixels = fitted ? pad.fittedPixels() : pad.toPixels();
    return encodeWith((told) => api.encodePixels(model.id, pixels, told, preprocessFor(model)),
                      undefined, false, moveView);
  }

  /**
   * An image file instead of a drawing (and the way in for whoever cannot draw with a pointer).
   * @param {File} file @param {boolean} [again] the same file, re-sent under a newly named label
   */
  function encodeFile(file, again = false, moveView = true) {
    userMoved();
    // A new file is a new item: the last one's label is not its own, nor its picture the pad's.
    if (!again) {
      forgetLabel();
      pad.clear();
    }
    decodedPixels = null;
    upload = file;
    const model = state.model;
    const t = store.token();
    const mine = ++request;
    // A file that is no image is said so first: a conditional model asked for its label, and
    // only once one was chosen did the server refuse the file (page pass 14).
    inFlight = api.looksLikeImage(file).then((image) => {
      if (mine !== request || !store.isCurrent(t)) return undefined; // a newer stroke or file
      if (image) {
        return encodeWith((told) => api.encodeUpload(model.id, file, told, preprocessFor(model)),
                          undefined, false, moveView);
      }
      forgetResults();
      return encodeView.say(`This file is not a ${api.IMAGE_FORMATS} image: choose another.`, { error: true });
    });
    return inFlight;
  }

  /**
   * The image decoded at z, on the pad and encoded: a way into this lesson that needs neither a
   * pointer nor a file (page pass 22: a keyboard user had only an image file), and a lesson of
   * its own, the encoder taking the decoder's picture of z back near z. It is sent as it is,
   * without MNIST's crop and centring: it is one of the model's own 28x28 images already.
   * @param {HTMLCanvasElement} decoded the decoded view's 28x28 canvas
   * @param {boolean} current whether it shows the current z and label (not a decode on its way)
   */
  function encodeDecoded(decoded, current) {
    const model = state.model;
    const pixels = toPixels(decoded);
    userMoved();
    // A dimmed image is an earlier z's, a blank one none yet: neither is this z's picture.
    if (!current || decoded.classList.contains("stale") || !pixels.some((v) => v > 0)) {
      return encodeView.say(fillNouns("No {item} is decoded at this z yet: nothing to encode.", model),
                            { error: true });
    }
    forgetUpload();
    pad.showImage(decoded);
    decodedPixels = pixels;
    // A conditional model decoded it given the view's label: that is what it shows.
    if (needsLabel()) nameLabel(state.label);
    return encodeWith((told) => api.encodePixels(model.id, pixels, told, "none"));
  }

  /** What is on the pad (or the file) encoded again: by the model now shown (`moveView`: the
   *  view goes to it, as after a choice in the picker), or as the label now named. */
  function encodeAgain({ moveView = true } = {}) {
    // The file first: the pad shows it as one model read it, another reads the file itself.
    if (upload) encodeFile(upload, true, moveView);
    else if (pad.hasInk()) encodePad(moveView);
  }

  return {
    needsLabel,
    encodeDecoded,
    /** Resolves once the newest encode has been shown or dropped (at once if none is on its way). */
    settled: () => inFlight,
    encodeDrawing,
    encodeFile,
    forgetUpload,
    /** Forget the drawing: a late answer to it must not bring its results back. */
    clear() {
      userMoved();
      request += 1;
      pad.clear();
      decodedPixels = null;
      forgetResults();
      forgetLabel(); // the next drawing is another item (page pass 5: it was sent as the old one)
    },
    /** The same drawing (or image), encoded as the label now named. */
    relabel: () => encodeAgain(),
    /** The same drawing (or image), encoded by the model now shown (nothing when there is none). */
    encodeAgain,
  };
}
