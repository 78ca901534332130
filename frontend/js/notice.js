// The page's error line. It floats over the page (no message shifts the layout) and stays until
// the user dismisses it, or until the same kind of request (its `source`) later succeeds: an
// unrelated success does not hide an error the user has not read. It keeps every failure not yet
// mended, one per source, and shows the newest: a success brings back the one before it.

import { ApiError, mayPass } from "./api.js";

/** What a person reads for `err`: an ApiError's own message, anything else said as unexpected. */
export function describe(err) {
  if (typeof err === "string") return err;
  return err instanceof ApiError ? err.message : `Something went wrong: ${err.message}`;
}

/** What failed, named per source: the server's own 500 read ": internal error", with no word of
 *  which part of the page it was about (page pass 8). */
const SUBJECTS = {
  decode: "This z could not be decoded", // no noun: digits or clothes, nouns.js knows which
  atlas: "The map's test-set dots did not load",
  style: "The style row could not be decoded",
  samples: "The samples could not be drawn",
  interp: "The interpolation could not be made",
  posterior: "The posterior samples could not be decoded",
  complete: "The completion failed",
  encode: "The drawing could not be encoded",
  upload: "The image could not be encoded",
};

/**
 * Write a live region's text only when it changes: the same words written again are read out
 * again (page pass 14: a model switch read the interpolation's prompt twice, and nothing else).
 * @param {HTMLElement} el @param {string} text
 */
