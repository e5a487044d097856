// The demo pages' use of the widget's host API (an external module: the pages' CSP allows no
// inline script). Buttons with `data-ask` open the chat and send their question; buttons with
// `data-chat` call that method; the widget's events are listed in `[data-role="events"]`.
const chat = document.querySelector("pomerium-chat");

await customElements.whenDefined("pomerium-chat");

for (const button of document.querySelectorAll("[data-ask]")) {
  button.addEventListener("click", () => {
    chat.open();
    chat.send(button.dataset.ask);
  });
}

for (const button of document.querySelectorAll("[data-chat]")) {
  button.addEventListener("click", () => chat[button.dataset.chat]());
}

const list = document.querySelector('[data-role="events"]');
for (const name of ["message", "error", "open", "close"]) {
  chat.addEventListener(`pomerium-chat:${name}`, (event) => {
    if (!list) return;
    const item = document.createElement("li");
    const detail = event.detail || {};
    const summary = detail.role
      ? `${detail.role}: ${String(detail.content).slice(0, 60)}`
      : detail.code || "";
    item.textContent = `${name}${summary ? " · " + summary : ""}`;
    list.append(item);
  });
}
