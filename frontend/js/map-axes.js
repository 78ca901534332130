// The latent map's axes: ticks and numbers on the left and bottom edges, the axis names, and the
// model's own default range (from its atlas, so that ~99% of the test points are visible).

const SVG_NS = "http://www.w3.org/2000/svg";
const TICK = 8; // px, in the 560-unit viewBox
const VISIBLE_SHARE = 0.99; // the default range shows this share of the test points

/**
 * The half-width of the square about 0 that holds `share` of the points (both coordinates).
 * @param {number[][]} points @param {number} [share] @returns {number}
 */
export function visibleExtent(points, share = VISIBLE_SHARE) {
  const extent = points.map(([x, y]) => Math.max(Math.abs(x), Math.abs(y))).sort((a, b) => a - b);
  return extent[Math.min(extent.length - 1, Math.floor(share * extent.length))];
}

/**
 * A range that shows `share` of the points (both coordinates inside ±range), rounded up to a
 * number people read easily: halves below 10, fives below 100, tens above.
 * @param {number[][]} points atlas points on the map's plane
 * @param {number} [share]
 * @returns {number}
 */
export function defaultRange(points, share = VISIBLE_SHARE) {
  if (!points || !points.length) return 3;
  const r = visibleExtent(points, share);
  if (r < 10) return Math.max(0.5, Math.ceil(2 * r) / 2);
  if (r < 100) return Math.ceil(r / 5) * 5;
  return Math.ceil(r / 10) * 10;
}

/** The ranges offered for every model (a VAE's codes fit in ±3 to ±4). */
const STANDARD_RANGES = [2, 3, 4, 5];

/**
 * The range choices: the standard ones, the model's own, and for a wide model (an AE) half and
 * double its own; `extra` (a link's range) joins them.
 * @param {number} range the model's own
 * @param {number | null} [extra]
 * @returns {number[]} sorted
 */
export function rangeChoices(range, extra = null) {
  const wide = range > Math.max(...STANDARD_RANGES) ? [range / 2, range * 2] : [];
  const all = [...STANDARD_RANGES, range, ...wide, ...(extra ? [extra] : [])];
  return [...new Set(all.map((v) => Number(v.toPrecision(3))))].sort((a, b) => a - b);
}

/** A tick spacing of 1, 2 or 5 times a power of ten giving about six ticks across 2 * range. */
function tickStep(range) {
  const raw = (2 * range) / 6;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  return step;
}

/**
 * @param {SVGSVGElement} svg an overlay with viewBox "0 0 560 560", above the map's canvas
 * @returns {{update: (opts: {range: number, xLabel: string, yLabel: string}) => void}}
 */
export function createMapAxes(svg) {
  const size = Number(svg.viewBox.baseVal.width) || 560;
  svg.dataset.testid = "map-axes";

  function add(name, attrs, text = null) {
    const node = document.createElementNS(SVG_NS, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (text !== null) node.textContent = text;
    svg.append(node);
    return node;
  }

  /** Redraw for a range (±range on both axes) and the names of the two axes. */
  function update({ range, xLabel, yLabel }) {
    svg.replaceChildren();
    const step = tickStep(range);
    const toPx = (v) => ((v + range) / (2 * range)) * size;
    const digits = step < 1 ? String(step).split(".")[1].length : 0;
    for (let v = Math.ceil(-range / step) * step; v <= range + 1e-9; v += step) {
      const p = toPx(v);
      const label = Math.abs(v) < 1e-9 ? "0" : v.toFixed(digits);
      add("line", { x1: p, x2: p, y1: size, y2: size - TICK, class: "tick" });
      add("line", { x1: 0, x2: TICK, y1: size - p, y2: size - p, class: "tick" });
      if (p > 14 && p < size - 14) {
        add("text", { x: p, y: size - TICK - 5, "text-anchor": "middle", class: "tick-x" }, label);
        add("text", { x: 3, y: size - p - 5, class: "tick-y" }, label); // above its tick
      }
    }
    add("text", { x: size - 6, y: size - TICK - 26, "text-anchor": "end", class: "axis-name",
                  "data-testid": "axis-x" }, `${xLabel} →`);
    // Top right: on a phone the small copy of the digit sits in the top-left corner.
    add("text", { x: size - 6, y: 24, "text-anchor": "end", class: "axis-name",
                  "data-testid": "axis-y" }, `↑ ${yLabel}`);
  }

  return { update };
}
