"""Comments on an article: /api/articles/<slug>/comments[/<id>]."""

from __future__ import annotations

from typing import Any

from flask import Response

from demo.api import bp, no_content, services
from demo.api.docs import Auth, operation
from demo.api.parsing import load_body
from demo.api.schemas import MultipleCommentsResponse, NewCommentRequest, SingleCommentResponse
from demo.api.security import auth_optional, auth_required, signed_in_viewer, viewer

TAG = "Comments"
MAX_ID = 2**31 - 1  # the largest value of the INTEGER primary key on every database
comment_response = SingleCommentResponse()
comments_response = MultipleCommentsResponse()


@bp.get("/articles/<slug>/comments")
@operation(tag=TAG, auth=Auth.OPTIONAL, responses={200: MultipleCommentsResponse})
@auth_optional
def list_comments(slug: str) -> dict[str, Any]:
    """The article's comments, newest first; 404 for an unknown article."""
    return comments_response.dump(services.list_comments(slug, viewer()))


@bp.post("/articles/<slug>/comments")
@operation(
    tag=TAG, auth=Auth.REQUIRED, body=NewCommentRequest, responses={200: SingleCommentResponse}
)
@auth_required
def add_comment(slug: str) -> tuple[dict[str, Any], int]:
    """Comment on an article: 200 with the comment, as openapi.yml says (not 201)."""
    fields = load_body(NewCommentRequest())["comment"]
    return comment_response.dump(services.add_comment(signed_in_viewer(), slug, **fields)), 200


# `max`: a larger id is no comment (a 404 from routing), not an integer overflow in the database.
@bp.delete(f"/articles/<slug>/comments/<int(max={MAX_ID}):comment_id>")
@operation(tag=TAG, auth=Auth.REQUIRED, responses={204: None}, errors=(403,))
@auth_required
def delete_comment(slug: str, comment_id: int) -> Response:
    """Delete one's own comment: 204; another user's: 403; not on this article: 404."""
    services.delete_comment(signed_in_viewer(), slug, comment_id)
    return no_content()
