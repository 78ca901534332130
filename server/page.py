"""The page's HTML, with the decoder file of the model its link names asked for at once.

The first digit waits for that file, and the page only learns its address after every module has
loaded and /api/models has answered: at 100 ms of latency five or six round trips go by first.
The server knows which model the page will open: the one its link names (every shared link
does: the page writes its view into the address) if the page can walk it, else the default that
index.html names in its `default-model` meta tag (the page reads the same tag). It puts a preload
of that model's decoder file into the HTML, so the file travels beside the modules.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import unquote_plus

from .registry import ModelEntry, ModelRegistry, decoder_url

# The model list's preload: the decoder's goes right after it, in the same form.
ANCHOR = b'<link rel="preload" href="api/models" as="fetch" crossorigin>'


DEFAULT = re.compile(rb'<meta name="default-model" content="([A-Za-z0-9._-]+)">')


MAX_SCANNED = 2048  # bytes of a page's query read for its model: real links hold ~300


def named_model(query: bytes) -> str | None:
    """The first `model=` of the page's query string (as the page's URLSearchParams.get reads
    it), from at most MAX_SCANNED bytes: the API's cap on query fields does not cover the page,
    and a 64 KB query parsed whole cost ~22 ms of the event loop."""
    for part in query[:MAX_SCANNED].split(b"&"):
        name, _, value = part.partition(b"=")
        if unquote_plus(name.decode("latin-1")) == "model":
            return unquote_plus(value.decode("latin-1"))
    return None


def opened(registry: ModelRegistry, model_id: str | None, default: str | None) -> ModelEntry | None:
    """The model the page opens for this link: the one named, if walkable, else the default."""
    for candidate in (model_id, default):
        entry = registry.get(candidate) if candidate else None
        if entry is not None and entry.model.capabilities.walkable:
            return entry
    return None


def page_html(index: Path, registry: ModelRegistry, model_id: str | None) -> bytes:
    """index.html, with a preload of the decoder file of the model the page will open, when it
    has one (the page fetches it with the same relative address and mode)."""
    body = index.read_bytes()
    default = DEFAULT.search(body)
    entry = opened(registry, model_id, default[1].decode() if default else None)
    if entry is None or entry.decoder_file is None:
        return body
    href = html.escape(decoder_url(entry.id, entry.decoder_file).lstrip("/"))
    link = f'\n  <link rel="preload" href="{href}" as="fetch" crossorigin>'.encode()
    return body.replace(ANCHOR, ANCHOR + link, 1)
