// q(z|x) is a distribution: 16 samples z = mu + sigma * eps of the encoded drawing, shown as dots
// on the map (inside its ellipse) and as a strip of their decodings, drawn again on request.
//
// q(z|x) up close: for a clear digit sigma is a few hundredths, a few pixels on the map, so the
// cloud the teaching text talks about would be invisible there. This view centres on mu and
// scales to the cloud (the map's plane, +-3 of its widest sigma), with the same 1- and 2-sigma
// ellipses and the same samples as the map, and says how much smaller than the prior the cloud is.
//
// One module for both views of q(z|x): every module is one more request on the way to the first
// digit (over HTTP/1.1 the browser fetches six at a time).

import { gaussian } from "./latent-paths.js";
import { SIGMA_STYLES } from "./latent-map.js";
import { ellipse } from "./map-plane.js";
import { posteriorName } from "./model-notes.js";
import { fillNouns } from "./nouns.js";
import { showThumbs, sigmaText } from "./thumbs.js";

const POSTERIOR_SAMPLES = 16;
// A dim whose σ is above this is taken as left at the prior's 1 (the rule of the σ line under
// the drawing, encode-view.js's spread).
const AT_PRIOR = 0.9;
// Below this the cloud is "small" beside the prior's circles; up to AT_PRIOR only "narrower".
const SMALL = 0.5;
// Below this (every dim) the samples decode to what reads as one image.
const ALIKE = 0.25;

/**
 * The Draw explanation's sentence on the cloud's size, from this drawing's σ: it said "The cloud
 * is small beside the prior's circles" on every model, also on a β-VAE whose σ are mostly ~1
 * (page pass 18).
 * @param {number[]} sigma q(z|x)'s σ, one per dim
 */
export function cloudSize(sigma) {
  const wide = sigma.filter((v) => v > AT_PRIOR).length;
  const most = sigmaText(Math.max(...sigma));
  if (wide === 0) {
    return `This drawing's cloud is ${Number(most) < SMALL ? "small beside" : "narrower than"} the ` +
      `prior's circles (σ at most ${most}, the prior's is 1; the zoomed view under the samples ` +
      "shows it).";
  }
  if (wide === sigma.length) {
    return "This drawing's cloud is about as wide as the prior's circles in every dim (σ above " +
      `${AT_PRIOR}): the encoder hardly places it.`;
  }
  const least = sigmaText(Math.min(...sigma));
  return `This drawing's cloud is about as wide as the prior's circles in ${wide} of its ` +
    `${sigma.length} dims (σ above ${AT_PRIOR}): there the encoder places it hardly more closely ` +
    `than the prior does; the other ${sigma.length - wide} place it closely (σ down to ${least}).`;
}

/**
 * @param {{root: HTMLElement, strip: HTMLElement, again: HTMLButtonElement, note: HTMLElement}} els
 * @param {{onDots: (zs: number[][]) => void, onError: (err: Error) => void, onOk: () => void,
 *          images: (zs: number[][], labels: number[] | null) => Promise<string[]>}} handlers
 *   `images` decodes the samples (decode-source.js: in the browser, or on the server)
 */
export function createPosteriorSamples({ root, strip, again, note }, { onDots, images, onError, onOk }) {
  let current = null; // {modelId, mu, logvar, label}
  let token = 0; // a newer drawing (or a clear) wins over a late answer

  /** Sample 16 z from q(z|x), show them on the map, then decode them into the strip. */
  async function draw() {
    if (!current) return;
    const mine = ++token;
    const { mu, logvar, label } = current;
    const sigma = logvar.map((v) => Math.exp(v / 2));
    const zs = Array.from({ length: POSTERIOR_SAMPLES }, () => mu.map((m, d) => m + sigma[d] * gaussian()));
    onDots(zs);
    try {
      const labels = label === null ? null : Array(zs.length).fill(label);
      const decoded = await images(zs, labels);
      if (mine !== token) return;
      showThumbs(strip, decoded, null, (k) => `the drawing's posterior sample ${k + 1}, decoded`);
      root.dataset.count = String(decoded.length);
      onOk(); // a failure said earlier is mended (review: it came back after a later one was)
    } catch (err) {
      if (mine === token) onError(err); // not a failure about a drawing no longer shown
    }
  }

  /**
   * A new encoding: sample from it (a model without logvar has no distribution to sample).
   * @param {object} model the entry of /api/models that encoded the drawing
   */
  function set(model, mu, logvar, label) {
    token += 1;
    current = logvar ? { modelId: model.id, mu, logvar, label } : null;
    root.hidden = false;
    again.disabled = !current;
    again.hidden = !current;
    // An AE's heading must not promise what its note then denies.
    const heading = root.querySelector("h3");
    // PPCA's posterior is exact: the heading names it as the sentence below does (page pass 12).
    const q = posteriorName(model);
    if (heading) heading.textContent = current ? `${q} is a distribution` : "z(x) is a point";
    strip.replaceChildren();
    onDots([]);
    // A linear Gaussian model's posterior is exact: the contrast with a VAE's learned q is the lesson.
    const exact = model.capabilities.exact_posterior
      ? " Here it is the exact posterior p(z|x), found in closed form (the model is linear and " +
        "Gaussian); a VAE's encoder can only learn an approximation of its own."
      : "";
    // A clear drawing's cloud on the 2-d VAE (σ ~0.08) decodes to 16 copies of one digit, under
    // a heading that says it is a distribution (page pass 25): said why, and where to see it.
    const most = current ? Math.max(...current.logvar.map((v) => Math.exp(v / 2))) : 0;
    const alike = current && most < ALIKE
      ? ` With σ at most ${sigmaText(most)} they look alike: the cloud is small beside how far z ` +
        "moves to change the {item} (the zoomed view below shows it)."
      : "";
    note.textContent = current
      ? fillNouns(`16 samples z = μ + σ·ε, ε ~ N(0, I), from ${q}: the dots on the map and ` +
                  `their {items}.${alike}${exact}`, model)
      : "This model encodes to a single point z(x): there is no q(z|x) to sample from.";
    draw();
  }

  /** Forget the drawing (model switch, clear). */
  function clear() {
    token += 1;
    current = null;
    root.hidden = true;
    strip.replaceChildren();
    onDots([]);
  }

  again.addEventListener("click", draw);
  return { set, clear };
}

