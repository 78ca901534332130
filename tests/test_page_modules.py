"""Every module the page imports is preloaded by index.html: at 100 ms of latency each module
found only by reading its importer costs another round trip (a waterfall of 3-4 levels)."""

from __future__ import annotations

import re

from tests.conftest import ROOT

JS = ROOT / "frontend" / "js"
IMPORT = re.compile(r"""^\s*import\b[^"']*["']\./([\w-]+\.js)["']""", re.M)


def imported_from(entry: str) -> set[str]:
    seen, todo = set(), [entry]
    while todo:
        name = todo.pop()
        for dep in IMPORT.findall((JS / name).read_text()):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


def test_every_imported_module_is_preloaded() -> None:
    html = (ROOT / "frontend" / "index.html").read_text()
    preloaded = set(re.findall(r'rel="modulepreload" href="assets/js/([\w-]+\.js)"', html))
    needed = imported_from("main.js")
    assert "draw-flow.js" in needed and len(needed) > 20  # the scan found the imports
    assert needed - preloaded == set(), "imported but not preloaded"
    assert preloaded - needed == set(), "preloaded but never imported"
