import init from "./widget.js";
await init();
export * from "./widget.js";
