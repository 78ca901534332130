// The page's state and the only code that writes it (the controller of TodoMVC's vanilla app).
// Components render and report; main.js wires them; every change of state goes through a method
// here. A model switch is one call, resetForModel, which also clears every per-model output that
// registered itself, and bumps a token: an `await` that began before the switch sees a stale token
// and drops its answer instead of painting the old model's result on the new one.

/** How many labels the store or a link may hold for a model: its own classes, else (a model not
 *  told labels) those of its data set, which the compare strip's conditional models read. */
export const classCount = (model) => model.num_classes || model.data.class_names.length;

/**
 * @typedef {{plane: "dims" | "pca", dims: number[] | null, range: number, scatter: boolean,
 *            ownRange: boolean}} View ownRange: a range nobody chose (the model's own, from its
 *            atlas), left out of links
 */

/**
 * @typedef {object} State
 * @property {object[]} models the walkable entries of /api/models
 * @property {object | null} model the selected entry
 * @property {number[]} z the current latent
 * @property {number} label the current label (read only by conditional models)
 * @property {View} view the plane shown on the map
 * @property {object | null} atlas the atlas of the selected model and plane
 * @property {{mu: number[], logvar: number[] | null} | null} encoded the last encoded drawing
 * @property {({z: number[], label: number | null} | null)[]} ends interpolation A and B, each
 *           with the label it was set under (a conditional model decodes each end with its own)
 * @property {number | null} drawLabel the digit the user says they drew (a conditional model that
 *           does not infer labels encodes a drawing given it); null until they say
 */

/** @returns {State} the state before any model is chosen */
function initialState() {
  return {
    models: [],
    model: null,
    z: [],
    label: 0,
    view: { plane: "dims", dims: [0, 1], range: 3, scatter: true, ownRange: true },
    atlas: null,
    encoded: null,
    ends: [null, null],
    drawLabel: null,
  };
}

/** Raised by `check` when an answer arrives after the model it was asked for was left. */
export class StaleError extends Error {
  constructor() {
    super("superseded by a model switch");
    this.name = "StaleError";
  }
}

export function createStore() {
  const state = initialState();
  /** @type {(() => void)[]} */
  const clearers = [];
  const drawLabels = new Map(); // data set name -> the label named for the drawing on the pad
  let token = 0;

  // Readers get a view that refuses writes, so a stray `state.x = ...` fails loudly.
  const readOnly = new Proxy(state, {
    set(_target, key) {
      throw new TypeError(`state.${String(key)} is written through the store's methods`);
    },
  });

  return {
    /** @type {Readonly<State>} */
    state: readOnly,

    /** @returns {boolean} whether the selected model reads a label (a CVAE or an M2) */
    conditional: () => Boolean(state.model && state.model.capabilities.conditional),
    /** The current model-switch token: take it before an `await`, `check` it after. */
    token: () => token,
    /** @param {number} t @returns {boolean} true while no model switch happened since `t` */
    isCurrent: (t) => t === token,
    /** Throw StaleError if the model changed since `t` (for a chain of awaits). */
    check(t) {
      if (t !== token) throw new StaleError();
    },

    /**
     * Register a function that clears one per-model output (text, image, drawing, marker).
     * @param {() => void} clear
     */
    perModel(clear) {
      clearers.push(clear);
    },

    /** @param {object[]} models */
    setModels(models) {
      state.models = models;
    },

    /**
     * Switch to `model`: forget its predecessor's results, clear every per-model output, and
     * invalidate every answer still in flight.
     * @param {object} model an entry of /api/models
     * @param {{z?: number[] | null, label?: number | null}} [start]
     * @returns {number} the new token
     */
    resetForModel(model, { z = null, label = null } = {}) {
      token += 1;
      // A label names a class of one data set: MNIST's 7 is not Fashion's Sneaker.
      const sameData = state.model && state.model.data.name === model.data.name;
      state.model = model;
      state.atlas = null;
      state.encoded = null;
      state.ends = [null, null];
      // The label named for the drawing on the pad, which stays across a switch: kept for the
      // models of its data set (a CVAE, then the Fashion CVAE, then the CVAE again asked for the
      // 7 it had been told: page pass 26).
      state.drawLabel = drawLabels.get(model.data.name) ?? null;
      if (label !== null && Number.isInteger(label) && label >= 0 && label < classCount(model)) {
        state.label = label;
      } else if (!sameData || (model.num_classes && state.label >= model.num_classes)) {
        state.label = 0;
      }
      const fits = z && z.length === model.latent_dim && z.every(Number.isFinite);
      state.z = fits ? [...z] : Array(model.latent_dim).fill(0);
      for (const clear of clearers) clear();
      return token;
    },

    /** @param {number[]} z */
    setZ(z) {
      state.z = [...z];
    },
    /** @param {number} label */
    setLabel(label) {
      state.label = label;
    },
    /** @param {Partial<View>} view */
    setView(view) {
      state.view = { ...state.view, ...view };
    },
    /** @param {object | null} atlas */
    setAtlas(atlas) {
      state.atlas = atlas;
    },
    /** @param {{mu: number[], logvar: number[] | null} | null} encoded */
    setEncoded(encoded) {
      state.encoded = encoded;
    },
    /** @param {0 | 1} k which end (A or B) @param {{z: number[], label: number | null} | null} end */
    setEnd(k, end) {
      state.ends = k === 0 ? [end, state.ends[1]] : [state.ends[0], end];
    },
    /** @param {number | null} label */
    setDrawLabel(label) {
      state.drawLabel = label;
      // No label (a new drawing, or "?" chosen): none is known for any data set.
      if (label === null) drawLabels.clear();
      else if (state.model) drawLabels.set(state.model.data.name, label);
    },
  };
}
