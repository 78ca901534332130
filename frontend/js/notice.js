// The page's error line. It floats over the page (no message shifts the layout) and stays until
// the user dismisses it, or until the same kind of request (its `source`) later succeeds: an
// unrelated success does not hide an error the user has not read.

import { ApiError } from "./api.js";

/** What a person reads for `err`: an ApiError's own message, anything else said as unexpected. */
export function describe(err) {
  if (typeof err === "string") return err;
  return err instanceof ApiError ? err.message : `Something went wrong: ${err.message}`;
}

/**
 * @param {HTMLElement} root the notice element (role=alert), with a text span and a close button
 */
export function createNotice(root) {
  const text = root.querySelector("[data-notice-text]");
  let source = null;

  /**
   * @param {Error | string} err
   * @param {string} from what failed ("decode", "atlas", "link"...): its later success clears it
   */
  function show(err, from) {
    if (err && typeof err === "object" && (err.name === "AbortError" || err.name === "StaleError")) return;
    text.textContent = describe(err);
    source = from;
    root.hidden = false;
  }

  /** `from` succeeded: hide the notice if it was about `from` (no argument: hide it anyway). */
  function clear(from = null) {
    if (from !== null && from !== source) return;
    root.hidden = true;
    source = null;
  }

  root.querySelector("button").addEventListener("click", () => clear());
  return { show, clear };
}
