// The map's legend: each class's colour, the same the map's dots are drawn in.

import { inkOn } from "./class-keys.js";

export const LABEL_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                             "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f", "#17becf"];

/**
 * Fill `legend` with one swatch per class. `keys`: each class is numbered on the map too (not
 * for a conditional model, whose dots of every label share one cloud: ten numbers stacked at its
 * middle said nothing); a name that is not that number (a Fashion class) then carries it in its
 * swatch, so the two can be matched without the hue.
 * @param {HTMLElement} legend @param {string[]} classNames @param {boolean} keys
 */
export function fillLegend(legend, classNames, keys) {
  legend.replaceChildren(...classNames.map((name, k) => {
    const s = document.createElement("span");
    s.style.setProperty("--c", LABEL_COLORS[k % 10]);
    if (keys && name !== String(k)) {
      s.dataset.key = String(k);
      s.style.setProperty("--ink", inkOn(LABEL_COLORS[k % 10]));
    }
    s.textContent = name;
    return s;
  }));
}
