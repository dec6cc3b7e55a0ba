"""The article pages end to end through real forms and CSRF tokens (Q093, Q158, Q160).

Each browser is logged in through the login page; every POST carries the token read from
the page that holds its form, as a browser sends it.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from demo.extensions import db
from demo.models import Article, Comment, User, favorites, follows
from tests.articles.conftest import press, publish, token_from
from tests.support.accounts import AuthActions, csrf_token_in


def stored_article(slug: str) -> Article | None:
    """The article row as the database has it now (not a stale copy from the test session)."""
    db.session.expire_all()
    return db.session.scalar(select(Article).where(Article.slug == slug))


def count(table) -> int:
    """Rows in a table or association table."""
    return db.session.scalar(select(func.count()).select_from(table))


def field_errors(html: str, field_id: str) -> str:
    """The error list rendered right after one field (empty when it has none)."""
    match = re.search(rf'<ul class="field-errors" id="{field_id}-errors">(.*?)</ul>', html, re.S)
    return match[1] if match else ""


# --- Publishing and reading ----------------------------------------------------------------


def test_publishing_stores_the_article_with_sorted_tags_and_shows_it(ada):
    """A viewer publishes: 303 to the article, one row with its tags, shown on both pages."""
    response = publish(ada, title="Tags in Flask", body="Body text.", tags="zeta, Alpha beta,zeta")

    assert (response.status_code, response.location) == (303, "/articles/tags-in-flask")
    article = stored_article("tags-in-flask")
    assert article is not None and article.author.username == "ada"
    assert article.body == "Body text."
    assert [tag.name for tag in article.tags] == ["Alpha", "beta", "zeta"]

    page = ada.get("/articles/tags-in-flask").get_data(as_text=True)
    assert "<h1>Tags in Flask</h1>" in page and "<p>Body text.</p>" in page
    assert re.search(r'href="/articles\?tag=Alpha">Alpha</a>.*tag=beta.*tag=zeta', page)
    listing = ada.get("/articles").get_data(as_text=True)
    assert '<a href="/articles/tags-in-flask">Tags in Flask</a>' in listing
    assert 'href="/articles?tag=zeta">zeta</a>' in listing


@pytest.mark.answers("Q158")
def test_a_flash_message_is_shown_once_after_the_redirect(ada):
    """ "Article published." appears on the page the redirect leads to, then never again."""
    response = publish(ada)

    first = ada.get(response.location).get_data(as_text=True)
    again = ada.get(response.location).get_data(as_text=True)
    assert '<li class="flash flash-success">Article published.</li>' in first
    assert "Article published." not in again


@pytest.mark.answers("Q160")
def test_an_invalid_article_is_422_with_each_message_next_to_its_field(ada):
    """Blank title and 21 tags: the form comes back (422) with both errors, nothing stored."""
    tags = " ".join(f"t{number}" for number in range(21))
    response = publish(ada, title="  ", tags=tags)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This field is required." in field_errors(page, "title")
    assert "Use at most 20 tags." in field_errors(page, "tags")
    assert field_errors(page, "body") == ""
    assert 'aria-invalid="true"' in page and f'value="{", ".join(tags.split())}"' in page
    for name in ("title", "description", "body", "tags"):
        assert f'<label for="{name}">' in page
    assert count(Article) == 0


def test_a_tag_longer_than_the_column_is_refused(ada):
    """The custom validator names the tag that is too long for the 64-character column."""
    response = publish(ada, tags="ok " + "x" * 65)

    assert response.status_code == 422
    assert "at most 64 characters: " + "x" * 65 in field_errors(response.get_data(True), "tags")
    assert count(Article) == 0


def test_the_list_is_paged_newest_first_and_filtered_by_tag(ada):
    """Ten a page with links to the others; ?tag= keeps only matches; past the end is a 404."""
    for number in range(12):
        publish(ada, title=f"Post {number}", tags="even" if number % 2 == 0 else "odd")

    first = ada.get("/articles").get_data(as_text=True)
    titles = re.findall(r'<h2><a href="/articles/[^"]+">(Post \d+)</a></h2>', first)
    assert titles == [f"Post {number}" for number in range(11, 1, -1)]
    assert 'href="/articles?page=2" rel="next"' in first and "Page 1 of 2" in first

    second = ada.get("/articles?page=2").get_data(as_text=True)
    assert re.findall(r">(Post \d+)</a></h2>", second) == ["Post 1", "Post 0"]
    assert ada.get("/articles?page=3").status_code == 404
    assert ada.get("/articles?page=0").status_code == 404

    tagged = ada.get("/articles?tag=odd").get_data(as_text=True)
    odd = re.findall(r">(Post \d+)</a></h2>", tagged)
    assert odd == [f"Post {number}" for number in (11, 9, 7, 5, 3, 1)]
    assert "Articles tagged “odd”." in tagged


def test_a_title_that_would_shadow_the_new_article_form_gets_another_slug(ada):
    """An article titled "New" cannot take /articles/new, the form's address."""
    response = publish(ada, title="New")

    assert response.location == "/articles/new-2"
    assert "<h1>New</h1>" in ada.get("/articles/new-2").get_data(as_text=True)


