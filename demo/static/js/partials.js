// "Load more" as a partial update (Q064): fetch the next page as an HTML fragment and append
// its items, instead of loading a whole page. Without this script the link still works: it
// is an ordinary link to the next page. Served as a file because the CSP forbids inline
// scripts.
(() => {
  "use strict";

  const root = document.querySelector("[data-partial-list]");
  if (!root) return;
  const status = document.getElementById("question-status");

  root.addEventListener("click", async (event) => {
    const link = event.target.closest("a[data-load-more]");
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey) return;
    event.preventDefault();
    link.setAttribute("aria-disabled", "true");
    let response;
    try {
      // fetch() sends no X-Requested-With by itself; this header is what asks for a fragment.
      response = await fetch(link.href, { headers: { "X-Requested-With": "XMLHttpRequest" } });
    } catch {
      window.location.assign(link.href); // offline or blocked: fall back to the full page
      return;
    }
    if (!response.ok) {
      window.location.assign(link.href);
      return;
    }
    // DOMParser never runs scripts, and the server escaped every value in the fragment.
    const fragment = new DOMParser().parseFromString(await response.text(), "text/html");
    const list = root.querySelector("ol");
    const items = [...fragment.querySelectorAll("ol > li")];
    items.forEach((item) => list.append(item));
    root.querySelector("nav.pager").replaceWith(fragment.querySelector("nav.pager"));
    if (items.length) {
      // Keyboard and screen-reader users continue at the first new question.
      items[0].tabIndex = -1;
      items[0].focus();
      status.textContent = `${items.length} more questions loaded.`;
    }
  });
})();
