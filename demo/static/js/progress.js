// The live export page (Q125): start an export, then follow the task_progress pushes the
// Celery worker sends to this user's room on /notifications. Settings come from data-
// attributes: the CSP forbids inline scripts.
(() => {
  "use strict";

  const root = document.getElementById("export");
  if (!root || typeof io !== "function") return;

  const form = document.getElementById("export-form");
  const button = form.querySelector("button");
  const status = document.getElementById("export-status");
  const bar = document.getElementById("export-progress");
  const percentText = document.getElementById("export-percent");
  const result = document.getElementById("export-result");
  const download = document.getElementById("export-download");
  const errorBox = document.getElementById("export-error");

  let taskId = null;
  // Pushes can beat the POST's response (a fast worker, or inline mode), so updates for
  // tasks not yet known are kept until the response names the task.
  const early = new Map();
  let best = -1;

  const showError = (text) => { errorBox.textContent = text; errorBox.hidden = !text; };

  const apply = (update) => {
    const percent = Number(update.percent) || 0;
    // Pushes and the POST's answer can arrive in any order: never move backwards.
    if (percent < best && update.state !== "FAILURE") return;
    best = Math.max(best, percent);
    bar.value = percent;
    bar.textContent = `${percent}%`;
    percentText.textContent = `${percent}%`;
    status.textContent = update.state;
    root.dataset.state = update.state;
    const link = update.result_url || update.download_url;
    if (update.state === "SUCCESS" && link) {
      download.href = link;
      result.hidden = false;
      button.disabled = false;
    } else if (update.state === "FAILURE") {
      showError(update.error || "The export failed.");
      button.disabled = false;
    }
  };

  const socket = io(root.dataset.namespace, { transports: ["websocket"] });
  socket.on("connect", () => {
    if (!taskId) status.textContent = "Ready";
    button.disabled = false;
  });
  socket.on("connect_error", (err) => { status.textContent = `Not connected: ${err.message}`; });
  socket.on(root.dataset.event, (update) => {
    if (update.task_id === taskId) apply(update);
    else if (!taskId) early.set(update.task_id, [...(early.get(update.task_id) || []), update]);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError("");
    result.hidden = true;
    button.disabled = true;
    taskId = null;
    best = -1;
    early.clear();
    status.textContent = "Starting…";
    try {
      const response = await fetch(root.dataset.startUrl, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": root.dataset.csrfToken,
        },
        body: JSON.stringify({ format: form.elements.format.value }),
      });
      const body = await response.json();
      if (!response.ok) throw new Error((body.errors && body.errors.body || ["failed"]).join(" "));
      taskId = body.task.id;
      root.dataset.taskId = taskId;
      (early.get(taskId) || []).forEach(apply);
      early.clear();
      apply(body.task);
    } catch (err) {
      showError(`Could not start the export: ${err.message}`);
      button.disabled = false;
    }
  });
})();
