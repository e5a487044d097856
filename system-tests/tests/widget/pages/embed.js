// Host-page glue for the embedding tests (testkit/tests/widget/embedding_pages.rs), an external
// module as a strict intranet policy wants. `?endpoint=<chat origin>` points every
// <pomerium-chat> at the edge; `?hostile` adds the aggressive global stylesheet; `?bare` leaves
// the widget out, so a test can compare the page's own styles with and without it.
const params = new URLSearchParams(location.search);

if (params.has("hostile")) {
  const sheet = document.createElement("link");
  sheet.rel = "stylesheet";
  sheet.href = "/hostile.css";
  const loaded = new Promise((resolve) => sheet.addEventListener("load", resolve));
  document.head.append(sheet);
  await loaded;
}

for (const chat of document.querySelectorAll("pomerium-chat")) {
  chat.setAttribute("endpoint", params.get("endpoint") ?? "");
}

// The page re-renders the chat's parent: a new parent takes the old one's place and the chat
// moves into it, in one task (what a template engine's patch does).
window.rerenderParent = () => {
  const chat = document.querySelector("pomerium-chat");
  const old = chat.parentElement;
  const fresh = old.cloneNode(false);
  fresh.append(...old.childNodes);
  old.replaceWith(fresh);
  return chat.isConnected && fresh.contains(chat);
};

if (!params.has("bare")) {
  await import("/widget/pomerium-chat.js");
}
