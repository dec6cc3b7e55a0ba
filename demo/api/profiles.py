"""Profiles and following: /api/profiles/<username>[/follow]."""

from __future__ import annotations

from typing import Any

from demo.api import bp, services
from demo.api.docs import Auth, operation
from demo.api.schemas import ProfileResponse
from demo.api.security import auth_optional, auth_required, signed_in_viewer, viewer

TAG = "Profile"
profile_response = ProfileResponse()


@bp.get("/profiles/<username>")
@operation(tag=TAG, auth=Auth.OPTIONAL, responses={200: ProfileResponse})
@auth_optional
def profile(username: str) -> dict[str, Any]:
    """A user's public profile; `following` says whether the viewer follows them."""
    return profile_response.dump(services.get_profile(username, viewer()))


@bp.post("/profiles/<username>/follow")
@operation(tag=TAG, auth=Auth.REQUIRED, responses={200: ProfileResponse}, errors=(422,))
@auth_required
def follow(username: str) -> dict[str, Any]:
    """Follow a user (idempotent); 200 with the profile, as the spec says."""
    return profile_response.dump(services.follow(signed_in_viewer(), username))


@bp.delete("/profiles/<username>/follow")
@operation(tag=TAG, auth=Auth.REQUIRED, responses={200: ProfileResponse})
@auth_required
def unfollow(username: str) -> dict[str, Any]:
    """Unfollow a user (idempotent); 200 with the profile, not 204: the spec returns it."""
    return profile_response.dump(services.unfollow(signed_in_viewer(), username))
