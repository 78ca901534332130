// A drawing in nats: the ELBO's two terms as one stacked bar, the importance-weighted NLL, where
// it falls among the test images, and (for models with more than two dims) the KL of each dim.

import { givenLabel } from "./model-notes.js";
import { fillNouns } from "./nouns.js";

const EXTREME_PERCENTILE = 99; // past this the drawing is unlike the training images

/** @param {string} tag @param {object} props @param {(Node|string)[]} children */
function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "style") Object.assign(node.style, v);
    else if (k.startsWith("data-") || k.startsWith("aria-") || k === "role") node.setAttribute(k, v);
    else node[k] = v;
  }
  node.append(...children);
  return node;
}

/** What a conditional model scores is the likelihood given the label: p(x|y), not p(x). */
const pOfX = (model) => (givenLabel(model) ? "p(x|y)" : "p(x)");

/**
 * What the percentile says, in words; the extreme ends get the lesson.
 * @param {number | null | undefined} p
 * @param {object} model an entry of /api/models (its data set names the images)
 */
export function percentileMessage(p, model) {
  if (p === null || p === undefined) return "";
  // One decimal, but never "100.0%" nor "0.0%": a share of a finite test set that reads as all of it.
  const share = (v) => (v >= 99.95 ? "over 99.9" : v.toFixed(1));
  if (p >= EXTREME_PERCENTILE) {
    // A model told the label scores the drawing as that label: a good drawing under a wrong
    // label lands here too, and the lesson must not blame the drawing for it (page pass 5).
    const { conditional, infers_label: infers } = model.capabilities;
    if (conditional && !infers) {
      return fillNouns(`Less likely than ${share(p)}% of the test {items}, given their labels: ` +
        "as the label you chose, this does not look like what the model was trained on. Is it " +
        "the right label? A clear drawing encoded as the wrong one scores like this.", model);
    }
    return fillNouns(`Less likely than ${share(p)}% of the test {items}: this does not look ` +
      "like the {items} the model was trained on (the model's own way of saying \"that is not " +
      "{an item}\").", model);
  }
  if (p <= 100 - EXTREME_PERCENTILE) {
    return fillNouns(`More likely than ${share(100 - p)}% of the test {items}: a ` +
      "likelihood favours simple images with few pixels on, which are cheap to describe.", model);
  }
  // Rounded down: 98.7 must not read "99%" beside the extreme message that starts at 99.
  return fillNouns(`Within the range of the test {items}: ${Math.floor(p)}% of the test {items} ` +
    `have a lower −log ${pOfX(model)} (are more likely under the model).`, model);
}

/**
 * A model trained with its KL weighted (β-VAE): the bar is the plain ELBO, not what training
 * minimised (page pass 20: "99.8 + 3.5" beside a loss that was 99.8 + 35).
 * @param {object} model @param {number} rec reconstruction and @param {number} shownKl the KL, in
 * tenths of a nat, as the bar prints them @param {number} kl the KL in nats (β times the printed
 * KL showed false precision: review; so the KL multiplied is shown, page pass 21)
 * @returns {HTMLElement[]}
 */
function betaNote(model, rec, shownKl, kl) {
  const beta = model.kl_weight ?? 1;
  if (beta === 1) return [];
  const printedKl = Number(kl.toFixed(2)); // the factor as printed: β × 3.425 read "10 × 3.42 =
  // 34.3" (page pass 26)
  const weightedKl = Math.round(10 * beta * printedKl); // tenths, so that the printed sum adds up
  const tenths = (v) => (v / 10).toFixed(1);
  // The −ELBO's own sum named after the objective's: "that sum" read as the objective's (pass 21).
  return [h("p", { className: "muted", "data-testid": "elbo-beta" },
    `Trained with β = ${beta}: it minimised reconstruction + ${beta} × KL (here ` +
    `${tenths(rec)} + ${beta} × ${printedKl.toFixed(2)} = ${tenths(rec)} + ${tenths(weightedKl)} = ` +
    `${tenths(rec + weightedKl)}). The bar counts KL once: ${tenths(rec)} + ${tenths(shownKl)} = ` +
    `${tenths(rec + shownKl)} is the −ELBO, the bound on −log ${pOfX(model)}.`)];
}

/**
 * The KL against N(0, I) in its two parts, for the cloud shown: where it sits, ½|μ|², and its
 * width, Σ ½(σ² − 1 − ln σ²) (paid for σ under the prior's 1, as a drawing's nearly always is,
 * or over it). "How far the cloud moved" read as the first alone, and for a drawn 7 most of its
 * 7.6 nats were the second (page pass 29). The parts as printed add up to the total printed, as
 * the bar's do.
 */
