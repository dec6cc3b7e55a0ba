"""The read-only GraphQL endpoint (Strawberry) over the same data layer as REST (Q073)."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from demo import create_app
from demo.config import DevelopmentConfig, ProductionConfig
from demo.data.articles import ArticleFilters, list_articles
from demo.data.instrumentation import count_statements
from demo.data.reports import tag_counts
from tests.data.builders import make_article, make_user

START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
ARTICLE_FIELDS = """
    slug title description tagList createdAt updatedAt favoritesCount
    author { username bio image }
"""


@pytest.fixture
def library(db) -> None:
    """Two authors, four articles, three tags, two favourites: enough to filter and page."""
    ada = make_user("ada", bio="Counts things")
    bob = make_user("bob")
    make_article(ada, "engines", tags=["maths", "machines"], created_at=START, favorited_by=[bob])
    make_article(ada, "notes", tags=["maths"], created_at=START + timedelta(hours=1))
    make_article(bob, "looms", tags=["machines"], created_at=START + timedelta(hours=2))
    make_article(
        bob, "punch-cards", tags=["machines", "history"], created_at=START + timedelta(hours=3)
    )
    db.session.commit()


def shared_fields(article: dict[str, Any]) -> dict[str, Any]:
    """A REST list item without what GraphQL leaves out (the viewer's own flags)."""
    author = {key: article["author"][key] for key in ("username", "bio", "image")}
    keys = ("slug", "title", "description", "tagList", "createdAt", "updatedAt", "favoritesCount")
    return {key: article[key] for key in keys} | {"author": author}


def graphql(client: Any, query: str, **variables: Any) -> Any:
    """POST a GraphQL document the way every GraphQL client does."""
    return client.post("/api/graphql", json={"query": query, "variables": variables})


@pytest.mark.answers("Q073")
def test_articles_query_returns_what_the_rest_list_returns(client, library):
    """Same filters, same page, same fields: GraphQL and GET /api/articles agree."""
    query = f"""
        query ($tag: String, $limit: Int!, $offset: Int!) {{
          articles(tag: $tag, limit: $limit, offset: $offset) {{
            articlesCount articles {{ {ARTICLE_FIELDS} }}
          }}
        }}
    """
    answer = graphql(client, query, tag="machines", limit=2, offset=1)
    rest = client.get("/api/articles?tag=machines&limit=2&offset=1").get_json()

    assert answer.status_code == 200
    page = answer.get_json()["data"]["articles"]
    assert "errors" not in answer.get_json()
    assert page["articlesCount"] == rest["articlesCount"] == 3
    assert [a["slug"] for a in page["articles"]] == ["looms", "engines"]
    assert page["articles"] == [shared_fields(article) for article in rest["articles"]]


@pytest.mark.answers("Q073")
def test_the_resolvers_are_the_data_layer_functions(client, library):
    """Articles, tags and a profile's articles come straight from the shared query functions."""
    query = """{
      articles(author: "ada") { articlesCount articles { slug favoritesCount } }
      tags { name articleCount }
      profile(username: "ada") { username bio articles(limit: 1) { articles { slug } } }
    }"""
    data = graphql(client, query).get_json()["data"]

    expected = list_articles(ArticleFilters(author="ada"))
    assert data["articles"]["articlesCount"] == expected.total
    assert data["articles"]["articles"] == [
        {"slug": a["slug"], "favoritesCount": a["favoritesCount"]} for a in expected.articles
    ]
    assert data["tags"] == [{"name": t.tag, "articleCount": t.article_count} for t in tag_counts()]
    assert data["profile"] == {
        "username": "ada",
        "bio": "Counts things",
        "articles": {"articles": [{"slug": "notes"}]},
    }


@pytest.mark.answers("Q073")
def test_an_unknown_profile_is_null_not_an_error(client, library):
    """GraphQL answers a missing user with null data, where REST answers 404."""
    answer = graphql(client, '{ profile(username: "nobody") { username } }').get_json()

    assert answer == {"data": {"profile": None}}


@pytest.mark.answers("Q073")
def test_the_schema_has_no_mutations_so_writes_are_refused(client, library):
    """A mutation is refused over POST (schema) and over GET (transport); nothing changes."""
    posted = graphql(client, 'mutation { deleteArticle(slug: "engines") }')
    fetched = client.get("/api/graphql", query_string={"query": "mutation { x }"})

    assert posted.status_code == 200
    assert posted.get_json()["data"] is None
    assert "mutation operation is not supported" in posted.get_json()["errors"][0]["message"]
    assert fetched.status_code == 400
    assert fetched.get_json()["errors"]["body"] == ["mutations are not allowed when using GET"]
    assert list_articles().total == 4


@pytest.mark.answers("Q073")
def test_a_broken_query_is_a_200_with_graphql_errors(client):
    """Syntax and validation errors come back in `errors` with a location, per the GraphQL spec.

    Strawberry answers ``application/json``, for which the GraphQL-over-HTTP spec has servers
    use 200 for any well-formed HTTP request; the HTTP status is not the error channel.
    """
    syntax = graphql(client, "{ articles { articles { slug }")
    unknown = graphql(client, "{ tags { colour } }")

    for answer in (syntax, unknown):
        assert answer.status_code == 200
        body = answer.get_json()
        assert body["data"] is None
        assert body["errors"][0]["locations"]
    assert "Syntax Error" in syntax.get_json()["errors"][0]["message"]
    assert "Cannot query field 'colour'" in unknown.get_json()["errors"][0]["message"]


@pytest.mark.answers("Q073")
def test_an_abusively_nested_query_is_refused_before_any_sql_runs(app, client, library):
    """The depth limit rejects author -> articles -> author ... at validation: zero statements."""
    nested = "{ username }"
    for _ in range(4):
        nested = f"{{ articles {{ articles {{ author {nested} }} }} }}"
    query = f'{{ profile(username: "ada") {nested} }}'

    with count_statements(app.extensions["sqlalchemy"].engine) as statements:
        answer = graphql(client, query)

    assert answer.status_code == 200
    assert "exceeds maximum operation depth of 6" in answer.get_json()["errors"][0]["message"]
    assert statements.count == 0


@pytest.mark.answers("Q073")
def test_one_field_under_many_aliases_is_refused(client):
    """Aliases would multiply one cheap-looking field into many queries: at most 10."""
    fields = " ".join(f"a{n}: articles(limit: 100) {{ articlesCount }}" for n in range(11))

    answer = graphql(client, f"{{ {fields} }}")

    assert answer.get_json()["errors"][0]["message"] == "11 aliases found. Allowed: 10"


@pytest.mark.answers("Q073")
def test_page_sizes_have_the_rest_apis_bounds(client):
    """A limit above 100 is an error for that field, not a full table scan."""
    answer = graphql(client, "{ articles(limit: 1000) { articlesCount } }").get_json()

    assert answer["data"] is None
    assert answer["errors"][0]["message"] == "limit must be between 1 and 100"
    assert answer["errors"][0]["path"] == ["articles"]


@pytest.mark.answers("Q073")
def test_graphiql_is_served_in_development_only(client):
    """The in-browser IDE is on with the debugger; elsewhere its GET is a JSON 404."""
    browser = {"Accept": "text/html"}
    assert DevelopmentConfig(environ={}).GRAPHQL_IDE is True
    assert ProductionConfig(environ={}).GRAPHQL_IDE is False

    hidden = client.get("/api/graphql", headers=browser)
    shown = (
        create_app("testing", GRAPHQL_IDE=True).test_client().get("/api/graphql", headers=browser)
    )

    assert hidden.status_code == 404
    assert hidden.get_json()["errors"]["body"]
    assert shown.status_code == 200
    assert "graphiql" in shown.text.lower()


@pytest.mark.answers("Q073")
def test_transport_errors_use_the_api_error_shape(client):
    """A body that is not a GraphQL request is a 400 in the same JSON shape as REST errors."""
    not_json = client.post("/api/graphql", data="{ tags }", content_type="text/plain")
    no_query = client.post("/api/graphql", json={"variables": {}})

    assert (not_json.status_code, no_query.status_code) == (400, 400)
    assert not_json.get_json() == {"errors": {"body": ["Unsupported content type"]}}
    assert no_query.get_json()["errors"]["body"]


@pytest.mark.answers("Q073")
def test_flask_graphql_is_not_a_dependency(client):
    """The unmaintained Flask-GraphQL (graphql-core 2) is absent; Strawberry serves the API."""
    assert importlib.util.find_spec("flask_graphql") is None
    assert importlib.util.find_spec("graphql_server") is None

    answer = client.get("/api/graphql", query_string={"query": "{ __typename }"})

    assert answer.get_json() == {"data": {"__typename": "Query"}}
