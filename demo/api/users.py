"""Registration, login and the current user: /api/users, /api/users/login, /api/user.

Two function views share the ``/user`` URL, one per method (Q082): `@bp.get` and `@bp.put`
are `route(..., methods=[...])` shortcuts, and any other method is a 405 with an `Allow`
header listing these.
"""

from __future__ import annotations

from typing import Any

from demo.api import bp, services
from demo.api.docs import Auth, operation
from demo.api.parsing import load_body
from demo.api.schemas import LoginRequest, NewUserRequest, UpdateUserRequest, UserResponse
from demo.api.security import auth_required, signed_in_viewer

TAG = "User and Authentication"
user_response = UserResponse()


@bp.post("/users")
@operation(tag=TAG, body=NewUserRequest, responses={201: UserResponse})
def register() -> tuple[dict[str, Any], int]:
    """Create an account: 201 with the user and a token."""
    fields = load_body(NewUserRequest())["user"]
    return user_response.dump(services.register(**fields)), 201


@bp.post("/users/login")
@operation(tag=TAG, body=LoginRequest, responses={200: UserResponse}, errors=(401,))
def login() -> dict[str, Any]:
    """Exchange an e-mail address and password for the user and a token (401 if wrong)."""
    fields = load_body(LoginRequest())["user"]
    return user_response.dump(services.login(fields["email"], fields["password"]))


@bp.get("/user")
@operation(tag=TAG, auth=Auth.REQUIRED, responses={200: UserResponse})
@auth_required
def current_user() -> dict[str, Any]:
    """The signed-in user, with a fresh token."""
    return user_response.dump(services.signed_in(signed_in_viewer()))


@bp.put("/user")
@operation(tag=TAG, auth=Auth.REQUIRED, body=UpdateUserRequest, responses={200: UserResponse})
@auth_required
def update_user() -> dict[str, Any]:
    """Change e-mail, username, password, bio or image; at least one of them."""
    changes = load_body(UpdateUserRequest())["user"]
    return user_response.dump(services.update_user(signed_in_viewer(), changes))
