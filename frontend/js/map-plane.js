// A plane of the latent space as the map shows it: two latent dims, or the PCA plane of the
// atlas (z = mean + x c1 + y c2); and the ellipse a 2x2 covariance draws on it.

/** A plane of the latent space: project z to (x, y) and back (null: a PCA plane whose axes, from
 * the atlas, have not come; the map then shows no plane and takes no click). */
export function makePlane(latentDim, view, axes) {
  if (view.plane === "pca" && !axes) return null;
  if (view.plane === "pca") {
    const { mean, components: [c1, c2] } = axes;
    return {
      project: (z) => {
        let x = 0, y = 0;
        for (let i = 0; i < latentDim; i++) {
          x += (z[i] - mean[i]) * c1[i];
          y += (z[i] - mean[i]) * c2[i];
        }
        return [x, y];
      },
      // Move within the plane only: what z has orthogonal to it (14 of 16 dims) stays. The
      // components are orthonormal, so replacing z's own (x, y) by the picked one does that.
      unproject: (x, y, base) => {
        let bx = 0, by = 0;
        for (let i = 0; i < latentDim; i++) {
          bx += (base[i] - mean[i]) * c1[i];
          by += (base[i] - mean[i]) * c2[i];
        }
        return base.map((v, i) => v + (x - bx) * c1[i] + (y - by) * c2[i]);
      },
      // Covariance of diag(sigma^2) seen in the plane: C diag(s2) C^T.
      cov: (s2) => {
        let a = 0, b = 0, d = 0;
        for (let i = 0; i < latentDim; i++) {
          a += c1[i] * c1[i] * s2[i]; b += c1[i] * c2[i] * s2[i]; d += c2[i] * c2[i] * s2[i];
        }
        return [a, b, d];
      },
    };
  }
  const [i, j] = view.dims;
  return {
    project: (z) => [z[i], z[j]],
    unproject: (x, y, base) => {
      const z = [...base];
      z[i] = x;
      z[j] = y;
      return z;
    },
    cov: (s2) => [s2[i], 0, s2[j]],
  };
}

/** Semi-axes and angle (radians) of the ellipse of a 2x2 covariance [a, b; b, d]. */
export function ellipse([a, b, d]) {
  const t = (a + d) / 2, r = Math.sqrt(((a - d) / 2) ** 2 + b * b);
  return { rx: Math.sqrt(t + r), ry: Math.sqrt(Math.max(t - r, 0)), angle: 0.5 * Math.atan2(2 * b, a - d) };
}
