// One median for the page: the class keys' centres (class-keys.js) and the decode latency's
// typical figure (decoded-view.js) had each their own, and the latter took the upper middle of
// an even count. Quartiles by the same rule (linear between the two nearest ranks).

/**
 * The median of `values` (a copy is sorted; the mean of the two middle values for an even count).
 * @param {number[]} values not empty
 * @returns {number}
 */
export function median(values) {
  return quantile(values, 0.5);
}

/**
 * The q-quantile of `values` (0 <= q <= 1), between the two nearest ranks.
 * @param {number[]} values not empty @param {number} q
 * @returns {number}
 */
export function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = q * (sorted.length - 1);
  const low = Math.floor(at);
  const high = Math.min(low + 1, sorted.length - 1);
  return sorted[low] + (at - low) * (sorted[high] - sorted[low]);
}
