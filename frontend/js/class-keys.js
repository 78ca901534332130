// Each class's key written on the map at the middle of its cloud of dots: the legend told the
// classes apart by hue alone (page pass 22), which a reader who does not see those ten hues
// apart could not use, and "where are the 4s?" took a search of the legend's colours.

import { median, quantile } from "./median.js";

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * Where each class's dots are centred: the coordinate-wise median (a mean is pulled off its
 * cloud by the few items coded far away), and the middle half of their heights (yLow..yHigh,
 * the quartiles), where a key moved apart from another may still stand. Classes with no dot
 * are left out.
 * @param {number[][]} points on the map's plane @param {number[]} labels
 * @returns {{label: number, x: number, y: number, yLow: number, yHigh: number}[]}
 */
export function classCentres(points, labels) {
  const byClass = new Map();
  labels.forEach((label, k) => {
    if (!byClass.has(label)) byClass.set(label, []);
    byClass.get(label).push(points[k]);
  });
  return [...byClass.keys()].sort((a, b) => a - b).map((label) => {
    const own = byClass.get(label);
    const ys = own.map((p) => p[1]);
    return { label, x: median(own.map((p) => p[0])), y: median(ys),
             yLow: quantile(ys, 0.25), yHigh: quantile(ys, 0.75) };
  });
}

// A key's box in viewBox pixels (one digit at font-size 28, bold): keys closer than this overlap.
const KEY_W = 20, KEY_H = 26;

/**
 * Keys moved apart where they would overlap: two classes centred close together (MNIST's 3 and
 * 5 on the 2-d VAE) wrote one number, "53". Each overlapping pair is pushed apart vertically,
 * half the overlap each, a few times over (ten keys: a handful of pairs at most).
 * @param {{label: number, at: number[]}[]} keys @returns the same keys, moved
 */
export function apart(keys) {
  const moved = keys.map(({ label, at }) => ({ label, at: [...at] }));
  for (let round = 0; round < 10; round++) {
    let clash = false;
    for (let i = 0; i < moved.length; i++) {
      for (let j = i + 1; j < moved.length; j++) {
        const [a, b] = [moved[i].at, moved[j].at];
        if (Math.abs(a[0] - b[0]) >= KEY_W || Math.abs(a[1] - b[1]) >= KEY_H) continue;
        clash = true;
        const push = (KEY_H - Math.abs(a[1] - b[1])) / 2 + 0.5;
        const up = a[1] <= b[1] ? -1 : 1; // the higher one goes up
        a[1] += up * push;
        b[1] -= up * push;
      }
    }
    if (!clash) break;
  }
  return moved;
}

/**
 * Write the keys into `layer` (an SVG group): the class's number, in its dots' colour on a dark
 * edge. Keys whose centre is off the shown square are left out, and so are keys that, moved
 * apart from others, would stand outside the middle half of their own dots: their classes'
 * middles lie closer together than a number's height, and the numbers stacked in a column (a
 * β-VAE's switched-off dims: every class within ±0.04 of 0, the keys from +0.15 to -0.17, in an
 * order by class the dots do not have; page pass 25).
 * @param {SVGGElement} layer
 * @param {{label: number, x: number, y: number, yLow?: number, yHigh?: number}[]} centres
 * @param {(xy: number[]) => number[]} toPx plane -> viewBox pixels
 * @param {number} size the viewBox's side
 * @param {string[]} colors one per class
 * @returns {{unnumbered: number[], shown: number}} the classes left out for being too close to
 *   others, and how many centres lie on the square
 */
export function drawClassKeys(layer, centres, toPx, size, colors) {
  // Centres off the square are left out; keys moved apart are kept within it (pushed past its
  // edge, a key was dropped without a word: review 17).
  const inside = centres.map((c) => ({ ...c, at: toPx([c.x, c.y]) }))
    .filter(({ at: [px, py] }) => px >= 0 && py >= 0 && px <= size && py <= size);
  const placed = apart(inside).map(({ label, at: [px, py] }) => ({
    label, at: [px, Math.min(Math.max(py, KEY_H / 2), size - KEY_H / 2)] }));
  const fits = placed.map(({ at: [, py] }, k) => {
    const { x, y, yLow = y, yHigh = y } = inside[k];
    const [top, bottom] = [toPx([x, yHigh])[1], toPx([x, yLow])[1]]; // pixels grow downwards
    return py >= top - 1 && py <= bottom + 1;
  });
  // One number left among many that could not be written says nothing of where classes lie
  // (among two or three, a number that fits still does).
  if (placed.length >= 5 && fits.filter(Boolean).length <= 1) fits.fill(false);
  layer.replaceChildren(...placed.filter((_, k) => fits[k]).map(({ label, at: [px, py] }) => {
    const text = document.createElementNS(SVG_NS, "text");
    Object.entries({ x: px, y: py, fill: colors[label % colors.length], stroke: "#000",
                     "stroke-width": 4, "paint-order": "stroke", "font-size": 28,
                     "font-weight": 700, "text-anchor": "middle", "dominant-baseline": "central",
                     "data-label": label })
      .forEach(([k, v]) => text.setAttribute(k, String(v)));
    text.textContent = String(label);
    return text;
  }));
  return { unnumbered: placed.filter((_, k) => !fits[k]).map(({ label }) => label),
           shown: placed.length };
}

/**
 * What the map says of classes left unnumbered (drawClassKeys), or "" when none was.
 * @param {{unnumbered: number[], shown: number}} drawn
 * @returns {string}
 */
export function unnumberedNote({ unnumbered, shown }) {
  if (!unnumbered.length) return "";
  const why = "lie closer together than a number's height";
  if (unnumbered.length === shown) {
    return `No class is numbered on this view: their middles ${why}, so every class's dots sit ` +
      "on about the same spot here.";
  }
  if (unnumbered.length === 1) {
    return `Not numbered on this view: ${unnumbered[0]}, whose middle lies closer to another ` +
      "class's than a number's height.";
  }
  return `Not numbered on this view: ${unnumbered.join(", ")}, whose middles ${why}.`;
}

/** Black or white, whichever reads better on `hex` (WCAG's relative luminance; 0.179 is where
 *  the two contrasts cross). */
export function inkOn(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.179 ? "#000" : "#fff";
}
