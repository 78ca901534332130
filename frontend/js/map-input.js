// The latent map's input: a mouse or pen drags the crosshair, a finger taps or drags it sideways
// (a vertical swipe scrolls the page), and the keys move it once the map has the focus. Every move
// lands on the map's plane as a point (x, y) handed to onPick.

import { setLive } from "./notice.js";
import { SIDEWAYS_PX } from "./sliders.js";

/**
 * @param {HTMLElement} wrap the map's box (it takes the focus and the pointer)
 * @param {{plane: () => object | null, view: () => {range: number, plane?: string, dims?: number[] | null},
 *          toPlane: (fx: number, fy: number) => number[], onPick: (x: number, y: number) => void,
 *          onNoPlane: () => void}} map the plane (null until it comes), the view, and a point
 *   given as fractions of the box's width and height, on the plane
 * @returns {{keyFrom: (at: number[]) => void}} where the keys move from (the crosshair's point)
 */
export function listenToMap(wrap, { plane, view, toPlane, onPick, onNoPlane }) {
  let pressed = false;
  function pick(event) {
    if (!plane()) return onNoPlane();
    const rect = wrap.getBoundingClientRect();
    onPick(...toPlane((event.clientX - rect.left) / rect.width, (event.clientY - rect.top) / rect.height));
  }
  // A finger on the map may be a scroll of the page (page pass 15: a swipe up that began on the
  // map sent z to its top edge): a touch is a tap where it lifts, or a drag once it goes more
  // sideways than up or down; a vertical swipe is the browser's scroll (touch-action: pan-y),
  // which cancels it.
  let touchAt = null;
  const startDrag = (event) => {
    pressed = true;
    wrap.setPointerCapture(event.pointerId);
    pick(event);
  };
  wrap.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    // A pen too: under touch-action: pan-y the browser takes its vertical strokes as scrolls
    // (review); only a mouse drags at once.
    if (event.pointerType !== "mouse") touchAt = [event.clientX, event.clientY];
    else startDrag(event);
  });
  wrap.addEventListener("pointermove", (event) => {
    if (touchAt) {
      const [dx, dy] = [Math.abs(event.clientX - touchAt[0]), Math.abs(event.clientY - touchAt[1])];
      if (dx > SIDEWAYS_PX && dx > dy) {
        touchAt = null;
        startDrag(event);
      }
      return;
    }
    // Without a plane only the press asks for it again: a drag asked once per move (review).
    if (pressed && plane()) pick(event);
  });
  wrap.addEventListener("pointerup", (event) => {
    if (touchAt) pick(event); // a tap
    touchAt = null;
    pressed = false;
  });
  wrap.addEventListener("pointercancel", () => {
    touchAt = null;
    pressed = false;
  });

  // Keyboard: the map takes focus; arrows move the crosshair by a 20th of the range (a 100th
  // with Shift), Home returns to the plane's origin.
  let keyAt = null;
  wrap.tabIndex = 0;
  const said = wrap.querySelector("[aria-live]");
  /** Where a key move landed, for a screen reader: the plane's axes and the point on them, and
   *  the edge once it stops there (page pass 16: held against it, the same point was read out
   *  at every press, and nothing said why z did not move). */
  // A held key's repeats are said once, where it stops: each said in turn queued a second and a
  // half of speech a repeat, ~20 s of old positions after half a second held (page pass 22).
  let heldAt = null;
  function say(x, y, edge = false, repeat = false) {
    if (!said) return;
    const { plane: along, dims } = view(); // the view's plane: "pca" or two latent dims
    const [a, b] = along === "pca" ? ["PC1", "PC2"] : (dims || [0, 1]).map((d) => `z${d}`);
    const text = `${a} ${x.toFixed(2)}, ${b} ${y.toFixed(2)}`;
    heldAt = null;
    if (edge) setLive(said, `${text}: the map's edge`); // once, however long the key is held
    else if (repeat) heldAt = text; // said when the key is let go
    else said.textContent = text; // every move, even back to where the last one was said
  }
  // Said where it stopped: on the key's release, or where the focus left the map mid-hold (its
  // release then lands elsewhere: page pass 23), and not again on a later release (review 15).
  function sayHeld() {
    if (heldAt !== null) said.textContent = heldAt;
    heldAt = null;
  }
  wrap.addEventListener("keyup", sayHeld);
  wrap.addEventListener("blur", sayHeld);
  wrap.addEventListener("keydown", (event) => {
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
    if (!plane() && !event.repeat && (moves[event.key] || event.key === "Home")) return onNoPlane();
    if (!plane() || !keyAt) return;
    if (event.key === "Home") {
      event.preventDefault();
      say(0, 0, false, event.repeat);
      return onPick(0, 0);
    }
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    const { range } = view();
    const step = range / (event.shiftKey ? 100 : 20);
    const clamp = (v) => Math.min(range, Math.max(-range, v));
    const [wantX, wantY] = [keyAt[0] + move[0] * step, keyAt[1] + move[1] * step];
    const [x, y] = [clamp(wantX), clamp(wantY)];
    onPick(x, y);
    // A slider's move is read out as its value; the map's was silent (page pass 8).
    say(x, y, x !== wantX || y !== wantY, event.repeat);
  });

  return { keyFrom: (at) => { keyAt = at; } };
}
