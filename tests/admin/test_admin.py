"""Flask-Admin at /admin: admins only, no password hashes, CSRF on every form (Q136)."""

from __future__ import annotations

import base64
import hashlib
import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from demo import create_app
from demo.extensions import db
from demo.models import Article, Comment, Role, User
from tests.support.accounts import AuthActions, csrf_token_in

ADMIN_PAGES = ["/admin/", "/admin/users/", "/admin/roles/", "/admin/articles/", "/admin/comments/"]


def browser_for(new_client, make_user, username: str, role: str):
    """A browser logged in as a new user holding `role`."""
    make_user(username, roles=(role,))
    browser = new_client()
    assert AuthActions(browser).login(f"{username}@example.com").status_code == 303
    return browser


@pytest.fixture
def admin_browser(new_client, make_user):
    """A browser logged in as an admin."""
    return browser_for(new_client, make_user, "root", "admin")


@pytest.fixture
def article(make_user):
    """An article by an editor, with one comment."""
    author = make_user("writer", roles=("editor",))
    article = Article(
        slug="first-draft", title="First draft", description="d", body="b", author=author
    )
    db.session.add_all([article, Comment(body="Nice.", article=article, author=author)])
    db.session.commit()
    return article


def edit_article(browser, article_id: int, title: str, token: str | None):
    """POST Flask-Admin's edit form for an article, with or without a CSRF token."""
    data = {"title": title, "description": "d", "body": "b"}
    if token is not None:
        data["csrf_token"] = token
    return browser.post(f"/admin/articles/edit/?id={article_id}", data=data)


def stored_title(article_id: int) -> str:
    """The title as the database has it now, not as the session remembers it."""
    db.session.expire_all()
    return db.session.scalar(select(Article.title).where(Article.id == article_id))


# --- Who gets in --------------------------------------------------------------------------


@pytest.mark.answers("Q136")
@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(new_client, path):
    """Not logged in: a redirect to the login page with ?next= pointing back, no admin HTML."""
    response = new_client().get(path)

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/auth/login"
    assert parse_qs(location.query)["next"] == [path]


@pytest.mark.answers("Q136")
@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_logged_in_users_without_admin_access_get_the_403_page(new_client, make_user, role):
    """Viewers and editors are known but lack ``admin:access``: the site's 403 page, each view."""
    browser = browser_for(new_client, make_user, f"{role}1", role)

    for path in ADMIN_PAGES:
        response = browser.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 403, path
        assert response.mimetype == "text/html"
        assert "You need the &#39;admin:access&#39; permission" in page
        assert "flaskproof admin" not in page


@pytest.mark.answers("Q136")
def test_an_editor_cannot_change_an_article_through_the_admin(new_client, make_user, article):
    """The guard covers POSTs too: a valid CSRF token does not make an editor an admin."""
    browser = browser_for(new_client, make_user, "eddie", "editor")
    token = csrf_token_in(browser.get("/language").get_data(as_text=True))

    response = edit_article(browser, article.id, "Hijacked", token)

    assert response.status_code == 403
    assert stored_title(article.id) == "First draft"


@pytest.mark.answers("Q136")
def test_admins_see_the_index_and_every_model_view(admin_browser, article):
    """An admin gets the index, with a menu entry per model, and each list with its rows."""
    index = admin_browser.get("/admin/")
    assert index.status_code == 200
    menu = index.get_data(as_text=True)
    for path in ADMIN_PAGES[1:]:
        assert f'href="{path}"' in menu

    lists = {path: admin_browser.get(path) for path in ADMIN_PAGES[1:]}
    assert all(response.status_code == 200 for response in lists.values())
    assert "root@example.com" in lists["/admin/users/"].get_data(as_text=True)
    assert "First draft" in lists["/admin/articles/"].get_data(as_text=True)
    assert "Nice." in lists["/admin/comments/"].get_data(as_text=True)
    roles = lists["/admin/roles/"].get_data(as_text=True)
    assert "admin" in roles and "editor" in roles


@pytest.mark.answers("Q136")
def test_the_admin_never_shows_a_password_hash(admin_browser, article):
    """No hash (nor a password column) in the user list, details, search or edit form."""
    user = db.session.scalar(select(User).where(User.username == "root"))
    pages = [
        "/admin/users/",
        f"/admin/users/details/?id={user.id}",
        f"/admin/users/edit/?id={user.id}",
        "/admin/users/?search=root",
    ]
    for path in pages:
        response = admin_browser.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert "root@example.com" in page, path
        assert user.password_hash not in page, path
        assert "$2b$" not in page and "password" not in page.lower(), path


# --- Editing, with and without CSRF -------------------------------------------------------


@pytest.mark.answers("Q136")
def test_editing_an_article_title_with_the_form_s_token_changes_the_row(admin_browser, article):
    """The edit form carries Flask-WTF's token; posting it back saves the new title."""
    form = admin_browser.get(f"/admin/articles/edit/?id={article.id}")
    token = csrf_token_in(form.get_data(as_text=True))

    response = edit_article(admin_browser, article.id, "Final title", token)

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/admin/articles/"
    assert stored_title(article.id) == "Final title"


