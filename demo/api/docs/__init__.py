"""The Conduit API's OpenAPI document and its interactive docs (Q151).

- `operations`: `@operation(...)`, the per-view declaration the route modules use;
- `spec`: builds an OpenAPI 3 document with apispec from the URL map and the schemas;
- `routes`: serves it at GET /api/openapi.json and Swagger UI at GET /api/docs.
"""

from __future__ import annotations

from demo.api.docs.operations import Auth, operation

__all__ = ["Auth", "operation"]