export function setLive(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

// A retry's countdown: that it is asked again is said, its seconds only shown. Said each time
// they changed, a failure retried every 8 s interrupted a screen reader every few seconds for as
// long as the network was down (page pass 22); with the whole sentence unsaid, a reader never
// learned the page asks again by itself (page pass 23).
const COUNTDOWN = /\s*\b(Asked again(?: by itself)?|Trying again) (in \d+ s\.)/;

/** A line split into what is said (the retry's words last) and the seconds shown after them. */
function splitCountdown(line) {
  const found = line.match(COUNTDOWN);
  if (!found) return { said: line, countdown: "" };
  return { said: `${line.replace(COUNTDOWN, "")} ${found[1]}`, countdown: found[2] };
}

/** What failed, in a few words, for the line that names the others failing beside the one shown. */
const SHORT = {
  decode: "the decoded image", atlas: "the map's dots", style: "the style row", samples: "the samples",
  interp: "the interpolation", posterior: "the posterior samples", complete: "the completion",
  map: "the map's background", models: "the model list",
};

/** The line for `err` from `from`: its subject, what went wrong, and what comes next. */
export function sentence(err, from, next = "") {
  let text = describe(err);
  if (typeof err !== "string" && SUBJECTS[from]) {
    text = `${SUBJECTS[from]}: ${text.charAt(0).toLowerCase()}${text.slice(1)}`;
  }
  if (!next) return text;
  return `${/[.!?]$/.test(text) ? text : `${text}.`} ${next}`;
}

/**
 * @param {HTMLElement} root the notice element: its words in a role=alert span (role=status
 *   for a link's notes), and a close button beside it
 * @param {HTMLElement} home where the focus goes when the close button that had it is pressed
 *   and the control it came from is gone (page pass 14: it fell to the page's start)
 */
export function createNotice(root, home) {
  const text = root.querySelector("[data-notice-text]");
  const live = text.parentElement; // the words' live region: an alert, or a link's status
  const countdown = root.querySelector("[data-notice-countdown]");
  const close = root.querySelector("button");
  /** source -> {said, countdown, again, once, read, asking}: failures not yet mended, oldest first; the
   *  newest not dismissed is shown (a dismissed one is still asked again when the server answers
   *  again; `asking`: asked again already, awaiting its answer). */
  const failing = new Map();
  const recoveryListeners = [];
  let cameFrom = null; // the control the focus left for the close button

  /**
   * @param {Error | string} err
   * @param {string} from what failed ("decode", "atlas", "link"...): its later success clears it
   * @param {string} [next] what brings it back ("Asked again in 2 s.")
   * @param {{mayPass?: boolean, once?: boolean}} [opts] mayPass: a failure in words that may pass
   *   (an error object says so itself); once: nothing will mend it (a link's notes), so it goes
   *   when a newer line covers it, not back on show when that one is mended (review)
   */
  function show(err, from, next = "", { mayPass: passes = false, once = false } = {}) {
    if (err && typeof err === "object" && (err.name === "AbortError" || err.name === "StaleError")) return;
    const again = typeof err === "string" ? passes : mayPass(err);
    const line = splitCountdown(sentence(err, from, next));
    // The failure itself, without what comes next, nor a countdown its own words carry.
    const base = splitCountdown(sentence(err, from)).said;
    const before = failing.get(from);
    if (before && before.base === base && (line.countdown || before.countdown) && !once) {
      // The same failure again, from a retry in the background (it has a countdown, or had
      // one and gave up): it keeps its place, and stays dismissed if it was (page pass 22: two
      // sources retrying took turns as the newest, each turn an interruption; Escape held 4 s;
      // page pass 23: a dismissed completion came back when its retries gave up). A failure the
      // user asked for again is news (review 15: "New samples" pressed again, offline, after a
      // dismissal, showed nothing).
      Object.assign(before, { ...line, again, asking: false });
      display();
      return;
    }
    for (const [source, f] of failing) if (f.once) failing.delete(source);
    failing.delete(from); // the newest goes last
    failing.set(from, { ...line, base, from, again, once, read: false, asking: false });
    display();
  }

  let shown = null; // the failure on show, to write its words once and again only if it changes
  function display() {
    const newest = [...failing.values()].filter((f) => !f.read).pop();
    const wasHidden = root.hidden;
    root.hidden = !newest;
    // A link's notes are about what it asked for, not a failure: shown as information, not in
    // an error's red (page pass 24: a shared link's range note read as something broken).
    root.classList.toggle("info", Boolean(newest?.once));
    // And said as information: its red went, but a screen reader still heard an alert, which
    // interrupts (review 17). The role is set before the words are written, which it then says.
    if (newest) live.setAttribute("role", newest.once ? "status" : "alert");
    if (!newest) {
      shown = null;
      document.body.style.removeProperty("padding-bottom");
      document.documentElement.style.removeProperty("scroll-padding-bottom");
      return;
    }
    // Another failure, or one shown afresh, is written even in the same words as the last:
    // un-hidden with its old text it was not said (review 15). The same one is not written again.
    if (newest !== shown || wasHidden) text.textContent = newest.said;
    else setLive(text, newest.said);
    shown = newest;
    // What else fails meanwhile, in a few words, shown: a retried map or digit hid behind the
    // newest failure, the samples', which promises no retry (page pass 23). Not said again:
    // each was said when it failed.
    const others = [...failing.values()].filter((f) => f !== newest && !f.read && SHORT[f.from]);
    const also = others.length ? ` Also failing: ${others.map((f) => SHORT[f.from]).join(", ")}.` : "";
    countdown.textContent = `${newest.countdown}${also}`.trim();
    makeRoom();
  }

  // It floats over the page's foot, so the page gets as much room there: whatever it covers can
  // be scrolled clear of it (page pass 15: on a phone it hid a slider until dismissed). Its
  // height changes with the window's width (a phone turned upright), and the room with it.
  function makeRoom() {
    if (root.hidden) return;
    document.body.style.paddingBottom = `${root.offsetHeight + 32}px`;
    // A control the keyboard moves to is scrolled clear of it too (page pass 22: on a phone the
    // focus went to a slider wholly under it).
    document.documentElement.style.scrollPaddingBottom = `${root.offsetHeight + 32}px`;
  }
  new ResizeObserver(makeRoom).observe(root);

  /**
   * `from` succeeded: its failure is mended, and the one before it (if any) is shown again. A
   * failure that may pass, mended, means the server answers again: the listeners are told which
   * other failures may pass too, to ask again for them (page pass 18: a few seconds offline
   * during a model switch left the map and the samples blank, and the decode's later success
   * hid the only word about them). No argument: every failure is forgotten (a model switch).
   * @param {string | null} [from]
   */
  function clear(from = null) {
    if (from === null) failing.clear();
    else {
      const mended = failing.get(from);
      if (!mended) return;
      failing.delete(from);
      if (mended.again) askAgain();
    }
    display();
  }

  /**
   * Every failure that may pass is asked again, once: a mend says the server answers again, and
   * so does the browser going online, or a decoder file arriving (the samples and the style row
   * need no server then). With every move decoded in the page, no request failed and succeeded
   * after a drop, and the samples, the style row and the map stayed blank under the notice for
   * good (page pass 29). One already asked stays out until it fails or is mended (review: three
   * failures mended one by one asked the last twice).
   */
  function askAgain() {
    const others = [...failing].filter(([, f]) => f.again && !f.asking);
    for (const [, f] of others) f.asking = true;
    const sources = others.map(([source]) => source);
    if (sources.length) for (const listener of recoveryListeners) listener(sources);
  }

  /** @param {(sources: string[]) => void} listener told the sources to ask again (see clear) */
  function onRecovery(listener) {
    recoveryListeners.push(listener);
  }

  close.addEventListener("focus", (event) => { cameFrom = event.relatedTarget; });
  function dismiss() {
    const hadFocus = document.activeElement === close;
    for (const f of failing.values()) f.read = true;
    display();
    if (!hadFocus) return;
    const back = cameFrom && cameFrom.isConnected && cameFrom.checkVisibility() ? cameFrom : home;
    // Where the reader is stays put: a mouse's click (nothing focused before it) sent the focus
    // to the picker and the page to its top, 1,331 px up (review).
    back.focus({ preventScroll: true });
  }
  close.addEventListener("click", dismiss);
  // Escape dismisses it from anywhere: its × is the third stop of the page's Tab order, drawn at
  // the window's foot, ~30 Shift+Tabs back from the panels below (page pass 16).
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !root.hidden && !event.defaultPrevented) dismiss();
  });
  return { show, clear, onRecovery, askAgain };
}
