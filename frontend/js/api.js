// The only module that talks to the server: every request the page makes with fetch, and every
// server address, is here. Every function returns parsed data or throws ApiError. Two image
// routes are also loaded by <img> elements, at addresses built here (gridUrl for the map's
// background in latent-map.js, decodePngUrl for the compare strip's server cells): the browser's
// image loader caches, schedules and drops them as it does any picture, and an <img>'s error
// event is their one failure (no status to word).

/** An HTTP error (or an unreachable server) with a message fit to show a person. */
export class ApiError extends Error {
  /** @param {string} message @param {number} status 0 when the server could not be reached */
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

/** A failure that may pass if asked again: no answer, or the server's own error (5xx). */
export function mayPass(err) {
  return err instanceof ApiError && (err.status === 0 || err.status >= 500);
}

/**
 * Turn FastAPI's {"detail": ...} into one readable line.
 * @param {string | null} subject a field the page's own line names already ("The image could not
 *   be encoded"): not named again (page pass 14: "…encoded: image: the file is not…")
 */
function describeError(status, body, subject = null) {
  const detail = body && body.detail;
  if (Array.isArray(detail)) {
    return detail
      .map((d) => {
        // No field to name (the server's own error): the message alone, not ": internal error".
        const where = (d.loc || []).filter((p) => p !== "body" && p !== subject).join(".");
        const msg = d.type === "internal_error" ? `the server failed (HTTP ${status})` : d.msg;
        return where ? `${where}: ${msg}` : msg;
      })
      .join("; ");
  }
  return typeof detail === "string" ? detail : `the server answered ${status}`;
}

// Said to whoever opened the page, often someone the demo was shared with: no command.
const NO_ANSWER = "The server did not answer (it may be down, or the network is).";

/**
 * The body of an answer, read as `kind` ("json", "blob", "arrayBuffer"). A connection lost while
 * it streams is no answer, as a fetch that failed is (review: a decoder file cut off mid-body
 * threw a plain TypeError, taken for a failure for good: it was never asked for again).
 */
async function read(response, kind) {
  try {
    return await response[kind]();
  } catch (err) {
    if (err.name === "AbortError" || err instanceof SyntaxError) throw err; // cancelled; not JSON
    throw new ApiError(NO_ANSWER, 0);
  }
}

async function request(path, options = {}, subject = null) {
  let response;
  try {
    response = await fetch(path, options);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(NO_ANSWER, 0);
  }
  if (!response.ok) {
    let body = null;
    try {
      body = await response.json();
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(describeError(response.status, body, subject), response.status);
  }
  return response;
}

async function postJson(path, body, signal) {
  const response = await request(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal,
  });
  return read(response, "json");
}

const modelPath = (id) => `api/models/${encodeURIComponent(id)}`;
const zParam = (z) => z.map((v) => v.toFixed(4)).join(",");

// Each model's version, the v of its decoder's URL: the server caches a digit or a map asked for
// under it for good, and for an hour without (a model retrained under the same id kept its old
// pictures in the browser's cache for a year: API pass).
const versions = new Map();

/** @returns {Promise<object[]>} the models the server has loaded */
export async function listModels() {
  const models = await read(await request("api/models"), "json");
  for (const m of models) {
    const v = m.decoder && new URL(m.decoder.url, location.href).searchParams.get("v");
    if (v) versions.set(m.id, v);
  }
  return models;
}

/** `&v=` the model's version, where /api/models gave one. */
const versionParam = (id) => (versions.has(id) ? `&v=${versions.get(id)}` : "");

/** URL of one decoded digit as a PNG (also what the download button saves). */
export function decodePngUrl(id, z, label = null, scale = 1) {
  let url = `${modelPath(id)}/decode.png?z=${zParam(z)}`;
  if (label !== null) url += `&label=${label}`;
  if (scale !== 1) url += `&scale=${scale}`;
  return url + versionParam(id);
}

/** Fetch one decoded digit as a Blob (PNG). */
export async function decodePng(id, z, label = null, signal = undefined) {
  return read(await request(decodePngUrl(id, z, label), { signal }), "blob");
}

/** Decode many latents at once; labels only for conditional models. */
export async function decode(id, zs, labels = null, output = "png") {
  const body = { z: zs, output };
  if (labels) body.labels = labels;
  return postJson(`${modelPath(id)}/decode`, body);
}

/**
 * The bytes of a model's decoder file (safetensors), from the hashed URL /api/models advertises:
 * the browser caches it for good. Relative, like every URL of the page, so a path prefix works.
 * @param {{decoder: {url: string}}} model an entry of /api/models with a decoder
 * @returns {Promise<ArrayBuffer>}
 */
export async function decoderFile(model) {
  return read(await request(model.decoder.url.replace(/^\//, "")), "arrayBuffer");
}

/**
 * Encode a drawing given as 784 pixels in [0, 1]. preprocess "mnist": the server crops, fits and
 * centres it the way it normalizes an uploaded picture; "none": the pixels are encoded as sent.
 * @param {string} id @param {number[]} pixels @param {number | null} [label]
 * @param {"mnist" | "none"} [preprocess]
 */
export async function encodePixels(id, pixels, label = null, preprocess = "mnist") {
  return postJson(`${modelPath(id)}/encode`, { pixels, label, preprocess });
}

/** Encode an image file (PNG, JPEG, ...), cropped and centred like MNIST or ("none") as it is. */
export async function encodeUpload(id, file, label = null, preprocess = "mnist") {
  const form = new FormData();
  form.append("image", file);
  form.append("preprocess", preprocess);
  if (label !== null) form.append("label", String(label));
  return read(await request(`${modelPath(id)}/encode`, { method: "POST", body: form }, "image"), "json");
}

/** The image formats the server opens, as people write them (server/upload_checks.py). */
export const IMAGE_FORMATS = "PNG, JPEG, WebP, GIF or BMP";

/**
 * Whether a file starts like an image the server opens (its `sniff`, on the first 12 bytes): a
 * text file is then refused at once, before the page asks for its label (page pass 14).
 * @param {Blob} file
 */
export async function looksLikeImage(file) {
  let b;
  try {
    b = new Uint8Array(await file.slice(0, 12).arrayBuffer());
  } catch {
    return true; // unreadable here (a file moved away): the server's answer says what is wrong
  }
  const ascii = (from, to) => String.fromCharCode(...b.slice(from, to));
  return (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) || ascii(0, 8) === "\x89PNG\r\n\x1a\n" ||
    ["GIF87a", "GIF89a"].includes(ascii(0, 6)) || ascii(0, 2) === "BM" ||
    (ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP");
}

/** URL of the decoded manifold grid for a plane of the latent space. */
export function gridUrl(id, { n, span, dims = null, plane = "dims", label = null, z = null }) {
  const params = new URLSearchParams({ n: String(n), span: String(span) });
  if (plane === "pca") params.set("plane", "pca");
  else params.set("dims", (dims || [0, 1]).join(",")); // not left to the server's default (PCA above 2-d)
  if (label !== null) params.set("label", String(label));
  if (z) params.set("z", zParam(z)); // the plane passes through z (either kind)
  return `${modelPath(id)}/grid.png?${params}${versionParam(id)}`;
}

/** The atlas: test-set posterior means projected on a plane, with labels. */
export async function atlas(id, dims = null) {
  const query = dims ? `?dims=${dims.join(",")}` : "";
  return read(await request(`${modelPath(id)}/atlas${query}`), "json");
}

/** n completions of the visible part of a 28x28 image (mask: a region name or {quadrants}). */
export async function complete(id, pixels, mask, { n = 8, seed = null } = {}) {
  return postJson(`${modelPath(id)}/complete`, { pixels, mask, n, seed });
}

/**
 * Complete an image file's hidden part: the picture is read as it is (shrunk to 28x28, no crop),
 * the mask a region name or {quadrants}.
 */
export async function completeUpload(id, file, mask, { n = 8, seed = null } = {}) {
  const form = new FormData();
  form.append("image", file);
  form.append("mask", typeof mask === "string" ? mask : JSON.stringify(mask));
  form.append("n", String(n));
  if (seed !== null) form.append("seed", String(seed));
  return read(await request(`${modelPath(id)}/complete`, { method: "POST", body: form }, "image"), "json");
}

/** Frames between two latents. */
export async function interpolate(id, start, end, { steps = 10, method = "linear", label = null }) {
  return postJson(`${modelPath(id)}/interpolate`, {
    start: { z: start },
    end: { z: end },
    steps,
    method,
    label,
  });
}
