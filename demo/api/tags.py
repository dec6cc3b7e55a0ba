"""The tag list: /api/tags, cached for everyone alike until an article write changes it."""

from __future__ import annotations

from typing import Any

from demo.api import bp, services
from demo.api.caching import cached_response
from demo.api.docs import operation
from demo.api.schemas import TagsResponse

tags_response = TagsResponse()


@bp.get("/tags")
@operation(tag="Tags", responses={200: TagsResponse}, conditional=True)
@cached_response(per_user=False)
def tags() -> dict[str, Any]:
    """Every tag in use, most used first (ties by name)."""
    return tags_response.dump(services.popular_tags())