function klSplit(body, model) {
  const caps = model.capabilities;
  if (!caps.standard_normal_prior || caps.stacked || !body.logvar || !body.mu) return [];
  const where = body.mu.reduce((a, m) => a + (m * m) / 2, 0);
  const width = body.logvar.reduce((a, lv) => a + (Math.exp(lv) - 1 - lv) / 2, 0);
  const [shownWhere, shownTotal] = [where, where + width].map((v) => Math.round(10 * v));
  return [h("p", { className: "muted", "data-testid": "kl-split" },
    `A KL against the prior counts two things: for the cloud shown (the gray image's, so a ` +
    `little off the bar's), its centre's distance from 0 costs ½|μ|² = ` +
    `${(shownWhere / 10).toFixed(1)} nats, and its width (σ away from the prior's 1, here ` +
    `${body.logvar.every((lv) => lv < 0) ? "narrower" : "not narrower everywhere"}) ` +
    `Σ ½(σ² − 1 − ln σ²) = ${((shownTotal - shownWhere) / 10).toFixed(1)}; together ` +
    `${(shownTotal / 10).toFixed(1)}.`)];
}

/**
 * The largest per-dim KLs and how many dims carry almost none of this drawing (< 0.1 nat: at the
 * prior), beside the model's active units: those are counted over the whole test set (page pass
 * 11: "12 of 16 flat" for one drawing read as contradicting the β-VAE's 8 active units).
 */
function klSummary(perDim, model) {
  const top = perDim.map((v, d) => [v, d]).sort((a, b) => b[0] - a[0]).slice(0, 3);
  const idle = perDim.filter((v) => v < 0.1).length;
  const active = model.metrics.active_units;
  const overall = active == null ? "" : ` Over the test set ${active} of ${perDim.length} are ` +
    "active units (their mean code varies from image to image): a dim one drawing leaves flat " +
    "can carry another.";
  return `Largest: ${top.map(([v, d]) => `z${d} ${v.toFixed(2)}`).join(", ")}; ` +
    `${idle} of ${perDim.length} dims carry under 0.1 nat of this drawing (q nearly N(0, 1) ` +
    `there).${overall}`;
}

/**
 * @param {HTMLElement} root the panel part (data-testid="elbo"): the bar, its terms, the percentile
 * @param {HTMLElement} klRoot the per-dimension KL bars (data-testid="kl-per-dim")
 * @param {{more: HTMLDetailsElement, summary: HTMLElement, detail: HTMLElement}} fold what is
 *   folded under the bar (the bound, β's objective, each dim's KL), its summary and its words
 */
