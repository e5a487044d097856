// A page rendered by Vue (the runtime build from npm, render functions: no template compiler,
// no eval). The chat's parent re-renders on every tick, `rotate` moves the chat's section to the
// end (Vue keeps the other two in place and moves the chat's DOM node), and a new generation
// replaces the chat's section and the element in it.
// `window.vueApp` lets the test drive those re-renders; each returns once Vue has patched.
import { createApp, h, nextTick, reactive } from "/vendor/vue/vue.runtime.esm-browser.js";

const params = new URLSearchParams(location.search);
const endpoint = params.get("endpoint") ?? "";
const state = reactive({ ticks: 0, order: ["chat", "news", "events"], generation: 0 });

const section = (id) =>
  id === "chat"
    ? h("section", { key: `chat-${state.generation}`, class: "chat", "data-generation": state.generation }, [
        h("p", { "data-probe": "ticks" }, `Re-rendered ${state.ticks} times`),
        h("pomerium-chat", { endpoint, title: "Ask Acme (Vue)" }),
      ])
    : h("section", { key: id, class: id }, [
        h("h2", { "data-probe": `${id}-heading` }, id === "news" ? "News" : "Events"),
        h("p", { "data-probe": id }, `Orders grew in every region (update ${state.ticks}).`),
      ]);

createApp({
  render: () =>
    h("div", { class: "app" }, [
      h("header", [h("h1", "Acme on Vue")]),
      h("main", state.order.map(section)),
    ]),
}).mount("#app");

window.vueApp = {
  tick: () => { state.ticks += 1; return nextTick(); },
  rotate: () => { state.order.push(state.order.shift()); return nextTick(); },
  remount: () => { state.generation += 1; return nextTick(); },
};

if (!params.has("bare")) {
  await import("/widget/pomerium-chat.js");
}
