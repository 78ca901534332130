// Words that depend on what a model declares (its capabilities), never on its kind name: every
// text of the page that follows the model (showModelTexts), the legend's title, the note on a
// model whose range differs from the prior's, the range choices, how its posterior is written.
// What the images are called comes from the data set (model.data.items), as in nouns.js.

import { rangeChoices, visibleExtent } from "./map-axes.js";
import { fillLabelSelect, formatMetric } from "./model-picker.js";
import { applyNouns } from "./nouns.js";
import { classPhrase } from "./thumbs.js";

export const PRIOR_RANGE = 3; // where N(0, I) puts nearly all of its samples, per dim

/** Why a model shows no ELBO bar: its own reason, by what it declares (page pass 5), never by
 *  its kind (review 14: "an autoencoder" and "PCA" stood for a point encoder and an exact
 *  posterior, and a new model declaring either would have been named wrongly). */
export function noLikelihood(model) {
  const c = model.capabilities;
  const why = !c.stochastic ? "its encoder gives a point, not a distribution, so there is no " +
      "density at all, only a reconstruction"
    : model.likelihood === "gaussian" ? "its likelihood is a Gaussian over gray levels, whose nats " +
      "do not compare with a likelihood of binary pixels"
    : c.stacked ? "this model describes another VAE's codes rather than the pixels; it answers " +
      "a drawing with the label it reads instead"
    : "it declares no likelihood";
  return `No ELBO bar for this model: it does not score a drawing by a likelihood of its ` +
    `binary pixels (${why}).`;
}

/** ",y" for a model conditioned on a label (a CVAE scores p(x|y) and encodes q(z|x,y)), else "". */
export const givenLabel = (model) => (model.capabilities.conditional ? ",y" : "");

/** How the posterior is written for this model: PPCA's is exact, p(z|x) (page passes 12, 15:
 *  its zoom still said q(z|x) under a heading of p(z|x)); a VAE's learned one q(z|x) or q(z|x,y). */
export const posteriorName = (model) =>
  `${model.capabilities.exact_posterior ? "p" : "q"}(z|x${givenLabel(model)})`;

/** The legend's title: what the dots are, for this model and plane. */
export function legendTitle(model, plane) {
  const where = model.capabilities.stochastic ? `posterior mean μ(x${givenLabel(model)})` : "code z(x)";
  const onPlane = plane === "pca" ? ", projected on the PCA plane" : "";
  // A 16-d model's classes overlap on any plane, which read as "it did not learn to tell the
  // digits apart" (page pass 24). The dots are projected (every code shown, whatever its other
  // dims); only the background is a slice, through the current z (page pass 25).
  const slice = model.latent_dim > 2 ? ` A plane through ${model.latent_dim} dims: classes ` +
    "kept apart along the other directions can overlap here." : "";
  // The numbers on the map are read with it: each sits where its class's dots are centred.
  // A conditional model's codes are given their labels: every label's dots share one cloud. A
  // model that reads labels itself codes each test item under the label it reads (its own
  // guess, not always the colour's: page pass 25).
  const infers = model.capabilities.infers_label;
  const given = infers ? "given the label it reads (for a misread one, not the colour's)" : "given its label";
  const keys = model.capabilities.conditional
    ? `; ${given}, each is coded by its style alone, so every label's dots share one cloud`
    // "Each" where none is numbered (classes too close together) promised numbers the map does
    // not show (page pass 26); the note under the map says which are left out, and why.
    : "; a label's number, where there is room for it, marks the middle of its dots";
  // Coloured by the test set's labels; an M2 codes each under the one it reads (page pass 27).
  const by = infers ? "coloured by their true label" : "by label";
  return `Dots: the 10,000 test ${model.data.items} at their ${where}${onPlane}, ${by}${keys}.${slice}`;
}

/**
 * What the drawing pad does for a model, when its data set says that pen drawings do not fit
 * MNIST's preprocessing (null when they do: the pad's own text says it then).
 * @param {object} model an entry of /api/models
 * @returns {string | null}
 */
export function padNote(model) {
  if (model.data.drawing === "mnist-digit") return null;
  return `${model.data.title} pictures fill their frame and are not pen strokes, so for this ` +
    "model the pad skips MNIST's crop into a 20×20 box and centring: your drawing is encoded as " +
    "drawn, shrunk to 28×28. Fill the square with a solid shape; a sketch fits loosely.";
}

