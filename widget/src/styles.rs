//! The widget's stylesheet, shared by every instance through `adoptedStyleSheets`.
//!
//! A constructable stylesheet needs no inline `<style>`, so the widget works under a strict
//! Content-Security-Policy. The shadow root keeps the page's styles out and the widget's in;
//! host pages theme it through the `--pomerium-chat-*` custom properties (which inherit into
//! the shadow tree) and reach single parts through `::part(...)`.
//!
//! | custom property | default |
//! |---|---|
//! | `--pomerium-chat-font` | `system-ui, sans-serif` |
//! | `--pomerium-chat-background` | white (dark: `#1e1e24`) |
//! | `--pomerium-chat-foreground` | `#1d1d22` (dark: `#ececf1`) |
//! | `--pomerium-chat-muted` | `#5f6170` (dark: `#a4a6b4`) |
//! | `--pomerium-chat-border` | `#d9dae1` (dark: `#3a3b46`) |
//! | `--pomerium-chat-accent` | `#4b3fd1` (dark: `#8f86ff`) |
//! | `--pomerium-chat-accent-text` | white |
//! | `--pomerium-chat-user-background` | `#eeedfb` (dark: `#2d2b4a`) |
//! | `--pomerium-chat-error` | `#b3261e` (dark: `#ff8a80`) |
//! | `--pomerium-chat-radius` | `10px` |
//!
//! Parts: `panel`, `header`, `title`, `servers`, `server`, `log`, `message`, `user`,
//! `assistant`, `text`, `tool-call`, `error`, `composer`, `input`, `send`, `stop`.

use std::cell::OnceCell;

use js_sys::Array;
use wasm_bindgen::JsValue;
use web_sys::{CssStyleSheet, ShadowRoot};

/// The widget's CSS.
const CSS: &str = r#"
:host {
  --_font: var(--pomerium-chat-font, system-ui, -apple-system, "Segoe UI", sans-serif);
  --_bg: var(--pomerium-chat-background, #fff);
  --_fg: var(--pomerium-chat-foreground, #1d1d22);
  --_muted: var(--pomerium-chat-muted, #5f6170);
  --_border: var(--pomerium-chat-border, #d9dae1);
  --_accent: var(--pomerium-chat-accent, #4b3fd1);
  --_accent-text: var(--pomerium-chat-accent-text, #fff);
  --_user-bg: var(--pomerium-chat-user-background, #eeedfb);
  --_error: var(--pomerium-chat-error, #b3261e);
  --_radius: var(--pomerium-chat-radius, 10px);
  display: block;
  min-height: 320px;
  color: var(--_fg);
  font: 15px/1.45 var(--_font);
}
@media (prefers-color-scheme: dark) {
  :host {
    --_bg: var(--pomerium-chat-background, #1e1e24);
    --_fg: var(--pomerium-chat-foreground, #ececf1);
    --_muted: var(--pomerium-chat-muted, #a4a6b4);
    --_border: var(--pomerium-chat-border, #3a3b46);
    --_accent: var(--pomerium-chat-accent, #8f86ff);
    --_user-bg: var(--pomerium-chat-user-background, #2d2b4a);
    --_error: var(--pomerium-chat-error, #ff8a80);
  }
}
:host([hidden]), [hidden] { display: none !important; }
* { box-sizing: border-box; }
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
.header { padding: 10px 14px; border-bottom: 1px solid var(--_border); }
.title { margin: 0; font-size: 1.05em; font-weight: 600; }
.servers { margin-top: 6px; display: flex; flex-wrap: wrap; gap: 4px 12px; font-size: 0.9em; }
.servers .status { color: var(--_muted); margin: 0; }
.server { display: inline-flex; align-items: center; gap: 5px; cursor: pointer; }
.server .hint { color: var(--_muted); font-size: 0.85em; }
.log {
  flex: 1 1 auto;
  overflow-y: auto;
  padding: 12px 14px;
  display: flex;
  flex-direction: column;
  gap: 10px;
  min-height: 120px;
}
.message { max-width: 100%; overflow-wrap: anywhere; }
.message.user {
  align-self: flex-end;
  max-width: 85%;
  background: var(--_user-bg);
  padding: 7px 11px;
  border-radius: var(--_radius);
  white-space: pre-wrap;
}
.text { white-space: pre-wrap; }
.message.assistant[aria-busy="true"] .text:empty::after { content: "…"; color: var(--_muted); }
.note { margin: 0 0 4px; color: var(--_muted); font-size: 0.85em; }
details.reasoning { color: var(--_muted); font-size: 0.9em; margin-bottom: 6px; }
details.reasoning p { white-space: pre-wrap; margin: 4px 0 0; }
.tool-call {
  border: 1px solid var(--_border);
  border-radius: calc(var(--_radius) * 0.6);
  padding: 6px 9px;
  margin: 0 0 6px;
  font-size: 0.88em;
}
.tool-call .head { display: flex; gap: 8px; justify-content: space-between; }
.tool-call .name { font-weight: 600; }
.tool-call .state { color: var(--_muted); }
.tool-call[data-status="failed"] .state { color: var(--_error); }
.tool-call pre {
  margin: 4px 0 0;
  white-space: pre-wrap;
  overflow-wrap: anywhere;
  font-size: 0.95em;
  max-height: 16em;
  overflow: auto;
}
.tool-call .args:empty { display: none; }
.tool-call .failure { color: var(--_error); margin: 4px 0 0; }
.error {
  border: 1px solid var(--_error);
  color: var(--_error);
  border-radius: calc(var(--_radius) * 0.6);
  padding: 6px 9px;
  margin-top: 6px;
  font-size: 0.9em;
}
.error p { margin: 0; }
.error .code { opacity: 0.8; font-size: 0.85em; }
.error .actions { display: flex; gap: 10px; margin-top: 6px; align-items: center; }
.composer {
  display: flex;
  gap: 8px;
  align-items: flex-end;
  padding: 10px 14px;
  border-top: 1px solid var(--_border);
}
.input {
  flex: 1 1 auto;
  resize: vertical;
  min-height: 2.6em;
  max-height: 12em;
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
}
button.secondary { background: transparent; color: var(--_accent); }
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
"#;

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
