// The decoded image in words, for a reader who cannot see it: where in the latent space it is
// decoded, and with which label. Its name said only "the digit decoded from the current latent"
// whatever z was, and "Random sample" and "Reset to 0" moved z without a word (page pass 22).

import { fixed2 } from "./thumbs.js";

/** How many of a long z's values are read out; the rest are counted. */
const READ_DIMS = 4;

/** "z0 -0.05, z1 0.20", and of a long z its first values and how many more. */
export function zWords(z) {
  const read = z.slice(0, READ_DIMS).map((v, d) => `z${d} ${fixed2(v)}`).join(", ");
  return z.length > READ_DIMS ? `${read} and ${z.length - READ_DIMS} more dims` : read;
}

/**
 * @param {{description: HTMLElement, said: HTMLElement}} els the decoded image's description
 *   (its aria-describedby: read when the image is reached, never announced) and a polite live
 *   region for the moves the buttons make
 */
export function createZWords({ description, said }) {
  let drawn = ""; // where the image on show was decoded
  /** The image on show was decoded here (it follows every drawn digit, a slider's too, silently:
   *  set on the move, it said "decoded at" a z the server had not answered for; page pass 23). */
  function describe(z, labelName) {
    const given = labelName === null ? "" : `, given the label ${labelName}`;
    drawn = `decoded at ${zWords(z)}${given}`;
    description.textContent = drawn;
  }

  /** The current z could not be decoded: the image on show is an earlier one, or none. */
  function stale() {
    description.textContent = drawn
      ? `the current z could not be decoded; it still shows the one ${drawn}`
      : "nothing decoded yet: the current z could not be decoded";
  }

  /** A new model: nothing of it is on show yet. */
  function clear() {
    drawn = "";
    description.textContent = "";
  }

  /** A button's move, said once: "A random z: z0 ..." or "z reset to 0". The same words again
   *  (a second Reset) differ by a no-break space, as the samples line's do, so they are said. */
  function sayMove(words) {
    said.textContent = said.textContent === words ? `${words}\u00a0` : words;
  }

  return { describe, stale, clear, sayMove };
}
