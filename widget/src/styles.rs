//! The widget's stylesheet, shared by every instance through `adoptedStyleSheets`.
//!
//! A constructable stylesheet needs no inline `<style>` and no `style` attribute, so the widget
//! works under a Content-Security-Policy without `'unsafe-inline'` styles. The shadow root keeps
//! the page's styles out and the widget's in; host pages theme it through the
//! `--pomerium-chat-*` custom properties (which inherit into the shadow tree) and reach single
//! parts through `::part(...)`. Layout uses logical properties (`inline-start`, `inline-end`),
//! so `dir="rtl"` on the element or the page mirrors it. `theme="dark"` / `"light"` force a
//! scheme, `auto` (the default) follows `prefers-color-scheme`; `prefers-reduced-motion`
//! turns animations off. Inputs use 16 px text (no zoom on iOS), and the launcher panel fits the
//! visual viewport (`--pomerium-chat-viewport` and `--pomerium-chat-viewport-top`, set on the
//! host from `visualViewport`), so an on-screen keyboard never covers the composer. The top
//! boxes restate every inherited property, so page resets on the host never leak in, and a
//! launcher's placement is `!important` (it lives in the top layer as a popover).
//!
//! Finished answers and the groups of settled blocks of an answer that grows
//! (`.markdown > .blocks`) have `content-visibility: auto`: off screen, the browser skips their
//! style, layout and paint and keeps their last size, so a frame's style and layout cost stays flat as an answer and the
//! conversation grow (issue 15). Their width always comes from the log (never shrink-to-fit),
//! so only the remembered height matters.
//!
//! Colours are per scheme: `--pomerium-chat-<name>` themes the light scheme and
//! `--pomerium-chat-dark-<name>` the dark one, so a page that themes only one scheme leaves the
//! other on defaults that keep WCAG AA contrast (issue 18). The user's bubble has a foreground
//! of its own to pair with its background (default: the scheme's foreground).
//!
//! | colour `<name>` | light default | dark default |
//! |---|---|---|
//! | `background` | white | `#1e1e24` |
//! | `foreground` | `#1d1d22` | `#ececf1` |
//! | `muted` | `#5f6170` | `#a4a6b4` |
//! | `border` | `#d9dae1` | `#3a3b46` |
//! | `accent` | `#4b3fd1` | `#8f86ff` |
//! | `accent-text` | white | `#14141a` |
//! | `user-background` | `#eeedfb` | `#2d2b4a` |
//! | `user-foreground` | the foreground | the foreground |
//! | `code-background` | `#f4f4f7` | `#15151a` |
//! | `error` | `#b3261e` | `#ff8a80` |
//!
//! | other property (both schemes) | default |
//! |---|---|
//! | `--pomerium-chat-font` | `system-ui, sans-serif` |
//! | `--pomerium-chat-font-size` | `15px` |
//! | `--pomerium-chat-radius` | `10px` |
//! | `--pomerium-chat-launcher-size` | `56px` |
//! | `--pomerium-chat-launcher-offset` | `20px` (the bubble's distance from the window's corner) |
//! | `--pomerium-chat-panel-width` | `400px` (launcher mode) |
//! | `--pomerium-chat-panel-height` | `640px` (launcher mode) |
//!
//! Parts: `launcher`, `panel`, `header`, `title`, `model`, `new-chat`, `sign-out`, `servers`,
//! `server`, `log`, `message`, `user`, `assistant`, `reasoning`, `text`, `code`, `tool-list`,
//! `tool-call`, `approval`, `error`, `jump`, `composer`, `input`, `send`, `stop`.

use std::cell::OnceCell;

use js_sys::Array;
use wasm_bindgen::JsValue;
use web_sys::{CssStyleSheet, ShadowRoot};

