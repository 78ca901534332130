// The same z in every model: the current latent decoded by each shipped 2-d walkable model trained
// on the current model's data set (AE, VAE, PCA, the CVAE with the current label), refreshed as z
// moves. Each image is decoded in the browser with that model's own decoder file (loaded on first
// use); while the file loads the cell waits, blank, and if it cannot be had (or is slow) the image
// is a cacheable decode.png URL. Updates are batched to one per animation frame; the server's
// images follow at a slower pace.

import { decodePngUrl } from "./api.js";
import { PENDING } from "./decode-source.js";

// On the server every cell is a request: a fast drag at one per frame sent hundreds. While the
// pointer moves the server's cells change at most this often (the last z is always shown).
const SERVER_EVERY_MS = 180;

/** Seconds before cells whose server image failed are asked again, by failures in a row. */
const FAILED_AGAIN_S = [2, 4, 8, 16, 30];

/** Models whose z can be compared: walkable, two latent dims, labels not read from the image. */
function comparableModels(models) {
  return models.filter((m) => m.capabilities.walkable && m.latent_dim === 2 && !m.capabilities.infers_label);
}

/** A cell's name, short enough for a 64 px cell: the model's kind ("VAE", "PCA"). */
const caption = (model) => model.kind.toUpperCase();

/**
 * The strip's models on the one scale they share: how closely each reconstructs a test image
 * (the headline numbers are nats for some, squared error or cross-entropy for others; page pass
 * 11 found no way to tell how much closer the AE comes than PCA). "" when none has the number.
 * @param {object[]} models entries of /api/models
 */
function reconLine(models) {
  const scored = models.filter((m) => m.metrics.recon_sq_error != null)
    .sort((a, b) => a.metrics.recon_sq_error - b.metrics.recon_sq_error);
  if (!scored.length) return "";
  const conditional = scored.filter((m) => m.capabilities.conditional).map(caption);
  const given = conditional.length ? `; the ${conditional.join(" and ")} given the label` : "";
  const each = scored.map((m) => `${caption(m)} ${m.metrics.recon_sq_error.toFixed(1)}`);
  // A probabilistic PCA decodes its posterior mean, within [0, 1]; each model's own figures
  // quote the plain projection's error beside its own: 43.5 here, 43.6 there, unexplained (page
  // pass 27).
  const pca = scored.find((m) => m.capabilities.exact_posterior && m.metrics.pca_recon_sq_error != null);
  // Not "under the picker": PCA's own page shows no such figure there (page pass 28).
  const projection = pca ? ` (${caption(pca)}'s is its posterior mean decoded within [0, 1]; a ` +
    `plain projection onto its ${pca.latent_dim} directions gives ` +
    `${pca.metrics.pca_recon_sq_error.toFixed(1)}, the figure each other model is compared with)` : "";
  // The strip's own models: a 16-d model's closer figure belongs to another comparison (review).
  return "How closely each 2-d model here reconstructs a test image (squared error over its 784 " +
    `gray pixels, lower is closer${given}): ${each.join(" · ")}${projection}.`;
}

/**
 * @param {HTMLElement} root the strip (data-testid="compare-strip")
 * @param {HTMLElement} note a line saying which z is shown
 * @param {(m: object, z: number[], label: number|null, onChange: () => void) => string|null|symbol} [imageIn]
 *        the decode source's local decoding of z in any model (null: ask the server; PENDING: its
 *        decoder file is on its way, wait)
 * @param {HTMLElement | null} [recon] a line comparing the models' reconstructions on one scale
 * @returns {{setModels: (models: object[]) => void, update: (z: number[], label: number, currentId: string) => void}}
 */
