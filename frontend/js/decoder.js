// A model's decoder run in the page: parses the safetensors file that
// GET /api/models/{id}/decoder.safetensors serves and turns z (and a label) into pixels.
//
// safetensors: 8 bytes of header length (little-endian u64), a JSON header naming each tensor's
// dtype, shape and byte range, then the little-endian data. Our header's `__metadata__.decoder`
// describes the stages (model/decoder_file.py): each an MLP with one activation between layers,
// the one-hot label appended to the input where `label` is true, and an output transform.
// Hand-written on purpose: a runtime such as onnxruntime-web would cost megabytes for three
// matrix-vector products.

const FORMAT = "latent-explorer-decoder";
const VERSION = "1";
const MAX_HEADER_BYTES = 1 << 20; // our headers are ~2 KB; a larger one is not ours
const DTYPE_BYTES = { F16: 2, F32: 4 };
const ACTIVATIONS = new Set(["elu", "relu", "tanh", "softplus", "identity"]);
// An activation may also close a stage: a decoder whose every layer reads the label is one stage
// per layer (model/decoder_stages.py).
const OUTPUTS = new Set(["sigmoid", "clip", ...ACTIVATIONS]);

/** The file is not a decoder this page can run (truncated, corrupt, or another format). */
export class DecoderFormatError extends Error {}

const fail = (message) => { throw new DecoderFormatError(message); };

/**
 * IEEE 754 half precision bits to a number.
 * @param {number} h 16 bits
 * @returns {number}
 */
export function halfToFloat(h) {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // subnormal (and zero)
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

let halfTable = null;
/** All 65,536 half values as float32, built once: a lookup per weight beats the arithmetic. */
function halfLookup() {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h);
  }
  return halfTable;
}

/**
 * Parse a safetensors buffer into its metadata and float32 tensors.
 * @param {ArrayBuffer} buffer
 * @returns {{metadata: Object<string, string>, tensors: Map<string, {shape: number[], data: Float32Array}>}}
 */
function parseSafetensors(buffer) {
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength < 8) fail("too short for safetensors");
  const view = new DataView(buffer);
  const lengthHigh = view.getUint32(4, true);
  const headerLength = view.getUint32(0, true);
  if (lengthHigh !== 0 || headerLength > MAX_HEADER_BYTES || 8 + headerLength > buffer.byteLength) {
    fail("the header length does not fit the file");
  }
  let header;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(buffer, 8, headerLength)));
  } catch {
    fail("the header is not JSON");
  }
  if (!header || typeof header !== "object") fail("the header is not an object");
  const dataStart = 8 + headerLength;
  const dataLength = buffer.byteLength - dataStart;
  const tensors = new Map();
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const itemBytes = DTYPE_BYTES[info && info.dtype];
    if (!itemBytes) fail(`tensor ${name}: dtype ${info && info.dtype} is not F16 or F32`);
    const { shape, data_offsets: offsets } = info;
    if (!Array.isArray(shape) || !shape.every((n) => Number.isInteger(n) && n >= 0)) fail(`tensor ${name}: bad shape`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(Number.isInteger) || offsets[0] < 0 ||
        offsets[1] > dataLength || offsets[1] - offsets[0] !== count * itemBytes) {
      fail(`tensor ${name}: its bytes do not match its shape or lie outside the file`);
    }
    tensors.set(name, { shape, data: readFloats(view, dataStart + offsets[0], count, itemBytes) });
  }
  return { metadata: header.__metadata__ || {}, tensors };
}

/** Little-endian floats from any byte offset (safetensors does not align tensors). */
function readFloats(view, offset, count, itemBytes) {
  const out = new Float32Array(count);
  if (itemBytes === 4) {
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, true);
  } else {
    const table = halfLookup();
    for (let i = 0; i < count; i++) out[i] = table[view.getUint16(offset + 2 * i, true)];
  }
  return out;
}

/**
 * @typedef {{weight: Float32Array, bias: Float32Array, inputs: number, outputs: number}} Layer
 * @typedef {{name: string, label: boolean, activation: string, output: string, layers: Layer[]}} Stage
 * @typedef {{latentDim: number, numLabels: number, dtype: string, bytes: number, stages: Stage[],
 *            decode: (z: number[], label?: number|null) => Float32Array}} LocalDecoder
 */

/**
 * Parse a decoder file and check that its stages chain from z to 28x28 pixels.
 * @param {ArrayBuffer} buffer the bytes of decoder.safetensors
 * @returns {LocalDecoder}
 */
