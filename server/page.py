"""The page's HTML, with the decoder file of the model its link names asked for at once.

The first digit waits for that file, and the page only learns its address after every module has
loaded and /api/models has answered: at 100 ms of latency five or six round trips go by first.
A link that names a model (every shared link does: the page writes its view into the address)
lets the server put a preload for that model's decoder file into the HTML, so it travels beside
the modules. A bare address gets no preload: which model the page opens then is the page's own
choice, not repeated here.
"""

from __future__ import annotations

import html
from pathlib import Path

from .registry import ModelRegistry, decoder_url

# The model list's preload: the decoder's goes right after it, in the same form.
ANCHOR = b'<link rel="preload" href="api/models" as="fetch" crossorigin>'


def page_html(index: Path, registry: ModelRegistry, model_id: str | None) -> bytes:
    """index.html, with a preload of `model_id`'s decoder file when that names a walkable model
    that has one (the page fetches it with the same relative address and mode)."""
    body = index.read_bytes()
    entry = registry.get(model_id) if model_id else None
    if entry is None or entry.decoder_file is None or not entry.model.capabilities.walkable:
        return body
    href = html.escape(decoder_url(entry.id, entry.decoder_file).lstrip("/"))
    link = f'\n  <link rel="preload" href="{href}" as="fetch" crossorigin>'.encode()
    return body.replace(ANCHOR, ANCHOR + link, 1)
