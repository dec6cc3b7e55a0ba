// Search-as-you-type on /answers/ (issue 9). The form works on its own (a GET with ?q=); this
// script only asks the same URL for the results fragment while typing and swaps it in, so
// the server's search is the only search. Served as a file because the CSP forbids inline
// scripts.
(() => {
  "use strict";

  const form = document.querySelector("form[data-answers-search]");
  const results = document.getElementById("answers-results");
  if (!form || !results) return;
  const input = form.querySelector("input[name=q]");
  let timer = null;
  let latest = 0;

  const update = async () => {
    const url = new URL(form.action, window.location.href);
    const query = input.value.trim();
    if (query) url.searchParams.set("q", query);
    const ticket = ++latest;
    let response;
    try {
      // The header asks the server for the fragment instead of the whole page.
      response = await fetch(url, { headers: { "X-Requested-With": "XMLHttpRequest" } });
    } catch {
      return; // offline: the submit button still works
    }
    // Typing fast starts several requests; only the newest may update the page.
    if (!response.ok || ticket !== latest) return;
    const html = await response.text();
    if (ticket !== latest) return;
    // DOMParser never runs scripts, and the server escaped every catalog text.
    const parsed = new DOMParser().parseFromString(html, "text/html");
    results.replaceChildren(...parsed.body.childNodes);
    window.history.replaceState(null, "", url);
  };

  input.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(update, 250);
  });
})();