/**
 * What the drawing explanation says the pad does before encoding, for a model's data set.
 * @param {object} model an entry of /api/models
 * @returns {string}
 */
export function drawPrep(model) {
  return model.data.drawing === "mnist-digit"
    ? "Your drawing or image is cropped, scaled and centred like MNIST (the left image); a small " +
      "drawing is read as if drawn large with the same pen, so its strokes are not blown up with it"
    : "Your drawing or image is shrunk to 28×28 as it is, with no crop or centring (the left image; see " +
      "the note under the pad)";
}

/**
 * Fill the range select with the choices for a model whose own range is `range`; the link's
 * range is selected when there is one, else the model's own.
 * @param {HTMLSelectElement} select
 * @param {number} range
 * @param {number | null} [linkRange]
 */
export function fillRangeSelect(select, range, linkRange = null) {
  // As rangeChoices rounds its values: a link's ±3.14159 matched no option, and the select fell
  // back to its first, ±2 (range pass).
  const chosen = Number((linkRange || range).toPrecision(3));
  select.replaceChildren(...rangeChoices(range, linkRange)
    .map((v) => new Option(String(v), String(v), v === chosen, v === chosen)));
}

/**
 * The note for a plane whose own range is under 1 (±0.5: the prior's 1σ circle falls outside)
 * for a model with the N(0, I) prior: its dims carry little of any image (page pass 20: the
 * β-VAE's z2 × z3 zoomed to ±0.5, its circles and a drawing's cloud out of view, no word why).
 * @param {object} model @param {number[][]} points its atlas on the plane
 * @param {number} range its own range @param {number} shown the range the map shows
 * @returns {string}
 */
function narrowPlaneNote(model, points, range, shown) {
  const r = visibleExtent(points);
  const why = shown === range ? `Why ±${range}?` : `Its codes need only ±${range} (the map shows ` +
    `±${shown}). Why?`;
  return `${why} On this plane the test ${model.data.items}' codes barely move from one to the ` +
    `next (99% lie within ±${r.toFixed(2)}, where the prior spreads over ±2): these dims carry ` +
    `little of any image. A dim the KL has switched off keeps ${posteriorName(model)} at the ` +
    "prior N(0, 1) " +
    "whatever the image, so a drawing's cloud there is as wide as the prior's circles" +
    (shown < 1 ? ", which lie outside this view: pick ±3 to see them." : ".");
}

/**
 * The note under the map on its range. A model without the N(0, I) prior gets one sentence on
 * why its range differs and why samples from N(0, I) are poor (the share of its test codes inside
 * ±3 makes it concrete); one with it, on a plane narrower than ±1, why (narrowPlaneNote).
 * @param {HTMLElement} note
 * @param {object} model an entry of /api/models
 * @param {number[][]} points its atlas on the map's plane
 * @param {number} range its default range
 * @param {number} shown the range the map shows (another, when the user or a link chose it)
 */
export function showRangeNote(note, model, points, range, shown = range) {
  if (model.capabilities.standard_normal_prior) {
    note.hidden = range >= 1;
    if (!note.hidden) note.textContent = narrowPlaneNote(model, points, range, shown);
    return;
  }
  note.hidden = false;
  const inside = points.filter(([x, y]) => Math.abs(x) <= PRIOR_RANGE && Math.abs(y) <= PRIOR_RANGE);
  const share = (100 * inside.length) / Math.max(points.length, 1);
  // "Why ±130?" beside a map at ±3 asked about a range nobody sees (page pass 9).
  const why = shown === range ? `Why ±${range}?` : `Its codes need ±${range} to show 99% of them ` +
    `(the map shows ±${shown}). Why?`;
  note.textContent = `${why} This model has no prior: nothing in its training keeps the ` +
    `codes near 0, so they spread out (only ${share.toFixed(0)}% fall inside a VAE's ±3), and ` +
    "samples from N(0, I) (\"New samples\", \"Random sample\") all land in one small patch near " +
    `the centre: only the few kinds of ${model.data.item} whose codes lie there, not the ` +
    "variety of the data.";
}

/**
 * What the decoded image's brightness means for a model: a Bernoulli VAE's pixel probabilities,
 * a Gaussian's mean gray level, or an AE's plain output (it defines no probability).
 * @param {object} model an entry of /api/models
 */
