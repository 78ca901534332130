// The 2-D latent map: the decoded manifold as background, the test set scattered on it, a
// crosshair at the current z, the encoded drawing's mean with its 1- and 2-sigma ellipses, and the two
// interpolation ends. Coordinates are those of a plane of the latent space: two latent dims, or
// the PCA plane of the atlas (z = mean + x c1 + y c2).

import { gridUrl } from "./api.js";
import { classCentres, drawClassKeys, unnumberedNote } from "./class-keys.js";
import { listenToMap } from "./map-input.js";
import { LABEL_COLORS, fillLegend } from "./map-legend.js";
import { ellipse, makePlane } from "./map-plane.js";

/** The interpolation path and its ends A and B: white on a dark edge, a colour no label dot, prior
 * ring or posterior ellipse uses. */
const PATH_COLOR = "#ffffff";
const GRID_N = 20; // digits per side of the background: 20 x 28 = 560 px, the canvas size
const SVG_NS = "http://www.w3.org/2000/svg";
/** How q(z|x)'s 1- and 2-sigma ellipses are drawn, on the map and in the zoomed view alike. */
export const SIGMA_STYLES = {
  1: { fill: "rgba(92,200,255,0.18)", stroke: "#5cc8ff", "stroke-width": 2 },
  2: { fill: "none", stroke: "#5cc8ff", "stroke-width": 1.5, "stroke-dasharray": "4 3" },
};

/**
 * @param {{wrap: HTMLElement, canvas: HTMLCanvasElement, svg: SVGSVGElement, legend: HTMLElement,
 *          keysNote?: HTMLElement}} els (keysNote: said when the classes are too close to number)
 * @param {{onPick: (x: number, y: number) => void, onError: (err: Error) => void,
 *          onLoad: () => void, onNoPlane?: () => void}} handlers (onLoad: a background arrived;
 *          onNoPlane: a click or key on a map whose plane has not come)
 */
