"""The answers pages list what is answered and show one answer in full."""

from __future__ import annotations

from demo.answers.catalog import load_catalog


def test_answers_page_lists_every_answered_question(client):
    """`/answers/` links every catalogued question and shows the answered count."""
    catalog = load_catalog()
    response = client.get("/answers/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"{len(catalog)} of 172 questions answered" in html
    for qid in catalog:
        assert f'href="/answers/{qid}"' in html


def test_answer_page_shows_short_answer_code_and_tests(client):
    """`/answers/Q008` shows the question, its 30-second answer, its code and its tests."""
    answer = load_catalog()["Q008"]
    html = client.get("/answers/Q008").get_data(as_text=True)
    assert "What is the default host &amp; port of Flask?" in html
    assert "127.0.0.1, port 5000" in html
    assert answer.code[0] in html
    assert answer.tests[0] in html


def test_unknown_answer_is_a_404_page(client):
    """An ID with no answer is a 404 HTML page for a browser and JSON for an API client."""
    response = client.get("/answers/Q999")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "No answer for" in response.get_data(as_text=True)
    response = client.get("/answers/Q999", headers={"Accept": "application/json"})
    assert response.json == {"errors": {"body": ["No answer for 'Q999' yet."]}}


def test_home_page_links_the_answers(client):
    """The start page serves HTML linking the answers browser and the health probes."""
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'href="/answers/"' in html and 'href="/healthz"' in html