@pytest.mark.answers("Q136")
@pytest.mark.parametrize("token", [None, "forged-token"])
def test_editing_without_a_valid_token_is_refused_with_400(admin_browser, article, token):
    """No token or a forged one: the app-wide CSRFProtect answers 400 and nothing changes."""
    response = edit_article(admin_browser, article.id, "Forged title", token)

    assert response.status_code == 400
    assert "This form could not be accepted" in response.get_data(as_text=True)
    assert stored_title(article.id) == "First draft"


@pytest.mark.answers("Q136")
def test_deleting_a_comment_needs_the_token_too(admin_browser, article):
    """The row's delete form posts the token; without it the comment stays."""
    comment_id = article.comments[0].id
    listing = admin_browser.get("/admin/comments/").get_data(as_text=True)
    token = csrf_token_in(listing)
    data = {"id": str(comment_id), "url": "/admin/comments/"}

    assert admin_browser.post("/admin/comments/delete/", data=data).status_code == 400
    assert db.session.get(Comment, comment_id) is not None

    response = admin_browser.post("/admin/comments/delete/", data={**data, "csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Comment, comment_id) is None


@pytest.mark.answers("Q136")
def test_admins_grant_roles_but_cannot_create_or_delete_them(admin_browser, make_user):
    """Roles are defined in code: no create or delete route answers, membership is editable."""
    assert admin_browser.get("/admin/roles/new/").status_code == 302  # back to the list
    assert admin_browser.get("/admin/users/new/").status_code == 302
    vera = make_user("vera", roles=("viewer",))
    editor = db.session.scalar(select(Role).where(Role.name == "editor"))
    editor = editor or Role(name="editor")
    db.session.add(editor)
    db.session.commit()
    form = admin_browser.get(f"/admin/users/edit/?id={vera.id}").get_data(as_text=True)

    response = admin_browser.post(
        f"/admin/users/edit/?id={vera.id}",
        data={
            "csrf_token": csrf_token_in(form),
            "username": "vera",
            "email": "vera@example.com",
            "roles": [str(editor.id)],
        },
    )

    assert response.status_code == 302
    db.session.expire_all()
    assert [role.name for role in db.session.get(User, vera.id).roles] == ["editor"]


# --- The admin under the site's Content-Security-Policy -----------------------------------


def inline_handlers(page: str) -> list[str]:
    """Every ``on...="..."`` attribute value in `page`, HTML entities decoded."""
    return [html.unescape(value) for value in re.findall(r'\son[a-z]+="([^"]*)"', page)]


def hash_source(handler: str) -> str:
    """The CSP source expression that allows exactly this inline handler."""
    digest = base64.b64encode(hashlib.sha256(handler.encode()).digest()).decode()
    return f"'sha256-{digest}'"


@pytest.mark.answers("Q136")
@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_admin_policy_allows_exactly_its_own_inline_handlers(admin_browser, article, language):
    """Each inline handler on the list page is allowed by hash; no 'unsafe-inline' anywhere."""
    response = admin_browser.get("/admin/comments/", headers={"Accept-Language": language})
    policy = response.headers["Content-Security-Policy"]
    handlers = inline_handlers(response.get_data(as_text=True))

    assert handlers  # the delete button's "Are you sure?" question
    assert all(hash_source(handler) in policy for handler in handlers)
    assert "'unsafe-inline'" not in policy and "frame-ancestors 'none'" in policy
    # The rest of the site keeps the policy without any hashes.
    assert "unsafe-hashes" not in admin_browser.get("/language").headers["Content-Security-Policy"]


# --- One Admin per app --------------------------------------------------------------------


@pytest.mark.answers("Q136")
def test_every_app_gets_its_own_admin_bound_to_itself(database_server):
    """Two apps from the factory: two Admin objects, each bound to its own app."""
    first, second = create_app("testing"), create_app("testing")
    (first_admin,) = first.extensions["admin"]
    (second_admin,) = second.extensions["admin"]

    assert first_admin is not second_admin
    assert first_admin.app is first and second_admin.app is second
    assert first.url_map.bind("").match("/admin/users/")[0] == "admin_users.index_view"


@pytest.mark.answers("Q136")
def test_the_admin_checks_a_picture_url_like_the_profile_form(admin_browser, make_user):
    """A ``javascript:`` picture is refused with the profile form's message; nothing is saved."""
    vera = make_user("vera")
    form = admin_browser.get(f"/admin/users/edit/?id={vera.id}").get_data(as_text=True)

    response = admin_browser.post(
        f"/admin/users/edit/?id={vera.id}",
        data={
            "csrf_token": csrf_token_in(form),
            "username": "vera",
            "email": "vera@example.com",
            "image": "javascript:alert(1)",
        },
    )

    assert response.status_code == 422  # the form again, with the error
    assert "Enter a full https:// address." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, vera.id).image is None