# --- Comments, favourites, follows -----------------------------------------------------------


def test_a_comment_is_added_and_deleted_by_its_author(ada, slug):
    """Comment: 303 to its anchor, shown with a flash; the author's delete button removes it."""
    page = f"/articles/{slug}"
    response = press(ada, page, f"{page}/comments", body="Nice <em>post</em>")

    comment = db.session.scalar(select(Comment))
    assert response.status_code == 303
    assert response.location == f"{page}#comment-{comment.id}"
    shown = ada.get(page).get_data(as_text=True)
    assert "Comment added." in shown and "<p>Nice &lt;em&gt;post&lt;/em&gt;</p>" in shown

    response = press(ada, page, f"{page}/comments/{comment.id}/delete")
    assert (response.status_code, response.location) == (303, f"{page}#comments")
    assert count(Comment) == 0
    assert "Comment deleted." in ada.get(page).get_data(as_text=True)


def test_an_empty_comment_is_422_on_the_article_page(ada, slug):
    """The article page comes back with the message under the comment box; nothing stored."""
    response = press(ada, f"/articles/{slug}", f"/articles/{slug}/comments", body="   ")

    assert response.status_code == 422
    assert "This field is required." in field_errors(response.get_data(as_text=True), "body")
    assert count(Comment) == 0


def test_nobody_deletes_another_users_comment(ada, bob, slug):
    """Bob's delete of ada's comment is a 403 page and the comment stays."""
    page = f"/articles/{slug}"
    press(ada, page, f"{page}/comments", body="Mine")
    comment_id = db.session.scalar(select(Comment.id))

    response = press(bob, page, f"{page}/comments/{comment_id}/delete")
    assert response.status_code == 403 and response.mimetype == "text/html"
    assert count(Comment) == 1


def test_the_favourite_button_toggles_the_count(ada, bob, slug):
    """Favourite: one row, "1 favourite" and an Unfavourite button; Unfavourite undoes it."""
    page = f"/articles/{slug}"
    response = press(bob, page, f"{page}/favorite")

    assert (response.status_code, response.location) == (303, page)
    shown = bob.get(page).get_data(as_text=True)
    assert count(favorites) == 1
    assert '<span class="favorites-count">Favourites: 1</span>' in shown
    assert '<button type="submit">Unfavourite</button>' in shown

    press(bob, page, f"{page}/unfavorite")
    shown = bob.get(page).get_data(as_text=True)
    assert count(favorites) == 0
    assert '<span class="favorites-count">Favourites: 0</span>' in shown
    assert '<button type="submit">Favourite</button>' in shown


def test_a_reader_follows_and_unfollows_the_author(ada, bob, slug):
    """The follow button on the article stores the follow; unfollow removes it."""
    page = f"/articles/{slug}"
    press(bob, page, f"{page}/follow")

    assert count(follows) == 1
    shown = bob.get(page).get_data(as_text=True)
    assert "You now follow ada." in shown and ">Unfollow ada</button>" in shown
    press(bob, page, f"{page}/unfollow")
    assert count(follows) == 0


# --- Who may do what -------------------------------------------------------------------------


def test_the_author_edits_the_article_and_a_new_title_moves_it(ada, slug):
    """The edit form is filled in; saving a new title gives a new slug and new tags."""
    form = ada.get(f"/articles/{slug}/edit").get_data(as_text=True)
    assert 'value="Hello Flask"' in form and 'value="flask"' in form

    response = ada.post(
        f"/articles/{slug}/edit",
        data={
            "csrf_token": token_from(ada, f"/articles/{slug}/edit"),
            "title": "Goodbye Flask",
            "description": "Changed",
            "body": "New body",
            "tags": "python, web",
        },
    )
    assert (response.status_code, response.location) == (303, "/articles/goodbye-flask")
    article = stored_article("goodbye-flask")
    assert (article.title, article.body) == ("Goodbye Flask", "New body")
    assert [tag.name for tag in article.tags] == ["python", "web"]
    assert "Article updated." in ada.get(response.location).get_data(as_text=True)


def test_only_the_author_may_edit_or_delete(ada, bob, slug):
    """Bob (logged in) gets a 403 page for the edit form, its POST and delete; nothing changes."""
    page = f"/articles/{slug}"
    assert "Edit article" not in bob.get(page).get_data(as_text=True)

    refused = bob.get(f"{page}/edit")
    assert refused.status_code == 403 and refused.mimetype == "text/html"
    assert "Only its author may change or delete this." in refused.get_data(as_text=True)
    token = token_from(bob, page)
    edit = bob.post(f"{page}/edit", data={"csrf_token": token, "title": "Mine now"})
    delete = bob.post(f"{page}/delete", data={"csrf_token": token})
    assert (edit.status_code, delete.status_code) == (403, 403)
    assert stored_article(slug).title == "Hello Flask"


def test_the_author_deletes_the_article(ada, slug):
    """Delete: 303 to the list with a flash, the row gone."""
    response = press(ada, f"/articles/{slug}", f"/articles/{slug}/delete")

    assert (response.status_code, response.location) == (303, "/articles")
    assert stored_article(slug) is None
    assert "Article deleted." in ada.get("/articles").get_data(as_text=True)


