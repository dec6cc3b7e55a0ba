"""The tag list: /api/tags."""

from __future__ import annotations


def test_tags_are_those_in_use_most_used_first(client, api_user, write_article):
    """GET /api/tags: no token needed; by use count, then name; unused tags are left out."""
    assert client.get("/api/tags").get_json() == {"tags": []}
    write_article(api_user, title="One", tagList=["dragons", "training"])
    write_article(api_user, title="Two", tagList=["dragons", "angular"])
    doomed = write_article(api_user, title="Three", tagList=["gone"])
    client.delete(f"/api/articles/{doomed['slug']}", headers=api_user.headers)
    response = client.get("/api/tags")
    assert response.status_code == 200
    assert response.get_json() == {"tags": ["dragons", "angular", "training"]}
