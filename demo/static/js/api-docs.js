// Starts Swagger UI on /api/docs (Q151). A file, not an inline script: the page's
// Content-Security-Policy runs scripts from this origin only.
"use strict";

window.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    // No call to the public validator service: the page works offline.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
  });
});