export function createElboBar(root, klRoot, { more, summary, detail }) {
  /** Hide everything (a model switch, or a model without a likelihood). */
  function clear(message = "") {
    root.replaceChildren(message ? h("p", { className: "muted" }, message) : "");
    root.hidden = !message;
    klRoot.replaceChildren();
    klRoot.hidden = true;
    detail.replaceChildren();
    more.hidden = true;
  }

  /** Show the nats of an /encode answer (its elbo, nll, percentile and kl_per_dim) by `model`. */
  function show(body, model) {
    const { reconstruction, kl, negative_elbo: total } = body.elbo;
    // The sum as shown must add up: the total and KL to one decimal, reconstruction their
    // difference (each still within 0.05 of its own value, give or take a rounding).
    const [shownTotal, shownKl] = [total, kl].map((v) => Math.round(10 * v));
    // Each is an estimate (the NLL importance-weighted): the gap can come out a hair below 0.
    // It is the difference of the two numbers as printed, so that the reader's sum agrees.
    const shownNll = Math.round(10 * body.nll);
    const gap = (shownTotal - shownNll) / 10;
    // The ELBO's KL is the closed form, the IW bound's weights use the sampled z: when the true
    // gap is under ~0.1 nat their noise can print the NLL at or above the −ELBO (2 in 100 clean
    // digits, page pass 7), and "at least 0.0 nats" beside a larger −log p read as a contradiction.
    const gapNote = gap > 0 ? `at least ${gap.toFixed(1)} nats here`
      : "too small to measure here: the two estimates agree within their noise, so the encoder's " +
        "cloud is as close to the true posterior as k samples can tell";
    const share = (v) => `${((100 * v) / total).toFixed(1)}%`;
    root.replaceChildren(
      h("div", { className: "elbo-bar", "data-testid": "elbo-bar" },
        h("span", { className: "rec", style: { width: share(reconstruction) },
                    title: `reconstruction: E_q[−log p(x|z${givenLabel(model)})]` }),
        h("span", { className: "kl", style: { width: share(kl) },
                    title: `KL(q(z|x${givenLabel(model)}) ‖ p(z))` })),
      h("p", { className: "elbo-terms" },
        h("span", { className: "key rec" }), "reconstruction ",
        h("span", { "data-testid": "elbo-rec" }, ((shownTotal - shownKl) / 10).toFixed(1)), " + ",
        h("span", { className: "key kl" }), "KL ",
        h("span", { "data-testid": "elbo-kl" }, (shownKl / 10).toFixed(1)), " = −ELBO ",
        h("span", { "data-testid": "elbo-total" }, (shownTotal / 10).toFixed(1)), " nats",
        // Said where it differs from the API's number rounded (77.53 shown as 77.6: page pass 25).
        Math.round(10 * reconstruction) === shownTotal - shownKl ? "" : h("span",
          { className: "muted", "data-testid": "elbo-rounding" },
          ` (reconstruction as their difference, so that the sum adds up; on its own ` +
          `${reconstruction})`)),
      h("p", { className: body.percentile >= EXTREME_PERCENTILE ? "extreme" : "muted",
               "data-testid": "elbo-percentile" }, percentileMessage(body.percentile, model)),
    );
    root.hidden = false;
    const beta = betaNote(model, shownTotal - shownKl, shownKl, kl);
    const perDim = body.kl_per_dim || [];
    // What the fold holds, named on it: a reader who never opens it knows what it keeps.
    const split = klSplit(body, model);
    summary.textContent = `More on these nats: the bound on −log ${pOfX(model)}` +
      (beta.length ? ", β's objective" : "") + (split.length ? ", the KL's two parts" : "") +
      (perDim.length > 2 ? ", each dim's KL" : "");
    more.hidden = false;
    detail.replaceChildren(
      ...beta,
      h("p", { className: "muted", "data-testid": "elbo-gap" },
        `−log ${pOfX(model)} ≈ ${(shownNll / 10).toFixed(1)} nats (importance-weighted, k=${body.nll_k}). ` +
        "The −ELBO is an upper bound on it; the gap is " +
        `KL(q(z|x${givenLabel(model)}) ‖ p(z|x${givenLabel(model)})), how far the encoder's cloud ` +
        `is from the true posterior: ${gapNote} (the −log p shown is ` +
        "itself estimated from above). Both score the image (drawn or uploaded) thresholded at 0.5 (a likelihood of " +
        "0/1 pixels); the cloud shown is that of the gray image, so its KL differs a little."),
      ...split,
    );
    klRoot.hidden = perDim.length <= 2;
    if (klRoot.hidden) return;
    const top = Math.max(...perDim, 1e-9);
    const values = perDim.map((v, d) => `z${d}: ${v.toFixed(2)}`).join(", ");
    // The line above counts σ over 0.9 only where there are some (encode-view.js, spread): with
    // none, this pointed at a count nobody saw (page pass 24).
    const counted = (body.logvar || []).some((v) => Math.exp(v / 2) > 0.9);
    const aside = counted ? " (The line above counts σ over 0.9 on the gray drawing; the count " +
      "below is for the thresholded one, so the two can differ by a dim.)" : "";
    klRoot.replaceChildren(
      // Of the thresholded drawing, as the bar; the σ of the line above are the gray one's, and
      // their counts could differ by a dim unexplained (page pass 20).
      h("p", { className: "muted" }, "KL per latent dim (nats), of the drawing thresholded at " +
        "0.5 as the bar scores it: tall bars are the dims that carry this drawing; flat ones it " +
        `leaves at the prior.${aside}`),
      // The numbers as text too: a bar's title is hover-only, out of reach of a finger or a
      // screen reader (page pass 8).
      h("p", { className: "muted", "data-testid": "kl-summary" }, klSummary(perDim, model)),
      h("div", { className: "kl-dims", role: "img", "aria-label": `KL per dim in nats: ${values}` },
        ...perDim.map((v, d) =>
        h("div", { className: "kl-dim", title: `z${d}: ${v.toFixed(2)} nats` },
          h("span", { style: { height: `${((100 * v) / top).toFixed(1)}%` } }),
          h("small", {}, String(d))))),
    );
  }

  return { show, clear };
}
