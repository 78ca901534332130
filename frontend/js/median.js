// One median for the page: the class keys' centres (class-keys.js) and the decode latency's
// typical figure (decoded-view.js) had each their own, and the latter took the upper middle of
// an even count.

/**
 * The median of `values` (a copy is sorted; the mean of the two middle values for an even count).
 * @param {number[]} values not empty
 * @returns {number}
 */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
