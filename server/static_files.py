"""The page's files (/assets) and Swagger UI's (/docs-assets), revalidated on every use.

The page loads its ES modules by fixed names (no build step, so no hashed names), and they went
out with an ETag and Last-Modified but no Cache-Control: a browser may then reuse a module without
asking for up to a tenth of its age (RFC 9111, 4.2.2), so after an upgrade a visitor could run
the new page with modules cached from the old one (hostile pass 17). `no-cache` keeps them in the
cache and asks each time: an unchanged file is a 304 of a few hundred bytes.
"""

from __future__ import annotations

import os

from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Scope

# The files /docs loads. The package's folder also holds six source maps of 1.2-1.9 MB, a
# template and other pages /docs never asks for, the largest things a client could ask this
# server to send or compress (hostile pass 15): not served.
DOCS_FILES = frozenset({"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"})


class RevalidatedFiles(StaticFiles):
    """Static files with `Cache-Control: no-cache`; a file's name with a '/' after it is no file
    (Starlette's path normalising served `swagger-ui.css/` as the file; hostile pass 17)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        if scope["path"].endswith("/") and path not in ("", "."):
            raise HTTPException(status_code=404)
        return await super().get_response(path, scope)

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["cache-control"] = "no-cache"
        return response


class DocsAssets(RevalidatedFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        if path not in DOCS_FILES:
            raise HTTPException(status_code=404)
        return await super().get_response(path, scope)
