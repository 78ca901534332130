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
