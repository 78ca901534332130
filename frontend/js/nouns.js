// The page's nouns follow the model: what one image shows ("digit", "item") and its plural are
// declared by the model's data set in /api/models (data.item, data.items), never guessed from a
// model's name or kind. index.html marks the words that follow the selected model:
//   <span data-noun="singular">digit</span>, data-noun="plural"; data-noun-cap where the word
//   starts a sentence or a heading, data-noun-article for "a digit" / "an item";
//   data-noun-aria-label="the {item} decoded ..." (and -alt, -download) for attributes, with
//   {item}, {items}, {an item} and the capitalised {Item}, {Items}, {An item} in the template.
// A panel that follows its own model (the completion panel) carries no marks.

import { withArticle } from "./thumbs.js";

/** Attributes that may name the noun; each has a data-noun-<attribute> template. */
const TEMPLATED_ATTRIBUTES = ["aria-label", "alt", "download"];

/** @param {string} word */
const capitalise = (word) => word.charAt(0).toUpperCase() + word.slice(1);

/**
 * The words for a model's images.
 * @param {object} model an entry of /api/models
 * @returns {{item: string, items: string, "an item": string}}
 */
function nounsOf(model) {
  const { item, items } = model.data;
  return { item, items, "an item": withArticle(item) };
}

/**
 * A template with the model's nouns filled in: "{An item} is drawn" -> "A digit is drawn".
 * @param {string} template
 * @param {object} model an entry of /api/models
 */
export function fillNouns(template, model) {
  const words = nounsOf(model);
  return template.replace(/\{(an item|items|item)\}/gi, (token, key) => {
    const word = words[key.toLowerCase()];
    return key.charAt(0) === key.charAt(0).toUpperCase() ? capitalise(word) : word;
  });
}

/**
 * Put the model's nouns into every marked word and attribute under `root`.
 * @param {ParentNode} root
 * @param {object} model an entry of /api/models
 */
export function applyNouns(root, model) {
  const words = nounsOf(model);
  for (const el of root.querySelectorAll("[data-noun]")) {
    let word = el.dataset.noun === "plural" ? words.items : words.item;
    if ("nounArticle" in el.dataset) word = withArticle(word);
    el.textContent = "nounCap" in el.dataset ? capitalise(word) : word;
  }
  for (const attribute of TEMPLATED_ATTRIBUTES) {
    for (const el of root.querySelectorAll(`[data-noun-${attribute}]`)) {
      el.setAttribute(attribute, fillNouns(el.getAttribute(`data-noun-${attribute}`), model));
    }
  }
}
