// A row or grid of small digit images (samples, the style row, interpolation frames).

/**
 * @param {HTMLElement} root
 * @param {string[]} images PNG data URLs
 * @param {string[]} [captions] one per image, shown under it
 */
export function showThumbs(root, images, captions = null) {
  root.replaceChildren(
    ...images.map((src, k) => {
      const img = document.createElement("img");
      img.src = src;
      img.alt = captions ? `digit decoded as ${captions[k]}` : `digit ${k + 1}`;
      if (!captions) return img;
      const figure = document.createElement("figure");
      const caption = document.createElement("figcaption");
      caption.textContent = captions[k];
      figure.append(img, caption);
      return figure;
    }),
  );
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
      if (k === best) name.className = "top";
      const bar = document.createElement("div");
      bar.className = "bar";
      const fill = document.createElement("span");
      fill.style.width = `${(100 * p).toFixed(1)}%`;
      bar.append(fill);
      const value = document.createElement("output");
      value.textContent = `${(100 * p).toFixed(1)}%`;
      return [name, bar, value];
    }),
  );
  root.hidden = false;
}