export function createCompareStrip(root, note, imageIn = () => null, recon = null) {
  /** @type {{model: object, img: HTMLImageElement, figure: HTMLElement}[]} */
  let cells = [];
  let everyone = []; // every walkable model, to find the current one's data set
  let all = [];
  let dataset = null;
  let pending = null;
  let last = null; // the newest z shown, to redraw when a model's decoder arrives
  let serverAt = -Infinity; // when server cells were last pointed at a new z
  let serverTimer = null; // the trailing update of the server's cells
  let failedTimer = null; // the next ask for cells whose server image failed
  let failures = 0; // in a row, for the wait before that ask

  /** The comparable models of the list /api/models gave; cells come with the first z. */
  function setModels(models) {
    everyone = models;
    all = comparableModels(models);
    dataset = null;
  }

  /** One cell per comparable model trained on `name` (the same z means nothing across data). */
  function showDataset(name) {
    dataset = name;
    cells = all.filter((m) => m.dataset === name).map((model) => {
      const figure = document.createElement("figure");
      const img = document.createElement("img");
      // Blank until it has a source (its decoder file may be on its way): an alt text would be
      // drawn in the cell meanwhile, with a broken-image icon. show() gives it its words.
      img.alt = "";
      img.dataset.model = model.id;
      // A server image that failed left a broken-image icon with its alt text spilling over the
      // 64 px cell (page pass 8): the cell goes blank, marked as not loaded, and is asked again
      // by itself (page pass 18: after a spell offline four black cells sat under a caption that
      // called them the current z, until z moved).
      img.addEventListener("error", () => {
        img.removeAttribute("src");
        img.alt = "";
        figure.classList.add("failed");
        figure.title = "This image did not load; it is asked for again.";
        askFailedAgain();
        sayFailed();
      });
      img.addEventListener("load", () => {
        figure.classList.remove("failed");
        figure.removeAttribute("title");
        failures = 0;
        sayFailed();
      });
      const name = document.createElement("figcaption");
      name.textContent = caption(model);
      name.title = `${model.display_name} (${model.id})`;
      figure.append(img, name);
      return { model, img, figure };
    });
    root.replaceChildren(...cells.map((c) => c.figure));
    if (recon) recon.textContent = reconLine(cells.map((c) => c.model));
    // A sentence of the explanation about one model shows only while that model is in the strip.
    for (const el of document.querySelectorAll("[data-strip-model]")) {
      el.hidden = !cells.some((c) => c.model.id === el.dataset.stripModel);
    }
  }

  /** Point a cell at an image of the current z. */
  function show(img, model, url) {
    img.src = url;
    img.alt = `the current z decoded by ${model.id}`;
  }

  // A dashed cell's reason in words under the strip, not only in a title a finger cannot reach
  // (page pass 19).
  const FAILED_SAID = "; a dashed cell did not load and is asked for again";
  function sayFailed() {
    const text = note.textContent.replace(FAILED_SAID, "");
    const any = cells.some((c) => c.figure.classList.contains("failed"));
    note.textContent = any ? text + FAILED_SAID : text;
  }

  function askFailedAgain() {
    if (failedTimer !== null) return; // one ask for every cell that failed meanwhile
    const wait = FAILED_AGAIN_S[Math.min(failures, FAILED_AGAIN_S.length - 1)];
    failures += 1;
    failedTimer = setTimeout(() => {
      failedTimer = null;
      redraw();
    }, 1000 * wait);
  }

  /** A decoder arrived (or will not): show the newest z again, decoded where it now can be. */
  function redraw() {
    if (last) update(last.z, last.label, last.currentId);
  }

  /** Point every cell at the newest z (run once per animation frame). */
  function render() {
    const { z, label, currentId } = pending;
    pending = null;
    const current = everyone.find((m) => m.id === currentId);
    if (current && current.dataset !== dataset) showDataset(current.dataset);
    // A model with more dims shares its first two with the strip; the rest are not shown.
    const z2 = z.slice(0, 2);
    const now = performance.now();
    const serverDue = now - serverAt >= SERVER_EVERY_MS;
    let serverAsked = false;
    let serverBehind = false;
    for (const { model, img, figure } of cells) {
      figure.classList.toggle("current", model.id === currentId);
      const lbl = model.capabilities.conditional ? label : null;
      const local = imageIn(model, z2, lbl, redraw);
      if (local === PENDING) continue; // blank for now: redraw() runs when the file has come
      const url = local ?? decodePngUrl(model.id, z2, lbl);
      if (img.getAttribute("src") === url) continue;
      if (local !== null) {
        show(img, model, url);
      } else if (serverDue) {
        show(img, model, url);
        serverAsked = true;
      } else {
        serverBehind = true;
      }
    }
    if (serverAsked) serverAt = now;
    if (serverBehind && serverTimer === null) {
      serverTimer = setTimeout(() => {
        serverTimer = null;
        redraw();
      }, serverAt + SERVER_EVERY_MS - now);
    }
    const shown = z2.map((v) => v.toFixed(2)).join(", ");
    const conditional = cells.find((c) => c.model.capabilities.conditional);
    const labelled = conditional
      ? `; label ${conditional.model.class_names[label] ?? label} for the ${conditional.model.display_name}`
      : "";
    note.textContent = z.length > 2
      ? `z0, z1 of the current z (${shown}) in each 2-d model${labelled}`
      : `z = (${shown}) in each model${labelled}`;
    sayFailed();
  }

  /** Show z (the current model's) in every comparable model. */
  function update(z, label, currentId) {
    last = { z, label, currentId };
    const first = pending === null;
    pending = { z, label, currentId };
    if (first) requestAnimationFrame(render);
  }

  return { setModels, update };
}
