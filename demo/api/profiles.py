"""Profiles and following: /api/profiles/<username>[/follow]."""

from __future__ import annotations

from typing import Any

from demo.api import bp, services
from demo.api.schemas import ProfileResponse
from demo.api.security import auth_optional, auth_required, signed_in_viewer, viewer

profile_response = ProfileResponse()


@bp.get("/profiles/<username>")
@auth_optional
def profile(username: str) -> dict[str, Any]:
    """A user's public profile; `following` says whether the viewer follows them."""
    return profile_response.dump(services.get_profile(username, viewer()))


@bp.post("/profiles/<username>/follow")
@auth_required
def follow(username: str) -> dict[str, Any]:
    """Follow a user (idempotent); 200 with the profile, as the spec says."""
    return profile_response.dump(services.follow(signed_in_viewer(), username))


@bp.delete("/profiles/<username>/follow")
@auth_required
def unfollow(username: str) -> dict[str, Any]:
    """Unfollow a user (idempotent); 200 with the profile, not 204: the spec returns it."""
    return profile_response.dump(services.unfollow(signed_in_viewer(), username))