def test_anonymous_writes_are_sent_to_the_login_page_and_back(new_client, slug):
    """No session: the form page and each action redirect to login, then back to the article."""
    browser = new_client()
    assert browser.get("/articles/new").location == "/auth/login?next=%2Farticles%2Fnew"

    page = browser.get(f"/articles/{slug}").get_data(as_text=True)
    assert "<form" not in page.split("<main>")[1] and "to comment or favourite" in page
    response = browser.post(
        f"/articles/{slug}/favorite", data={"csrf_token": token_from(browser, "/auth/login")}
    )
    assert response.status_code == 303
    assert response.location == f"/auth/login?next=%2Farticles%2F{slug}"
    assert count(favorites) == 0

    response = AuthActions(browser).login("ada@example.com", next=f"/articles/{slug}")
    assert response.location == f"/articles/{slug}"


def test_a_viewer_without_the_editor_role_may_publish(ada):
    """As in Conduit, any logged-in account writes: ada has only the viewer role."""
    user = db.session.scalar(select(User).where(User.username == "ada"))
    assert [role.name for role in user.roles] == ["viewer"]
    assert publish(ada).status_code == 303


# --- Refused requests ------------------------------------------------------------------------


def test_an_unknown_article_is_a_404_page(ada):
    """An unknown slug: the site's HTML 404 page, for reading and for every action."""
    response = ada.get("/articles/no-such-article")

    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "There is no such article or comment." in response.get_data(as_text=True)
    token = token_from(ada, "/articles")
    for action in ("favorite", "comments", "delete", "edit"):
        posted = ada.post(f"/articles/no-such-article/{action}", data={"csrf_token": token})
        assert posted.status_code == 404, action


def test_html_in_an_article_is_shown_as_text_never_run(ada):
    """A <script> in the body, title or a tag is escaped on the page, never sent as markup."""
    response = publish(
        ada,
        title="<b>Bold</b>",
        body="<script>alert(1)</script>\n<img src=x onerror=alert(2)>",
        tags="<i>",
    )
    page = ada.get(response.location).get_data(as_text=True)

    assert "<script>alert" not in page and "<img src=x" not in page and "<b>Bold" not in page
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;<br>&lt;img src=x onerror=alert(2)&gt;"
    assert f"<p>{escaped}</p>" in page
    assert "<h1>&lt;b&gt;Bold&lt;/b&gt;</h1>" in page and ">&lt;i&gt;</a>" in page
    listing = ada.get("/articles?tag=<script>").get_data(as_text=True)
    assert "<script>" not in listing and "“&lt;script&gt;”" in listing


@pytest.mark.answers("Q093")
def test_a_write_without_a_csrf_token_is_a_400_page(ada, slug):
    """Logged in but no token, as a forged cross-site form would be: 400 page, no change."""
    created = ada.post("/articles/new", data={"title": "T", "description": "D", "body": "B"})
    favourite = ada.post(f"/articles/{slug}/favorite")

    assert (created.status_code, favourite.status_code) == (400, 400)
    assert created.mimetype == "text/html"
    assert "The CSRF token is missing." in created.get_data(as_text=True)
    assert count(Article) == 1 and count(favorites) == 0


def test_the_article_pages_are_translated(ada, slug):
    """With French chosen by the browser, flashes, buttons and counts are in French."""
    french = {"Accept-Language": "fr"}
    page = f"/articles/{slug}"
    token = csrf_token_in(ada.get(page, headers=french).get_data(as_text=True))
    ada.post(f"{page}/comments", data={"csrf_token": token, "body": "Salut"}, headers=french)

    shown = ada.get(page, headers=french).get_data(as_text=True)
    assert '<html lang="fr">' in shown and "Commentaire ajouté." in shown
    assert ">Ajouter aux favoris</button>" in shown and ">Favoris : 0</span>" in shown
    assert '<label for="body">Votre commentaire</label>' in shown
    listing = ada.get("/articles", headers=french).get_data(as_text=True)
    assert '<h2 id="tags-heading">Tags populaires</h2>' in listing


def test_nul_characters_are_refused_before_the_database(ada, slug):
    """U+0000, which PostgreSQL text cannot hold: 422 on forms, 400 in filters, 404 in slugs."""
    article = publish(ada, title="Null\x00byte", tags="ok bad\x00tag")
    comment = press(ada, f"/articles/{slug}", f"/articles/{slug}/comments", body="a\x00b")

    assert (article.status_code, comment.status_code) == (422, 422)
    message = "Remove the NUL character (U+0000): it cannot be stored."
    page = article.get_data(as_text=True)
    assert message in field_errors(page, "title") and message in field_errors(page, "tags")
    assert message in field_errors(comment.get_data(as_text=True), "body")
    assert ada.get("/articles?tag=a%00b").status_code == 400
    assert ada.get("/articles?author=a%00b").status_code == 400
    assert ada.get("/articles/a%00b").status_code == 404
    assert (count(Article), count(Comment)) == (1, 0)
