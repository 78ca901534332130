// A range input on a touch screen jumps to the finger at touchstart, before anyone can tell a
// scroll from a drag: a vertical swipe over the sliders, meant to scroll the page, set a latent
// dim (page pass 8; a 16-d model's slider box is almost all track). A touch's input and change
// events are held until the gesture shows what it is: a sideways move or a lift (a tap) lets
// them through, with one input event for the value so far; a scroll (the browser cancels the
// pointer, even after a sideways start) puts the value back and drops the rest. Mouse, pen and
// keys pass as they are.

/** Sideways travel, in CSS px, that makes a touch a slider drag: about Chromium's touch slop, so
 *  a thumb's first drift does not count (review: 6 px let a drifting scroll through). */
const SIDEWAYS_PX = 15;
/** A cancelled touch's change event comes right after its touchend: held this long at most. */
const SETTLE_MS = 400;

/** @param {HTMLInputElement} input a range input */
export function guardTouch(input) {
  /** @type {{before: string, x: number, y: number, through: boolean, cancelled: boolean} | null} */
  let held = null;
  const hold = (event) => {
    if (held && !held.through) event.stopImmediatePropagation();
  };
  // Capture listeners on the input itself run before its other listeners.
  input.addEventListener("input", hold, true);
  input.addEventListener("change", hold, true);
  const letThrough = () => {
    held.through = true;
    input.dispatchEvent(new Event("input", { bubbles: true }));
  };
  input.addEventListener("pointerdown", (event) => {
    held = event.pointerType === "touch"
      ? { before: input.value, x: event.clientX, y: event.clientY, through: false, cancelled: false }
      : null;
  });
  input.addEventListener("pointermove", (event) => {
    if (!held || held.through || held.cancelled) return;
    const dx = Math.abs(event.clientX - held.x);
    if (dx > SIDEWAYS_PX && dx > Math.abs(event.clientY - held.y)) letThrough();
  });
  input.addEventListener("pointerup", () => {
    if (held && !held.through && !held.cancelled) letThrough();
  });
  // A cancel means the browser took the touch as a scroll (a sideways drag on a range input is
  // never cancelled): the value goes back, and if it had been let through, the page follows it.
  input.addEventListener("pointercancel", () => {
    if (!held || held.cancelled) return;
    const undo = held.through && input.value !== held.before;
    input.value = held.before;
    held.through = false;
    held.cancelled = true;
    if (undo) {
      held.through = true; // this one event passes the hold
      input.dispatchEvent(new Event("input", { bubbles: true }));
      held.through = false;
    }
    const cancelled = held;
    setTimeout(() => {
      if (held === cancelled) held = null;
    }, SETTLE_MS);
  });
}