export function outputMeaning(model) {
  const given = `z${givenLabel(model)}`;
  const rest = " A slider sets one dimension of z; \"Random sample\" draws z from the prior N(0, I).";
  if (!model.capabilities.stochastic) {
    // A point encoder (no posterior): what its output means depends on whether it has a prior.
    const prior = model.capabilities.standard_normal_prior
      ? " \"Random sample\" draws z from its prior N(0, I)."
      : " It has no prior p(z): nothing says which z are likely, so it defines no p(x) " +
        "(\"Random sample\" still draws from N(0, I), a small patch of its codes: only the " +
        `few kinds of ${model.data.item} whose codes lie there, not the variety of the data).`;
    return "The decoder's output for the current z. Trained with cross-entropy, each brightness " +
      `can be read as p(pixel on | z).${prior}`;
  }
  if (model.likelihood === "gaussian") {
    return `The decoder's output for the current ${given}: each pixel's brightness is the mean gray ` +
      `level of p(x | ${given}), a Gaussian around it, shown within [0, 1] (far from 0 the mean ` +
      `leaves that range).${rest}`;
  }
  if (model.capabilities.stacked) {
    // Two decoders: z and y give the mean of p(h | z, y) over the lower model's features, which
    // that model's own decoder turns into pixels. Not Kingma et al.'s z1: the sliders' z1 is this
    // model's own second dim (page pass 27).
    return `Two decoders for the current ${given}: this model's gives the mean of p(h | ${given}), ` +
      "a point h among the 50-d codes of the VAE underneath it (M1), and M1's decoder turns that " +
      `point into pixels: each brightness is p(pixel on | h).${rest}`;
  }
  return `The decoder's output for the current ${given}: each pixel's brightness is the probability ` +
    `that it is on, p(pixel on | ${given}).${rest}`;
}

// What each headline metric measures, so that numbers side by side in the picker are not read as
// one scale. Keyed by the metric's name (what is measured), not by the model's kind.
const METRIC_NOTES = {
  test_iw_nll: "−log p(x): the nats the model needs to describe a test image (importance-weighted " +
    "bound; lower is better).",
  test_nll_given_label: "−log p(x|y): the nats to describe a test image given its label " +
    "(importance-weighted; lower is better).",
  test_rec_bce: "Reconstruction cross-entropy of the test images, in nats. Not a likelihood (an AE " +
    "has none) and not comparable with a VAE's −log p(x): it pays no KL for its codes.",
  recon_sq_error: "Squared error between a test image and its reconstruction, summed over the 784 " +
    "gray pixels (in [0, 1]): another scale from the nats of the other models.",
  test_error: "Share of the 10,000 test images whose label the model reads wrong.",
};

/** One sentence on the model's headline number ("" when there is none to explain). */
export function metricNote(model) {
  return METRIC_NOTES[model.headline_metric.name] || "";
}

/**
 * The test set's figures a lesson compares models by, where the model has them: the ELBO's two
 * terms (the page showed them for one drawing only, so a β-VAE's trade, KL 24.8 -> 4.0 for
 * reconstruction 66.4 -> 140.0, could not be shown side by side: page pass 25), and the squared
 * reconstruction error beside PCA's with as many dims (the β-VAE's 23.3 is worse than 16-d PCA's
 * 21.1). "" when it has neither.
 * @param {object} model an entry of /api/models
 * @returns {string}
 */
