// A drawing pad for mouse, touch and pen (pointer events). White ink on black, like MNIST.

// MNIST strokes are ~2-3 px wide in 28x28 once the digit is fitted into 20x20; on a 280 px pad
// a digit drawn at about two thirds of the height gets scaled by ~0.1, so ~20 px matches.
const STROKE_WIDTH = 20;

/**
 * @param {HTMLCanvasElement} canvas
 * @param {{onStroke: () => void}} handlers called when a stroke ends
 */
export function createDrawPad(canvas, { onStroke }) {
  const ctx = canvas.getContext("2d");
  let drawing = false;
  let last = null;
  let hasInk = false;

  function clear() {
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    hasInk = false;
  }

  function point(event) {
    const rect = canvas.getBoundingClientRect();
    return [
      ((event.clientX - rect.left) / rect.width) * canvas.width,
      ((event.clientY - rect.top) / rect.height) * canvas.height,
    ];
  }

  function line(from, to, pressure) {
    ctx.strokeStyle = "#fff";
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    // Pens report pressure; mice report 0.5 while pressed. Keep the width near MNIST's.
    ctx.lineWidth = STROKE_WIDTH * (0.75 + 0.5 * (pressure || 0.5));
    ctx.beginPath();
    ctx.moveTo(...from);
    ctx.lineTo(...to);
    ctx.stroke();
    hasInk = true;
  }

  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    drawing = true;
    last = point(event);
    line(last, last, event.pressure);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    event.preventDefault();
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const e of events.length ? events : [event]) {
      const p = point(e);
      line(last, p, e.pressure);
      last = p;
    }
  });
  const end = (event) => {
    if (!drawing) return;
    drawing = false;
    canvas.releasePointerCapture?.(event.pointerId);
    onStroke();
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  // No page scroll or zoom while drawing on touch screens (CSS touch-action: none does the rest).
  canvas.addEventListener("touchmove", (e) => e.preventDefault(), { passive: false });

  clear();

  /** @returns {Promise<Blob>} the drawing as a PNG */
  function toBlob() {
    return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  }

  return { clear, toBlob, hasInk: () => hasInk };
}
