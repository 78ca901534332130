// How the page writes numbers: one rule for every place that shows the same kind of value.

/** Two decimals, without a "-0.00" for a value that rounds to zero. */
export const fixed2 = (v) => (Math.abs(v) < 0.005 ? "0.00" : v.toFixed(2));