// ---- q(z|x) up close ---------------------------------------------------------------------------

const SVG_NS = "http://www.w3.org/2000/svg";
const SIZE = 160;

/** @param {SVGSVGElement} svg @param {HTMLElement} caption */
export function createPosteriorCloud(svg, caption) {
  svg.setAttribute("viewBox", `0 0 ${SIZE} ${SIZE}`);
  let frame = null; // {plane, mu (projected), e (ellipse), half (z units), q, dims (of z)}

  const node = (name, attrs) => {
    const n = document.createElementNS(SVG_NS, name);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
    return n;
  };
  const toPx = ([x, y]) => [SIZE / 2 + ((x - frame.mu[0]) / frame.half) * (SIZE / 2),
                            SIZE / 2 - ((y - frame.mu[1]) / frame.half) * (SIZE / 2)];

  /**
   * A new encoding on the map's plane (null hides the view: no drawing, or no distribution).
   * @param {{project: Function, cov: Function} | null} plane @param {number[]} mu @param {number[] | null} logvar
   * @param {string} [q] how the posterior is written for this model ("q(z|x)", "q(z|x,y)")
   */
  function set(plane, mu, logvar, q = "q(z|x)") {
    svg.parentElement.hidden = !(plane && logvar);
    if (!plane || !logvar) {
      frame = null;
      svg.replaceChildren();
      return;
    }
    const e = ellipse(plane.cov(logvar.map((v) => Math.exp(v))));
    frame = { mu: plane.project(mu), e, half: 3 * Math.max(e.rx, 1e-6), plane, q, dims: mu.length };
    svg.setAttribute("aria-label", `${q} zoomed in: its 1σ and 2σ ellipses and the 16 samples`);
    show([]);
  }

  /** "12× wider", "1.8× wider", "about as wide": the prior's sigma (1) against the cloud's. */
  function compared(sigma) {
    const times = 1 / Math.max(sigma, 1e-6);
    const ratio = (r) => (r >= 10 ? r.toFixed(0) : r.toFixed(1));
    if (times >= 1.5) return `${ratio(times)}× wider.`;
    return times > 1 / 1.5 ? "about as wide." : `${ratio(1 / times)}× narrower.`;
  }

  /** Draw the ellipses and these samples of q(z|x), in a square that holds them all. */
  function show(zs) {
    if (!frame) return;
    // +-3 sigma holds nearly every sample; the rare one past it widens the square.
    const reach = zs.map((z) => Math.max(...frame.plane.project(z).map((v, i) => Math.abs(v - frame.mu[i]))));
    frame.half = Math.max(3 * Math.max(frame.e.rx, 1e-6), ...reach.map((r) => 1.1 * r));
    // The ratio is of the σ as printed, so that "σ is 0.07 ... 15× wider" cannot happen.
    const sigma = sigmaText(frame.e.rx);
    caption.textContent = `Zoomed in on ${frame.q}: the square is μ ± ${frame.half.toFixed(2)} on ` +
      `the map's plane. Its widest σ on this plane is ${sigma}; the prior's σ is 1, ` +
      compared(Number(sigma)) + (frame.dims > 2 ? " Other dims may be wider: see σ under the drawing." : "");
    const [cx, cy] = toPx(frame.mu);
    const scale = SIZE / 2 / frame.half;
    const rotate = `rotate(${(-frame.e.angle * 180) / Math.PI} ${cx} ${cy})`;
    const rings = [2, 1].map((n) => node("ellipse", {
      cx, cy, rx: n * frame.e.rx * scale, ry: Math.max(n * frame.e.ry * scale, 0.5), transform: rotate,
      ...SIGMA_STYLES[n],
    }));
    const dots = zs.map((z) => {
      const [px, py] = toPx(frame.plane.project(z));
      return node("circle", { cx: px, cy: py, r: 3, fill: "#fff", stroke: "#0b5d85", "stroke-width": 1 });
    });
    svg.replaceChildren(node("rect", { width: SIZE, height: SIZE, fill: "#111" }), ...dots, ...rings,
                        node("circle", { cx, cy, r: 2.5, fill: "#5cc8ff" }));
    svg.dataset.count = String(zs.length);
  }

  return { set, show };
}
