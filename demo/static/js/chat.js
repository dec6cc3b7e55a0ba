// The chat page (Q125): join the article's room on /chat, show every message the room gets.
// Settings come from data- attributes: the CSP forbids inline scripts.
(() => {
  "use strict";

  const root = document.getElementById("chat");
  if (!root || typeof io !== "function") return;

  const slug = root.dataset.slug;
  const status = document.getElementById("chat-status");
  const log = document.getElementById("chat-log");
  const form = document.getElementById("chat-form");
  const input = document.getElementById("chat-text");
  const button = form.querySelector("button");
  const errorBox = document.getElementById("chat-error");

  const setStatus = (text) => { status.textContent = text; };
  const setReady = (ready) => { input.disabled = !ready; button.disabled = !ready; };
  const showError = (text) => { errorBox.textContent = text; errorBox.hidden = !text; };

  // textContent only: a message is text, never markup.
  const show = (message) => {
    const item = document.createElement("li");
    item.dataset.id = message.id;
    const who = document.createElement("strong");
    who.className = "chat-username";
    who.textContent = message.username;
    const when = document.createElement("time");
    when.dateTime = message.sent_at;
    when.textContent = new Date(message.sent_at).toLocaleTimeString();
    const text = document.createElement("span");
    text.className = "chat-text";
    text.textContent = message.text;
    item.append(who, " ", when, " ", text);
    log.append(item);
  };

  // WebSocket only, no long-polling first: every request of a session then rides one
  // connection, so a load balancer needs no sticky sessions to keep it on one process.
  const socket = io(root.dataset.namespace, { transports: ["websocket"] });

  // (Re)join on every connect: rooms belong to a connection and die with it.
  socket.on("connect", () => {
    socket.emit("join", { slug }, (ack) => {
      if (ack.ok) {
        setStatus("Connected");
        setReady(true);
        root.dataset.state = "joined";
      } else {
        setStatus("Could not join");
        showError(ack.error);
      }
    });
  });
  socket.on("connect_error", (err) => { setStatus(`Not connected: ${err.message}`); setReady(false); });
  socket.on("disconnect", () => { setStatus("Disconnected, retrying…"); setReady(false); });
  socket.on("message", show);
  socket.on("error", (problem) => showError(`${problem.event}: ${problem.error}`));

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    showError("");
    socket.emit("message", { slug, text: input.value }, (ack) => {
      if (ack.ok) input.value = "";
      else showError(ack.error);
    });
  });
})();