export function parseDecoder(buffer) {
  const { metadata, tensors } = parseSafetensors(buffer);
  if (metadata.format !== FORMAT || metadata.version !== VERSION) fail(`not a ${FORMAT} v${VERSION} file`);
  let spec;
  try {
    spec = JSON.parse(metadata.decoder);
  } catch {
    fail("the stage description is not JSON");
  }
  const latentDim = spec.latent_dim, numLabels = spec.num_labels;
  if (!Number.isInteger(latentDim) || latentDim < 1 || !Number.isInteger(numLabels) || numLabels < 0) {
    fail("latent_dim or num_labels is missing");
  }
  if (!Array.isArray(spec.stages) || !spec.stages.length) fail("no stages");
  let width = latentDim;
  const stages = spec.stages.map((s, i) => {
    if (!ACTIVATIONS.has(s.activation) || !OUTPUTS.has(s.output)) fail(`stage ${i}: unknown activation or output`);
    if (s.label && !numLabels) fail(`stage ${i} takes a label the model does not have`);
    width += s.label ? numLabels : 0;
    if (!Array.isArray(s.layers) || !s.layers.length) fail(`stage ${i}: no layers`);
    const layers = s.layers.map((l, j) => {
      const w = tensors.get(l.weight), b = tensors.get(l.bias);
      if (!w || !b) fail(`stage ${i} layer ${j}: a tensor is missing`);
      const [outputs, inputs] = w.shape;
      if (w.shape.length !== 2 || inputs !== width || b.shape.length !== 1 || b.shape[0] !== outputs) {
        fail(`stage ${i} layer ${j}: shapes do not chain`);
      }
      width = outputs;
      return { weight: w.data, bias: b.data, inputs, outputs };
    });
    return { name: String(s.name), label: Boolean(s.label), activation: s.activation, output: s.output, layers };
  });
  const [rows, cols] = spec.image || [28, 28];
  if (width !== rows * cols) fail(`the last stage gives ${width} values, not ${rows}x${cols} pixels`);
  return {
    latentDim, numLabels, dtype: String(spec.dtype), bytes: buffer.byteLength, stages,
    decode: (z, label = null) => runStages(stages, latentDim, numLabels, z, label),
  };
}

/** Pixels in [0, 1] (Float32Array of 784) for one latent; the arithmetic is in doubles. */
function runStages(stages, latentDim, numLabels, z, label) {
  if (z.length !== latentDim) throw new RangeError(`z has ${z.length} values, the decoder needs ${latentDim}`);
  let h = Float32Array.from(z);
  for (const stage of stages) {
    if (stage.label) {
      if (!(Number.isInteger(label) && label >= 0 && label < numLabels)) throw new RangeError(`label must be in 0..${numLabels - 1}`);
      const x = new Float32Array(h.length + numLabels);
      x.set(h);
      x[h.length + label] = 1; // the one-hot label, concatenated after the input
      h = x;
    }
    const last = stage.layers.length - 1;
    stage.layers.forEach((layer, j) => {
      h = dense(layer, h, j < last ? stage.activation : "identity");
    });
    if (stage.output === "sigmoid") {
      for (let i = 0; i < h.length; i++) h[i] = 1 / (1 + Math.exp(-h[i]));
    } else if (stage.output === "clip") {
      for (let i = 0; i < h.length; i++) h[i] = Math.min(1, Math.max(0, h[i]));
    } else if (stage.output !== "identity") {
      for (let i = 0; i < h.length; i++) h[i] = activate(h[i], stage.output);
    }
  }
  return h;
}

/** y = act(W x + b) with W stored (out, in) row by row, as torch keeps it. Four running sums
 * per row let the CPU overlap the multiply-adds (about 1.5x faster in V8 than one sum). */
function dense({ weight, bias, inputs, outputs }, x, activation) {
  const y = new Float32Array(outputs);
  const tail = inputs - (inputs % 4);
  for (let o = 0, row = 0; o < outputs; o++, row += inputs) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let i = 0;
    for (; i < tail; i += 4) {
      s0 += weight[row + i] * x[i];
      s1 += weight[row + i + 1] * x[i + 1];
      s2 += weight[row + i + 2] * x[i + 2];
      s3 += weight[row + i + 3] * x[i + 3];
    }
    for (; i < inputs; i++) s0 += weight[row + i] * x[i];
    y[o] = activate(bias[o] + s0 + s1 + s2 + s3, activation);
  }
  return y;
}

function activate(v, activation) {
  switch (activation) {
    case "elu": return v > 0 ? v : Math.expm1(v);
    case "relu": return v > 0 ? v : 0;
    case "tanh": return Math.tanh(v);
    case "softplus": return v > 20 ? v : Math.log1p(Math.exp(v)); // torch's threshold
    default: return v;
  }
}

/**
 * Probabilities to gray levels, rounded as the server's PNGs are (white digit on black).
 * @param {Float32Array} probs 784 values in [0, 1]
 * @param {number} [width=28]
 * @returns {ImageData}
 */
export function toImageData(probs, width = 28) {
  const image = new ImageData(width, probs.length / width);
  for (let i = 0; i < probs.length; i++) {
    const g = Math.min(255, Math.max(0, Math.floor(probs[i] * 255 + 0.5)));
    image.data[4 * i] = image.data[4 * i + 1] = image.data[4 * i + 2] = g;
    image.data[4 * i + 3] = 255;
  }
  return image;
}