/// The dark scheme's values: `--pomerium-chat-dark-*`, else the dark defaults. A macro (not a
/// `const`) so that [`CSS`] can splice it twice with `concat!`.
macro_rules! dark_scheme {
    () => {
        r#"
  --_bg: var(--pomerium-chat-dark-background, #1e1e24);
  --_fg: var(--pomerium-chat-dark-foreground, #ececf1);
  --_muted: var(--pomerium-chat-dark-muted, #a4a6b4);
  --_border: var(--pomerium-chat-dark-border, #3a3b46);
  --_accent: var(--pomerium-chat-dark-accent, #8f86ff);
  --_accent-text: var(--pomerium-chat-dark-accent-text, #14141a);
  --_user-bg: var(--pomerium-chat-dark-user-background, #2d2b4a);
  --_user-fg: var(--pomerium-chat-dark-user-foreground, var(--_fg));
  --_code-bg: var(--pomerium-chat-dark-code-background, #15151a);
  --_error: var(--pomerium-chat-dark-error, #ff8a80);
  color-scheme: dark;
"#
    };
}

/// The widget's CSS. The plain colour properties theme the light scheme only and the
/// `--pomerium-chat-dark-*` ones the dark scheme only, so a page that themes one scheme cannot
/// make the other unreadable.
const CSS: &str = concat!(
    r#"
:host {
  --_font: var(--pomerium-chat-font, system-ui, -apple-system, "Segoe UI", sans-serif);
  --_bg: var(--pomerium-chat-background, #fff);
  --_fg: var(--pomerium-chat-foreground, #1d1d22);
  --_muted: var(--pomerium-chat-muted, #5f6170);
  --_border: var(--pomerium-chat-border, #d9dae1);
  --_accent: var(--pomerium-chat-accent, #4b3fd1);
  --_accent-text: var(--pomerium-chat-accent-text, #fff);
  --_user-bg: var(--pomerium-chat-user-background, #eeedfb);
  --_user-fg: var(--pomerium-chat-user-foreground, var(--_fg));
  --_code-bg: var(--pomerium-chat-code-background, #f4f4f7);
  --_error: var(--pomerium-chat-error, #b3261e);
  --_radius: var(--pomerium-chat-radius, 10px);
  --_vh: var(--pomerium-chat-viewport, 100dvh);
  display: block;
  min-height: 360px;
  color: var(--_fg);
  font: var(--pomerium-chat-font-size, 15px)/1.5 var(--_font);
  color-scheme: light;
}
:host([theme="dark"]) {"#,
    dark_scheme!(),
    r#"}
@media (prefers-color-scheme: dark) {
  :host(:not([theme="light"])) {"#,
    dark_scheme!(),
    r#"  }
}
:host([hidden]), [hidden] { display: none !important; }
* { box-sizing: border-box; }
/* Inherited styles stop here. The host is the page's element, so page rules reach it (a reset
   such as `* { all: revert }`, `!important` overrides) and its inherited properties would flow
   in: the top boxes restate every inherited property the widget's look depends on. Only
   `direction`, `visibility` and the custom properties still come from the page. `:where` keeps
   this rule below every other one. */
:where(.panel, .launcher) {
  font: var(--pomerium-chat-font-size, 15px)/1.5 var(--_font);
  font-feature-settings: normal;
  font-variation-settings: normal;
  font-synthesis: weight style;
  color: var(--_fg);
  -webkit-text-fill-color: currentcolor;
  letter-spacing: normal;
  word-spacing: normal;
  text-transform: none;
  text-indent: 0;
  text-align: start;
  text-shadow: none;
  text-rendering: auto;
  white-space: normal;
  word-break: normal;
  overflow-wrap: normal;
  hyphens: manual;
  tab-size: 8;
  cursor: auto;
  quotes: auto;
  writing-mode: horizontal-tb;
  list-style: outside none disc;
  border-collapse: separate;
  border-spacing: 0;
  empty-cells: show;
  caption-side: top;
}
.panel {
  display: flex;
  flex-direction: column;
  height: 100%;
  min-height: inherit;
  background: var(--_bg);
  border: 1px solid var(--_border);
  border-radius: var(--_radius);
  overflow: hidden;
}
.header { padding: 10px 14px 8px; border-block-end: 1px solid var(--_border); }
.top { display: flex; align-items: center; gap: 8px; }
.title { margin: 0; margin-inline-end: auto; font-size: 1.05em; font-weight: 600; }
.model {
  font: inherit;
  font-size: 0.85em;
  max-width: 11em;
  padding: 3px 6px;
  color: inherit;
  background: var(--_bg);
  border: 1px solid var(--_border);
  border-radius: calc(var(--_radius) * 0.6);
}
.notice { margin: 4px 0 0; font-size: 0.85em; color: var(--_muted); }
.user { margin: 4px 0 0; font-size: 0.85em; color: var(--_muted); display: flex; flex-wrap: wrap; gap: 2px 10px; }
.user a { color: var(--_accent); }
.servers { margin-top: 6px; display: flex; flex-wrap: wrap; align-items: center; gap: 4px 12px; font-size: 0.9em; }
.servers .status { color: var(--_muted); margin: 0; }
.server-item { display: inline-flex; align-items: center; gap: 6px; }
.server { display: inline-flex; align-items: center; gap: 5px; cursor: pointer; }
.server input { margin: 0; }
.server .logo { width: 16px; height: 16px; border-radius: 3px; object-fit: contain; }
.server .hint { color: var(--_muted); font-size: 0.85em; }
.log {
  flex: 1 1 auto;
  overflow-y: auto;
  overscroll-behavior: contain;
  padding: 12px 14px;
  display: flex;
  flex-direction: column;
  gap: 12px;
  min-height: 120px;
}
.greeting { margin: auto 0; color: var(--_muted); text-align: center; }
.message { max-width: 100%; overflow-wrap: anywhere; }
.message.user {
  align-self: flex-end;
  max-width: 85%;
  background: var(--_user-bg);
  color: var(--_user-fg);
  padding: 7px 11px;
  border-radius: var(--_radius);
  white-space: pre-wrap;
}
.message.assistant[aria-busy="true"] .text:empty::after { content: "…"; color: var(--_muted); }
.message.assistant[data-complete], .markdown > .blocks {
  content-visibility: auto;
  contain-intrinsic-size: auto 1.5em;
}
.markdown > .blocks:first-child > :first-child { margin-top: 0; }
.markdown > :first-child { margin-top: 0; }
.markdown > :last-child { margin-bottom: 0; }
.markdown p, .markdown ul, .markdown ol, .markdown blockquote, .markdown .table, .markdown .codeblock { margin: 0 0 0.6em; }
.markdown p, .markdown li { white-space: pre-line; }
.markdown h3, .markdown h4, .markdown h5, .markdown h6 { margin: 0.8em 0 0.4em; font-size: 1em; }
.markdown h3 { font-size: 1.15em; }
.markdown ul, .markdown ol { padding-inline-start: 1.4em; }
.markdown blockquote { padding-inline-start: 10px; border-inline-start: 3px solid var(--_border); color: var(--_muted); margin-inline: 0; }
.markdown a { color: var(--_accent); }
.markdown hr { border: 0; border-top: 1px solid var(--_border); }
.markdown code, pre { font: 0.9em/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.markdown :not(pre) > code { background: var(--_code-bg); padding: 1px 4px; border-radius: 4px; }
.codeblock { border: 1px solid var(--_border); border-radius: calc(var(--_radius) * 0.6); overflow: hidden; }
.code-head { display: flex; justify-content: space-between; align-items: center; padding: 2px 4px 2px 10px; font-size: 0.8em; color: var(--_muted); background: var(--_code-bg); }
.codeblock pre { margin: 0; padding: 8px 10px; overflow-x: auto; background: var(--_code-bg); white-space: pre; }
.table { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.92em; }
th, td { border: 1px solid var(--_border); padding: 4px 8px; text-align: start; }
th { background: var(--_code-bg); }
.left { text-align: left; }
.center { text-align: center; }
.right { text-align: right; }
.note { margin: 4px 0 0; color: var(--_muted); font-size: 0.85em; }
details.reasoning { color: var(--_muted); font-size: 0.9em; margin-bottom: 6px; }
details.reasoning p { white-space: pre-wrap; margin: 4px 0 0; }
summary { cursor: pointer; }
.activity:empty { display: none; }
.activity { display: flex; flex-direction: column; gap: 6px; margin-bottom: 8px; }
.card {
  border: 1px solid var(--_border);
  border-radius: calc(var(--_radius) * 0.6);
  padding: 5px 9px;
  font-size: 0.88em;
}
.card summary { display: flex; gap: 8px; align-items: baseline; list-style: none; }
.card summary::-webkit-details-marker { display: none; }
.card summary::before { content: "▸"; color: var(--_muted); }
.card[open] > summary::before { content: "▾"; }
.card:dir(rtl):not([open]) > summary::before { content: "◂"; }
.card .name { font-weight: 600; }
.card .server { color: var(--_muted); margin-inline-end: auto; }
.card .state { color: var(--_muted); }
.tool-call[data-status="running"] .state::before {
  content: "";
  display: inline-block;
  width: 0.7em;
  height: 0.7em;
  margin-inline-end: 4px;
  border: 2px solid currentColor;
  border-inline-end-color: transparent;
  border-radius: 50%;
  animation: spin 0.8s linear infinite;
}
@keyframes spin { to { transform: rotate(360deg); } }
.tool-call[data-status="failed"] .state, .failure { color: var(--_error); }
.card pre {
  margin: 4px 0 0;
  white-space: pre-wrap;
  overflow-wrap: anywhere;
  max-height: 20em;
  overflow: auto;
  background: var(--_code-bg);
  padding: 6px 8px;
  border-radius: 4px;
}
.card .label { margin: 6px 0 0; color: var(--_muted); font-size: 0.9em; }
.card .args:empty, .card .args:empty + * { display: none; }
.card .failure { margin: 6px 0 0; }
.card .tools { margin: 4px 0 0; padding-inline-start: 1.4em; }
.approval { border-color: var(--_accent); font-size: 0.92em; }
.approval .title { margin: 0; font-weight: 600; }
.approval .actions, .error .actions { display: flex; flex-wrap: wrap; gap: 8px 12px; margin-top: 8px; align-items: center; }
.approval .always { margin-inline-end: auto; display: inline-flex; gap: 5px; align-items: center; }
.approval .decision { margin: 6px 0 0; color: var(--_muted); }
.approval[data-state="denied"] .decision { color: var(--_error); }
.error {
  border: 1px solid var(--_error);
  color: var(--_error);
  border-radius: calc(var(--_radius) * 0.6);
  padding: 6px 9px;
  margin-top: 6px;
  font-size: 0.9em;
}
.error p { margin: 0; }
.error .detail { color: var(--_fg); margin-top: 2px; }
.error .code { opacity: 0.8; font-size: 0.85em; margin-top: 2px; }
.earlier {
  align-self: center;
  margin-bottom: 8px;
}
.jump {
  align-self: center;
  margin: -44px 0 8px;
  position: relative;
  box-shadow: 0 2px 8px rgb(0 0 0 / 0.2);
}
.composer {
  display: flex;
  gap: 8px;
  align-items: flex-end;
  padding: 10px 14px;
  border-block-start: 1px solid var(--_border);
}
.input {
  flex: 1 1 auto;
  min-width: 0;
  resize: none;
  min-height: 2.6em;
  max-height: 12em;
  field-sizing: content;
  padding: 7px 9px;
  font: inherit;
  font-size: 16px;
  color: inherit;
  background: transparent;
  border: 1px solid var(--_border);
  border-radius: calc(var(--_radius) * 0.6);
}
button, .link-button {
  font: inherit;
  font-size: 0.95em;
  padding: 6px 12px;
  border-radius: calc(var(--_radius) * 0.6);
  border: 1px solid var(--_accent);
  background: var(--_accent);
  color: var(--_accent-text);
  cursor: pointer;
  text-decoration: none;
  display: inline-block;
}
button.secondary, .link-button.small { background: transparent; color: var(--_accent); }
button.small, .link-button.small { font-size: 0.82em; padding: 2px 8px; }
button.icon { background: transparent; color: var(--_muted); border-color: transparent; padding: 0 6px; font-size: 1.2em; line-height: 1.4; }
button.copy { background: transparent; color: inherit; border: 0; font-size: 1em; padding: 2px 6px; }
button:disabled { opacity: 0.5; cursor: default; }
:focus-visible { outline: 2px solid var(--_accent); outline-offset: 2px; }
.visually-hidden {
  position: absolute;
  width: 1px;
  height: 1px;
  overflow: hidden;
  clip: rect(0 0 0 0);
  white-space: nowrap;
}
:host([mode="launcher"]) {
  /* The bubble's place holds against page rules and resets (`* { all: revert }`): the shadow
     tree's !important wins over the page's. The page moves it with the offset property. */
  position: fixed !important;
  inset: auto !important;
  inset-block-end: var(--pomerium-chat-launcher-offset, 20px) !important;
  inset-inline-end: var(--pomerium-chat-launcher-offset, 20px) !important;
  z-index: 2147483000 !important;
  margin: 0 !important;
  /* In the top layer the host is a popover: none of the browser's popover box. */
  border: 0 !important;
  padding: 0 !important;
  overflow: visible !important;
  background: transparent !important;
  min-height: 0;
  /* The host is the bubble's box, whatever size the page gave the element. */
  width: auto !important;
  height: auto !important;
}
.launcher {
  width: var(--pomerium-chat-launcher-size, 56px);
  height: var(--pomerium-chat-launcher-size, 56px);
  border-radius: 50%;
  padding: 0;
  display: grid;
  place-items: center;
  box-shadow: 0 4px 14px rgb(0 0 0 / 0.25);
}
.bubble-icon {
  width: 24px;
  height: 18px;
  border-radius: 9px;
  background: currentColor;
  position: relative;
}
.bubble-icon::after {
  content: "";
  position: absolute;
  inset-block-end: -5px;
  inset-inline-start: 5px;
  border: 4px solid transparent;
  border-block-start-color: currentColor;
  border-inline-start-color: currentColor;
}
.launcher[aria-expanded="true"] .bubble-icon { width: 18px; height: 3px; border-radius: 2px; }
.launcher[aria-expanded="true"] .bubble-icon::after { display: none; }
:host([mode="launcher"]) .panel {
  position: absolute;
  inset-block-end: calc(var(--pomerium-chat-launcher-size, 56px) + 12px);
  inset-inline-end: 0;
  width: min(var(--pomerium-chat-panel-width, 400px), calc(100vw - 40px));
  height: min(var(--pomerium-chat-panel-height, 640px), calc(var(--_vh) - 110px));
  min-height: 0;
  box-shadow: 0 8px 30px rgb(0 0 0 / 0.25);
}
@media (max-width: 480px) {
  :host([mode="launcher"]) .panel {
    position: fixed;
    inset: var(--pomerium-chat-viewport-top, 0px) 0 auto 0;
    width: 100vw;
    height: var(--_vh);
    border-radius: 0;
  }
}
@media (prefers-reduced-motion: reduce) {
  *, *::before, *::after { animation: none !important; transition: none !important; scroll-behavior: auto !important; }
}
.actions { display: flex; gap: 4px; margin-top: -10px; }
.actions[data-role="question-actions"] { justify-content: flex-end; }
.actions[hidden] { display: none; }
button.action { background: transparent; color: var(--_muted); border: 0; font-size: 0.8em; padding: 2px 6px; }
.message.user[data-editing] { outline: 2px dashed var(--_accent); }
.editing { display: flex; align-items: center; justify-content: space-between; gap: 8px; padding: 4px 12px; font-size: 0.85em; color: var(--_muted); }
.editing[hidden] { display: none; }
.threads { list-style: none; margin: 6px 0 0; padding: 0; max-height: 40vh; overflow-y: auto; border-top: 1px solid var(--_border); }
.threads[hidden] { display: none; }
.threads li { display: flex; align-items: center; gap: 2px; }
button.thread { flex: 1; min-width: 0; text-align: start; background: transparent; color: inherit; border: 0; padding: 4px 6px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
button.thread[aria-current] { font-weight: 600; }
"#
);

thread_local! {
    static SHEET: OnceCell<CssStyleSheet> = const { OnceCell::new() };
}

/// Gives `root` the shared stylesheet.
pub(crate) fn adopt(root: &ShadowRoot) -> Result<(), JsValue> {
    let sheet = SHEET.with(|cell| match cell.get() {
        Some(sheet) => Ok(sheet.clone()),
        None => {
            let sheet = CssStyleSheet::new()?;
            sheet.replace_sync(CSS)?;
            Ok::<_, JsValue>(cell.get_or_init(|| sheet).clone())
        }
    })?;
    root.set_adopted_style_sheets(&Array::of1(&sheet));
    Ok(())
}