export function testSetFigures(model) {
  const m = model.metrics;
  const f = (v) => v.toFixed(1);
  const said = [];
  if (m.test_rec != null && m.test_kl != null && m.test_neg_elbo != null) {
    const given = model.capabilities.conditional ? " given its label" : "";
    const adds = Math.abs(Number(f(m.test_rec)) + Number(f(m.test_kl)) - Number(f(m.test_neg_elbo)));
    const rounded = adds > 0.05 ? " (each rounded)" : "";
    const beta = model.kl_weight ?? 1;
    const trained = beta === 1 ? "" : ` Trained on reconstruction + ${beta} × KL, it keeps the KL ` +
      "small and pays for it in reconstruction.";
    said.push(`Test set, per ${model.data.item}${given}: reconstruction ${f(m.test_rec)} + KL ` +
      `${f(m.test_kl)} = −ELBO ${f(m.test_neg_elbo)} nats${rounded}.${trained}`);
  } else if (m.test_neg_elbo != null) {
    // A stacked model's bound is one number (page pass 27: the M2 had none beside its error).
    said.push(`Test set, per ${model.data.item}: −ELBO ${f(m.test_neg_elbo)} nats, a bound on ` +
      "−log p(x) through both models, the label summed out.");
  }
  if (m.conditional_sample_accuracy != null) {
    const judged = m.judge_test_error == null ? ""
      : ` (itself wrong on ${(100 * m.judge_test_error).toFixed(1)}% of the test set)`;
    said.push(`Its samples of each label are read as that label ` +
      `${(100 * m.conditional_sample_accuracy).toFixed(1)}% of the time, by a classifier ` +
      `trained on every labelled training image${judged}.`);
  }
  // PCA's own error beside PCA's says nothing: only a model that is not PCA is compared with it.
  if (m.recon_sq_error != null && m.pca_recon_sq_error != null && !model.capabilities.exact_posterior) {
    said.push(`Squared reconstruction error ${f(m.recon_sq_error)} (summed over the 784 gray ` +
      `pixels; lower is closer), against ${f(m.pca_recon_sq_error)} for a projection onto PCA's ` +
      `first ${model.latent_dim} directions.`);
  }
  return said.join(" ");
}

/**
 * Notation that follows the model: a conditional model's posterior is q(z|x,y) and its likelihood
 * p(x|y). index.html writes the plain form and marks it: <span data-given="q(z|x,y)">q(z|x)</span>.
 * @param {ParentNode} root
 * @param {object} model an entry of /api/models
 */
export function applyNotation(root, model) {
  for (const el of root.querySelectorAll("[data-given]")) {
    if (el.dataset.plain === undefined) el.dataset.plain = el.textContent;
    el.textContent = model.capabilities.conditional ? el.dataset.given : el.dataset.plain;
  }
}

/**
 * Every text of the page that follows the model, from what it declares: its description and
 * metric, the explanations' sentences for its capabilities, notation and nouns, the label choices,
 * the pad's notes and the title. (What follows the view, the state and the decoding: main.js.)
 * @param {object} m an entry of /api/models
 * @param {(id: string) => HTMLElement} $
 */
export function showModelTexts(m, $) {
  $("model-info").textContent = `${m.description}. ${metricNote(m)}`.replace(/\.\. /, ". ").trim();
  const figures = testSetFigures(m);
  $("model-figures").textContent = figures;
  $("model-figures-box").hidden = !figures;
  $("digit-meaning").textContent = outputMeaning(m);
  // Sentences of the explanations that hold only for models with this capability.
  const c = m.capabilities;
  const has = { stochastic: c.stochastic, point: !c.stochastic, exact: c.exact_posterior,
                learned: c.stochastic && !c.exact_posterior, likelihood: c.likelihood,
                prior: c.standard_normal_prior, noprior: !c.standard_normal_prior,
                conditional: c.conditional, reads: c.infers_label };
  for (const el of document.querySelectorAll("[data-needs]")) el.hidden = !has[el.dataset.needs];
  applyNotation(document, m);
  $("download-grid").download = `map-${m.id}.png`;
  applyNouns(document, m); // "Decoded digit" or "Decoded item": the marked words follow the model
  // An unconditional model takes no label, but its data set's names still show what it was trained on.
  fillLabelSelect($("label-select"), m.class_names.length ? m.class_names : m.data.class_names);
  fillLabelSelect($("map-label"), m.class_names);
  fillLabelSelect($("digit-label"), m.class_names);
  $("map-label-control").hidden = !c.conditional;
  $("digit-label-control").hidden = !c.conditional;
  $("label-select").disabled = !c.conditional;
  $("gen-label-control").hidden = !c.conditional; // a greyed "Label 0" read as "samples of 0s"
  $("style-note").hidden = c.conditional;
  // "It is [an 8]", "It is [trousers]": the data set's phrase for each label.
  const unchosen = Object.assign(new Option("?", ""), { ariaLabel: "? (not chosen)" }); // read as a bare "?"
  $("draw-label").replaceChildren(unchosen,
                                  ...m.class_names.map((_, k) => new Option(classPhrase(m, k), String(k))));
  const note = padNote(m);
  Object.assign($("pad-note"), { textContent: note || "", hidden: note === null });
  $("draw-prep").textContent = drawPrep(m);
  const metric = m.headline_metric;
  document.title = `latent-explorer: ${m.id}` +
    (metric.value != null ? ` (${metric.label} ${formatMetric(m)})` : "");
}
