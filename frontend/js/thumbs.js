// A row or grid of small decoded images (samples, the style row, interpolation frames), and the
// small words and numbers written beside them.

/** Two decimals, without a "-0.00" for a value that rounds to zero. */
export const fixed2 = (v) => (Math.abs(v) < 0.005 ? "0.00" : v.toFixed(2));

/** A σ as every line of the page writes it: two significant digits below 0.1 (0.067, not 0.07),
 *  else two decimals. The line, the samples' note and the zoom gave one drawing's σ as 0.06,
 *  0.07 and 0.065 (page pass 26). */
export const sigmaText = (v) => (v >= 0.1 ? v.toFixed(2) : v.toPrecision(2));

/**
 * @param {HTMLElement} root
 * @param {string[]} images PNG data URLs
 * @param {string[]} [captions] one per image, shown under it
 * @param {(k: number) => string} [describe] each image's alt text; without one, a captioned
 *   image's is empty (its caption names it: the label was read twice, page pass 22)
 * @param {((k: number) => void) | null} [pick] each image a button that calls it
 */
export function showThumbs(root, images, captions = null, describe = null, pick = null) {
  root.replaceChildren(
    ...images.map((src, k) => {
      const img = document.createElement("img");
      img.src = src;
      // No noun: the rows show whichever data set's images (nouns.js names them elsewhere).
      img.alt = describe ? describe(k) : captions ? "" : `image ${k + 1}`;
      if (pick) {
        // A button named by its image: a tap on a sample did nothing (page pass 24).
        const button = document.createElement("button");
        button.type = "button";
        button.className = "thumb-pick";
        button.append(img);
        button.addEventListener("click", () => pick(k));
        return button;
      }
      if (!captions) return img;
      const figure = document.createElement("figure");
      const caption = document.createElement("figcaption");
      caption.textContent = captions[k];
      figure.append(img, caption);
      return figure;
    }),
  );
}

/** A probability as a person can read it: never "0.0%" or "100.0%" for what is not exactly so. */
function formatProbability(p) {
  if (p < 0.001) return "<0.1%";
  if (p > 0.999) return ">99.9%";
  return `${(100 * p).toFixed(1)}%`;
}

/** "a 7", "an 8": the article that goes before a class name when it is read aloud. */
export function withArticle(name) {
  return /^(8|11|18|e|a|i|o|u)/i.test(name) ? `an ${name}` : `a ${name}`;
}

/**
 * Label `k` as a sentence names it: its data set's phrase ("an 8", "trousers", "an ankle boot"),
 * or, where the data set declares none, its name with an article.
 * @param {object} model an entry of /api/models
 * @param {number} k
 */
export function classPhrase(model, k) {
  const phrases = model.data.class_phrases;
  return phrases ? phrases[k] : withArticle(model.data.class_names[k]);
}

/**
 * A bar chart of class probabilities, the most probable highlighted.
 * @param {HTMLElement} root
 * @param {number[]} probs
 * @param {string[]} names
 */
export function showBars(root, probs, names) {
  const best = probs.indexOf(Math.max(...probs));
  root.replaceChildren(
    ...probs.flatMap((p, k) => {
      const name = document.createElement("span");
      name.textContent = names[k];
      // Not "top": the header's class of that name would give the row its padding.
      if (k === best) name.className = "best";
      const bar = document.createElement("div");
      bar.className = "bar";
      const fill = document.createElement("span");
      fill.style.width = `${(100 * p).toFixed(1)}%`;
      bar.append(fill);
      // A span, not an <output>: ten outputs were ten live regions (page pass 22).
      const value = document.createElement("span");
      value.className = "value";
      value.textContent = formatProbability(p);
      return [name, bar, value];
    }),
  );
  root.hidden = false;
}
