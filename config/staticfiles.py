"""Static files storage for production (collectstatic; served by whitenoise)."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Content-hashed names (whitenoise then serves them with a year-long immutable
    Cache-Control), gzip copies, and ES module imports rewritten to the hashed names.

    Without the rewriting, `app.<hash>.js` would still `import "./socket.js"`: the unhashed
    copy, cached for a minute only, stale after a deploy, and a second instance of a module
    that a page also loads by its hashed name.
    """

    support_js_module_import_aggregation = True
