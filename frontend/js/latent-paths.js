// Points of the latent space the page makes itself, as the server's model/latent.py makes them:
// draws from the prior N(0, I) and paths between two codes (a line or a great circle). The
// decoder in the browser (decode-source.js) and the posterior's cloud (posterior-views.js) use them.

/** A standard normal number (Box-Muller). */
export function gaussian(uniform = Math.random) {
  const u = 1 - uniform();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
}

/** The largest seed a link may carry: mulberry32's state is 32 bits. */
export const MAX_SEED = 2 ** 32 - 1;
/** A fresh seed, of five digits at most: a link stays short, and 100,000 sets of samples are many. */
export const newSeed = () => Math.floor(Math.random() * 100_000);

/**
 * Uniforms in [0, 1) from a seed (mulberry32): the same seed gives the same samples in every
 * browser and on the server's decode too, so a link can carry the samples a teacher saw (page
 * pass 25: a shared link showed other samples). Not for anything secret.
 * @param {number} seed an integer in 0..MAX_SEED
 * @returns {() => number}
 */
export function seededUniform(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * steps latents from a to b inclusive, as model/latent.py's `interpolate`: a line, or slerp
 * (the direction along a great circle, the norm moving evenly from |a| to |b|), which falls
 * back to a line for ends at the origin or parallel.
 * @param {number[]} a @param {number[]} b @param {number} steps @param {"linear"|"slerp"} method
 * @returns {number[][]}
 */
export function interpolatePath(a, b, steps, method) {
  const ts = Array.from({ length: steps }, (_, i) => (steps === 1 ? 0 : i / (steps - 1)));
  const line = () => ts.map((t) => a.map((v, d) => (1 - t) * v + t * b[d]));
  if (method !== "slerp") return line();
  const norm = (v) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  const na = norm(a), nb = norm(b);
  if (na < 1e-8 || nb < 1e-8) return line();
  const cos = a.reduce((s, v, d) => s + (v / na) * (b[d] / nb), 0);
  const omega = Math.acos(Math.min(1, Math.max(-1, cos)));
  if (Math.abs(omega) < 1e-6) return line();
  if (Math.PI - omega < 1e-3) return slerpOpposite(a, b, ts, omega, na, nb);
  const so = Math.sin(omega);
  return ts.map((t) => {
    const radius = (1 - t) * na + t * nb;
    const wa = Math.sin((1 - t) * omega) / so / na, wb = Math.sin(t * omega) / so / nb;
    return a.map((v, d) => radius * (wa * v + wb * b[d]));
  });
}

/** Slerp for (nearly) opposite ends, as model/latent.py's `_slerp_opposite`: sin(omega) ~ 0, so
 * go round the great circle in the plane of a and b's part orthogonal to a, or, for exact
 * antipodes, of a and the latent axis least aligned with a (the first on ties). */
function slerpOpposite(a, b, ts, omega, na, nb) {
  const aHat = a.map((v) => v / na);
  const dot = (x, y) => x.reduce((s, v, d) => s + v * y[d], 0);
  const bHat = b.map((v) => v / nb);
  let u = bHat.map((v, d) => v - dot(bHat, aHat) * aHat[d]);
  if (Math.sqrt(dot(u, u)) < 1e-6) {
    const axis = aHat.reduce((best, v, d) => (Math.abs(v) < Math.abs(aHat[best]) ? d : best), 0);
    u = aHat.map((_, d) => (d === axis ? 1 : 0));
    u = u.map((v, d) => v - dot(u, aHat) * aHat[d]);
  }
  const nu = Math.sqrt(dot(u, u));
  u = u.map((v) => v / nu);
  return ts.map((t) => {
    const radius = (1 - t) * na + t * nb;
    return aHat.map((v, d) => radius * (Math.cos(t * omega) * v + Math.sin(t * omega) * u[d]));
  });
}
