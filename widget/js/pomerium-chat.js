// The <pomerium-chat> loader: what a page's <script type="module"> runs.
//
// It does not wait for the wasm before the element exists: at once it
// - starts fetching and compiling the wasm (`compileStreaming`, while it streams in),
// - defines <pomerium-chat> as a light shell that reserves the element's space and keeps its
//   instances (and open/close/clear calls) until the Rust widget takes over,
// - imports the wasm-bindgen glue (and its snippets, side by side),
// - for each connected element, starts the first GETs the widget makes (/api/me,
//   /api/servers, /api/models), so they travel while the glue and the wasm load;
// then instantiates the wasm, and the widget's `define`
// (widget/src/element.rs) hands every element over to Rust through `attach`. The widget takes
// each early response once (`take`), for the URL it would have fetched, and fetches itself
// when there is none. The module resolves, like before, once the widget runs.

const TAG = "pomerium-chat";
const OBSERVED = ["endpoint", "title", "placeholder", "theme", "locale", "mode"];

// Compiled as it streams in, while the glue loads; where that fails (a server that does not
// say application/wasm), the glue fetches and compiles it itself from the URL.
const wasmUrl = new URL("widget_bg.wasm", import.meta.url);
const wasm = WebAssembly.compileStreaming(fetch(wasmUrl)).then(
  (module) => (performance.mark("pomerium-chat:compiled"), module),
  () => wasmUrl,
);

/** URL -> the promise of its response, started before the widget ran; each taken once. */
const early = new Map();
/** Elements connected before the widget took over. */
const waiting = new Set();
/** open/close/clear calls made before the widget took over, in order. */
const calls = [];
/** The widget's callbacks, once it took over. */
let widget = null;

// The URLs as the widget builds them (widget/src/api.rs `url`, and `redirect_url` in
// widget/src/controller/requests.rs: a Connect sign-in returns to the edge's https origin).
function firstGets(host) {
  const endpoint = host.getAttribute("endpoint") || "";
  const base = endpoint.replace(/\/+$/, "");
  const origin = endpoint.trim() === "" ? location.origin : endpoint.trim();
  let servers = "/api/servers";
  if (origin.startsWith("https://")) {
    const authority = origin.slice(8).split(/[/?#]/)[0];
    if (authority !== "" && !authority.includes("@")) {
      servers += "?redirect_url=" + encodeURIComponent(`https://${authority}/`);
    }
  }
  return ["/api/me", servers, "/api/models"].map((path) => base + path);
}

function prefetch(host) {
  for (const url of firstGets(host)) {
    if (!early.has(url)) {
      // The same request the widget sends (widget/src/api.rs `send`).
      const response = fetch(url, {
        credentials: "include",
        headers: { Accept: "application/json" },
      });
      response.catch(() => {});
      early.set(url, response);
    }
  }
}

let shellSheet = null;
function drawShell(host) {
  if (host.shadowRoot) return;
  if (shellSheet === null) {
    shellSheet = new CSSStyleSheet();
    shellSheet.replaceSync(
      ':host{display:block;min-height:360px}:host([mode="launcher"]){min-height:0}',
    );
  }
  // The widget reuses this root (and empties it) when it mounts.
  host.attachShadow({ mode: "open" }).adoptedStyleSheets = [shellSheet];
}

class PomeriumChatShell extends HTMLElement {
  static get observedAttributes() {
    return OBSERVED;
  }
  connectedCallback() {
    if (widget) return widget.connected(this);
    waiting.add(this);
    drawShell(this);
    prefetch(this);
  }
  disconnectedCallback() {
    if (widget) return widget.disconnected(this);
    waiting.delete(this);
  }
  attributeChangedCallback(attribute, before, after) {
    // Before the hand-over the widget reads every attribute when it mounts.
    if (widget && before !== after) widget.changed(this, attribute);
  }
  open() {
    this.#call("open");
  }
  close() {
    this.#call("close");
  }
  clear() {
    this.#call("clear");
  }
  /** Whether the text was sent: never before the widget runs (the page waits for data-ready). */
  send(text) {
    return widget ? widget.call(this, "send", String(text ?? "")) : false;
  }
  /** Like send: false before the widget runs. */
  edit(index, text) {
    return widget ? widget.call(this, "edit", (index >>> 0) + "\n" + String(text ?? "")) : false;
  }
  regenerate() {
    return widget ? widget.call(this, "regenerate", "") : false;
  }
  copy(index) {
    return widget ? widget.call(this, "copy", String(index >>> 0)) : false;
  }
  #call(method) {
    if (widget) widget.call(this, method, "");
    else calls.push([this, method]);
  }
  /** The widget takes over (once): the elements connected so far, then the calls they got. */
  static attach(callbacks) {
    if (widget) return;
    widget = callbacks;
    for (const host of waiting) if (host.isConnected) widget.connected(host);
    waiting.clear();
    for (const [host, method] of calls.splice(0)) widget.call(host, method, "");
  }
  /** The early response for `url`, once; undefined when there is none. */
  static take(url) {
    const response = early.get(url);
    early.delete(url);
    return response;
  }
}

// The glue's own imports (wasm-bindgen's snippets), filled in by `cargo xtask dist`: imported
// here beside the glue, they load in parallel with it instead of after it. They are asked for
// before the element's first GETs (which `define` starts): over HTTP/1.1 a browser opens six
// connections to a host, and the seventh request waits; the widget cannot start without these,
// while `/api/models` can come a little later.
const MODULES = [];
const imports = Promise.all([
  import("./widget.js"),
  ...MODULES.map((path) => import(path)),
]);

if (!customElements.get(TAG)) customElements.define(TAG, PomeriumChatShell);

const [glue] = await imports;
performance.mark("pomerium-chat:imported");
await glue.default({ module_or_path: await wasm });
// For pages (and pchat-bench) that time the start: the widget runs from here.
performance.mark("pomerium-chat:running");

/** Registers <pomerium-chat> (done already: the widget's start function ran in init). */
export const define = glue.define;
