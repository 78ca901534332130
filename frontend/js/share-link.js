// "Copy link": the view's link (url-state.js) to the clipboard, and a line on what it leaves out
// (the drawing) and where it does not reach (a loopback address names the sender's computer).

const LOOPBACK = ["127.0.0.1", "localhost", "[::1]"];

/**
 * @param {{button: HTMLButtonElement, note: HTMLElement}} els
 * @param {() => string} query the current view as a link's query
 * @param {() => void} beforeCopy called first (main.js drops its pending address update)
 * @returns {{hide: () => void}} hide the note (the view moved on: it spoke of an older link)
 */
export function createShareLink({ button, note }, query, beforeCopy = () => {}) {
  async function copy() {
    beforeCopy();
    const url = new URL(query(), location.href).href;
    history.replaceState(null, "", url);
    let copied = false;
    try {
      await navigator.clipboard.writeText(url); // only in a secure context (https, localhost)
      copied = true;
    } catch {
      copied = false;
    }
    note.textContent = (copied ? "Link copied" : `Copy this link: ${url}`) +
      " (model, z, label, map, interpolation and temperature; not the drawing)." +
      (LOOPBACK.includes(location.hostname)
        ? " It names this computer: to share it, run the server where others can reach it " +
          "(latent-explorer serve --host 0.0.0.0) and send its address instead."
        : "");
    note.hidden = false;
  }

  button.addEventListener("click", copy);
  return { hide: () => { note.hidden = true; } };
}
