// On a phone, or a screen too short for the intro and the map together, the intro starts folded:
// the digit and the map come first. A classic script run where the intro ends, before the page
// is first drawn: folded by the page's module, once the modules had come, the intro was drawn
// open for a second (several at 800 ms of latency) and then jumped 560 px away under a reader
// (page pass 12).
if (window.matchMedia("(max-width: 640px), (max-height: 900px)").matches) {
  document.getElementById("intro").open = false;
}