export function createLatentMap({ wrap, canvas, svg, legend, keysNote = null },
                                { onPick, onError, onLoad, onNoPlane = () => {} }) {
  const ctx = canvas.getContext("2d");
  const size = canvas.width;
  let view = { range: 3, scatter: true };
  let atlasData = null;
  let background = null;
  let plane = null;
  let backgroundKey = "";
  let failed = false; // the last background asked for did not load
  // "Loading the map…" over the square until its picture comes: on a slow link the map was an
  // empty black square for seconds under a legend that already promised the dots (page pass
  // 18). Once a picture fails the notice speaks, so the line goes until the next model.
  const loading = wrap.querySelector(".map-loading");
  let gaveUp = false;
  let dims = 2;
  let priorOn = false;
  let samples = [];
  let pathZs = null; // the interpolation frames' latents, drawn as the path

  const el = (name, attrs) => {
    const node = document.createElementNS(SVG_NS, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    svg.append(node);
    return node;
  };
  // The prior's 1σ and 2σ circles (39% and 86% of N(0, I) in 2-D), under everything else.
  const priorRings = [1, 2].map((k) => el("circle", {
    fill: "none", stroke: "#ffd166", "stroke-width": 2.5, "stroke-dasharray": "9 6", opacity: 1,
    visibility: "hidden", "data-testid": `prior-${k}sigma`,
  }));
  // The classes' keys, over the dots and under every mark a user places.
  const keyLayer = el("g", { "data-testid": "class-keys" });
  let centres = null; // of atlasData's classes, computed once per atlas
  let keysOn = true; // a conditional model's codes are given their labels: no class has a place
  const crossH = el("line", { stroke: "#fff", "stroke-width": 1.5, opacity: 0.9 });
  const crossV = el("line", { stroke: "#fff", "stroke-width": 1.5, opacity: 0.9 });
  const crossDot = el("circle", { r: 5, fill: "none", stroke: "#fff", "stroke-width": 2 });
  // Solid, on a dark edge, in the colour of the A and B it joins: in the prior rings' dashed yellow
  // a slerp path (an arc around 0) read as a third prior circle (page pass 7).
  const pathEdge = el("polyline", { fill: "none", stroke: "#000", "stroke-width": 5, opacity: 0.6,
                                    visibility: "hidden" });
  const path = el("polyline", { fill: "none", stroke: PATH_COLOR, "stroke-width": 2.5,
                                visibility: "hidden", "data-testid": "interp-path" });
  // The samples of q(z|x) go under its ellipses: for a clear drawing the 1-sigma ellipse is only a
  // few pixels wide, and dots drawn over it would hide the very cloud they illustrate.
  const sampleLayer = el("g", { "data-testid": "posterior-dots" });
  const marker2 = el("ellipse", { ...SIGMA_STYLES[2], "data-testid": "encode-marker-2sigma",
                                  visibility: "hidden" });
  const marker = el("ellipse", { ...SIGMA_STYLES[1],
                                 "data-testid": "encode-marker", visibility: "hidden" });
  const markerDot = el("circle", { r: 2.5, fill: "#5cc8ff", visibility: "hidden" });
  // A ring around the drawing's mean, black under white, so it is found on any dots: a clear
  // drawing's 1σ ellipse is ~3 px on a phone's map, cyan among the 9s (page pass 24).
  const pin = ["#000", "#fff"].map((stroke, k) => el("circle", {
    r: 14, fill: "none", stroke, "stroke-width": k ? 2 : 5, visibility: "hidden",
    ...(k ? { "data-testid": "encode-pin" } : {}),
  }));
  const ends = ["A", "B"].map((name) => {
    const text = el("text", { fill: PATH_COLOR, "font-size": 18, "font-weight": 700,
                              "text-anchor": "middle", visibility: "hidden", stroke: "#000",
                              "stroke-width": 0.6, "data-testid": `end-${name.toLowerCase()}` });
    text.textContent = name;
    return text;
  });

  const toPx = ([x, y]) => [((x + view.range) / (2 * view.range)) * size,
                            ((view.range - y) / (2 * view.range)) * size];
  const fromPx = (px, py) => [(px / size) * 2 * view.range - view.range,
                              view.range - (py / size) * 2 * view.range];

  function redraw() {
    if (loading) loading.hidden = Boolean(background) || gaveUp;
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, size, size);
    if (background) ctx.drawImage(background, 0, 0, size, size);
    if (!view.scatter || !atlasData || !plane) {
      keyLayer.replaceChildren();
      if (keysNote) keysNote.hidden = true;
      return;
    }
    if (keysOn) {
      centres ??= classCentres(atlasData.points, atlasData.labels);
      // The legend says each number marks its class's middle: where one could not, it says why.
      const note = unnumberedNote(drawClassKeys(keyLayer, centres, toPx, size, LABEL_COLORS));
      if (keysNote) Object.assign(keysNote, { textContent: note, hidden: !note });
    } else {
      keyLayer.replaceChildren();
      if (keysNote) keysNote.hidden = true; // an earlier model's words (review 18)
    }
    const { points, labels } = atlasData;
    ctx.globalAlpha = 0.75;
    for (let k = 0; k < points.length; k++) {
      const [px, py] = toPx(points[k]);
      if (px < 0 || py < 0 || px > size || py > size) continue;
      ctx.fillStyle = LABEL_COLORS[labels[k] % 10];
      ctx.fillRect(px - 1.25, py - 1.25, 2.5, 2.5);
    }
    ctx.globalAlpha = 1;
  }

  /** (Re)load the background grid for the model, plane, range, label and base z; returns its URL. */
  function loadBackground(modelId, { label, z }) {
    // Linear spacing whose n cells tile [-range, range] exactly: centres at +-range*(n-1)/n.
    const span = (view.range * (GRID_N - 1)) / GRID_N;
    const url = gridUrl(modelId, { n: GRID_N, span, dims: view.dims, plane: view.plane, label, z });
    if (url === backgroundKey) return url;
    backgroundKey = url;
    const img = new Image();
    img.onload = () => {
      if (backgroundKey !== url) return; // a newer one was asked for meanwhile
      background = img;
      failed = false;
      gaveUp = false;
      redraw();
      onLoad();
    };
    img.onerror = () => {
      if (backgroundKey !== url) return;
      // Not loaded: the next refresh asks again (the server may be back). The picture shown
      // was for another label, range or plane: a click would decode something else than it.
      backgroundKey = "";
      background = null;
      failed = true;
      gaveUp = true;
      redraw();
      onError(new Error("the latent map's background could not be loaded"));
    };
    img.src = url;
    return url;
  }

  /** The legend's classes; `keys`: each numbered on the map too (map-legend.js). */
  function setLegend(classNames, keys = true) {
    keysOn = keys;
    fillLegend(legend, classNames, keys);
  }

  function setCrosshair(z) {
    if (!plane) return;
    const [px, py] = toPx(plane.project(z));
    crossH.setAttribute("x1", 0); crossH.setAttribute("x2", size);
    crossH.setAttribute("y1", py); crossH.setAttribute("y2", py);
    crossV.setAttribute("y1", 0); crossV.setAttribute("y2", size);
    crossV.setAttribute("x1", px); crossV.setAttribute("x2", px);
    crossDot.setAttribute("cx", px); crossDot.setAttribute("cy", py);
  }

  /** Mark an encoded drawing: mu, and the 1- and 2-sigma ellipses from logvar (a dot for an AE). */
  function setMarker(mu, logvar) {
    if (!plane || !mu) {
      for (const node of [marker, marker2, markerDot, ...pin]) node.setAttribute("visibility", "hidden");
      return;
    }
    const [px, py] = toPx(plane.project(mu));
    const scale = size / (2 * view.range);
    const e = logvar ? ellipse(plane.cov(logvar.map((v) => Math.exp(v)))) : null;
    const rotate = `rotate(${e ? (-e.angle * 180) / Math.PI : 0} ${px} ${py})`;
    [marker, marker2].forEach((node, k) => {
      const n = k + 1; // sigmas
      Object.entries({ cx: px, cy: py, transform: rotate,
                       rx: e ? Math.max(n * e.rx * scale, 2 * n) : 6,
                       ry: e ? Math.max(n * e.ry * scale, 2 * n) : 6,
                       visibility: e || n === 1 ? "visible" : "hidden" })
        .forEach(([name, v]) => node.setAttribute(name, v));
    });
    for (const node of [markerDot, ...pin]) {
      node.setAttribute("cx", px); node.setAttribute("cy", py);
      node.setAttribute("visibility", "visible");
    }
  }

  /** Forget the background (another model: its old image must not sit under the new dots). */
  function clearBackground() {
    background = null;
    gaveUp = false; // the new model's picture is on its way
    backgroundKey = "";
    atlasData = null;
    centres = null;
    redraw();
  }

  function setEnds(a, b) {
    [a, b].forEach((z, k) => {
      if (!z || !plane) return ends[k].setAttribute("visibility", "hidden");
      const [px, py] = toPx(plane.project(z));
      ends[k].setAttribute("x", px); ends[k].setAttribute("y", py - 8);
      ends[k].setAttribute("visibility", "visible");
    });
  }

  /** Draw the interpolation's path through the latents of its frames (null hides it). */
  function setPath(zs) {
    pathZs = zs; // kept as latents: a new range or plane projects them again (page pass 5)
    const points = zs && plane ? zs.map((z) => toPx(plane.project(z)).join(",")).join(" ") : "";
    for (const line of [pathEdge, path]) {
      line.setAttribute("points", points);
      line.setAttribute("visibility", points ? "visible" : "hidden");
    }
  }

  /** The map as shown (the decoded grid and the test set's dots) as a PNG data URL. */
  function snapshot() {
    return canvas.toDataURL("image/png");
  }

  /** Show (or hide) the prior's circles; their centre is where z = 0 falls on the plane. */
  function setPrior(on) {
    priorOn = on;
    const [cx, cy] = plane && on ? toPx(plane.project(Array(dims).fill(0))) : [0, 0];
    priorRings.forEach((ring, k) => {
      Object.entries({ cx, cy, r: ((k + 1) * size) / (2 * view.range),
                       visibility: plane && on ? "visible" : "hidden" })
        .forEach(([name, v]) => ring.setAttribute(name, v));
    });
  }

  /** Dots for samples z ~ q(z|x) (the posterior-samples panel); none for an empty list. */
  function setSamples(zs) {
    samples = zs || [];
    sampleLayer.replaceChildren(...(plane ? samples : []).map((z) => {
      const [px, py] = toPx(plane.project(z));
      const dot = document.createElementNS(SVG_NS, "circle");
      Object.entries({ cx: px, cy: py, r: 2.2, fill: "#fff", stroke: "#0b5d85", "stroke-width": 1 })
        .forEach(([k, v]) => dot.setAttribute(k, String(v)));
      return dot;
    }));
  }

  /**
   * New model or plane.
   * @param {number} latentDim
   * @param {{plane?: string, dims?: number[] | null, range?: number, scatter?: boolean}} nextView
   * @param {{points: number[][], labels: number[], axes?: object} | null} atlas null: no scatter yet
   */
  function setView(latentDim, nextView, atlas) {
    view = { ...view, ...nextView };
    if (atlas !== atlasData) centres = null;
    atlasData = atlas;
    dims = latentDim;
    plane = makePlane(latentDim, view, atlas && atlas.axes);
    wrap.toggleAttribute("data-no-plane", !plane); // looks it: it takes no click (CSS)
    redraw();
    setPrior(priorOn);
    setSamples(samples);
    setPath(pathZs);
  }

  function setScatter(on) {
    view.scatter = on;
    redraw();
  }

  // Pointer, touch and keys (map-input.js): each move lands on the plane as a point (x, y); one
  // past the map's edge (a drag that left it) lands on the edge.
  const unit = (f) => Math.min(Math.max(f, 0), 1);
  const input = listenToMap(wrap, {
    plane: () => plane,
    view: () => view,
    toPlane: (fx, fy) => fromPx(unit(fx) * size, unit(fy) * size),
    onPick,
    onNoPlane,
  });

  return { setView, setScatter, loadBackground, clearBackground, setLegend, setMarker, setEnds,
           setPath, snapshot, setPrior, setSamples, backgroundFailed: () => failed,
           setCrosshair: (z) => { if (plane) input.keyFrom(plane.project(z)); setCrosshair(z); },
           plane: () => plane };
}
