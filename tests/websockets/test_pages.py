"""The chat page: logged-in only, settings in data- attributes, no inline script (Q125)."""

from __future__ import annotations

import re

import pytest

from tests.websockets.conftest import log_in

pytestmark = pytest.mark.answers("Q125")


def test_the_chat_page_loads_the_socketio_client_and_its_own_script(app, client, ann):
    """The page names its article and namespace in data- attributes and loads two scripts."""
    response = log_in(app, client, ann).get("/chat/hello-world")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert 'data-slug="hello-world"' in html and 'data-namespace="/chat"' in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert [re.search(r'src="([^"]+)"', attrs)[1] for attrs, _ in scripts] == [
        "/static/vendor/socket.io.min.js",
        "/static/js/chat.js",
    ]
    assert all(body.strip() == "" for _, body in scripts)  # CSP: script-src 'self'


def test_the_chat_page_needs_a_login(client, ann):
    """Anonymous visitors do not get the page (the socket would refuse them anyway)."""
    response = client.get("/chat/hello-world")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


def test_the_chat_page_of_a_missing_article_is_404(app, client, ann):
    """No article, no room, no page."""
    assert log_in(app, client, ann).get("/chat/no-such-article").status_code == 404


def test_the_built_js_client_is_served_from_static(client):
    """`make assets` copied socket.io.min.js from node_modules; Flask serves it as static."""
    response = client.get("/static/vendor/socket.io.min.js")
    assert response.status_code == 200, "run `make assets` (npm ci + copy into demo/static/vendor)"
    assert b"Socket.IO" in response.data[:400] or b"socket.io" in response.data[:400]
    response.close()


def _export_settings(html):
    return {
        name: re.search(rf'data-{name}="([^"]+)"', html)[1]
        for name in ("namespace", "event", "start-url", "csrf-token")
    }


def test_the_export_page_starts_an_export_whose_progress_is_pushed(
    app, client, ann, connect, tmp_path
):
    """POST /live/export queues the task; its progress reaches the user's /notifications."""
    app.config["EXPORT_FOLDER"] = str(tmp_path)
    page = log_in(app, client, ann).get("/live/export")
    settings = _export_settings(page.get_data(as_text=True))
    assert (settings["namespace"], settings["event"]) == ("/notifications", "task_progress")
    tab = connect("/notifications", user=ann)

    response = client.post(
        settings["start-url"],
        json={"format": "json"},
        headers={"X-CSRFToken": settings["csrf-token"]},
    )

    assert response.status_code == 202
    task = response.get_json()["task"]
    # No broker in tests: the task ran inline, before the answer, pushing as it went.
    assert task["state"] == "SUCCESS" and task["download_url"] == f"/tasks/{task['id']}/download"
    pushes = [e["args"][0] for e in tab.get_received("/notifications")]
    assert [p["task_id"] for p in pushes] == [task["id"]] * len(pushes)
    assert [p["state"] for p in pushes][-1] == "SUCCESS"
    assert pushes[-1]["percent"] == 100 and pushes[-1]["result_url"] == task["download_url"]


@pytest.mark.parametrize(
    ("body", "with_token", "status"),
    [({"format": "json"}, False, 400), ({"format": "xml"}, True, 422)],
)
def test_starting_an_export_needs_the_csrf_token_and_a_known_format(
    app, client, ann, body, with_token, status
):
    """The page's POST is CSRF-protected like any form, and the format is validated."""
    page = log_in(app, client, ann).get("/live/export")
    headers = {"X-CSRFToken": _export_settings(page.get_data(as_text=True))["csrf-token"]}
    response = client.post("/live/export", json=body, headers=headers if with_token else {})
    assert response.status_code == status
    problem = response.get_json()["errors"]
    assert ("CSRF token is missing" in problem["body"][0]) if status == 400 else problem["format"]
