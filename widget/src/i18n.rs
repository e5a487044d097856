//! Every string the widget shows, in English and German.
//!
//! One [`Strings`] table per locale; [`Strings::for_locale`] picks one from a BCP 47 tag
//! (`de`, `de-CH`, ...), falling back to English. Messages with slots use `{0}`, `{1}`, filled
//! by [`fill`]. Each locale maps every [`ErrorCode`] to its message with an exhaustive `match`
//! (no wildcard), so every edge error code has its own clear message in every locale and a new
//! code does not compile without one. Adding a locale is adding one table and one `match`.

use protocol::ErrorCode;

/// The strings of one locale.
#[derive(Debug)]
pub(crate) struct Strings {
    /// The BCP 47 tag, for the `lang` attribute.
    pub(crate) lang: &'static str,
    pub(crate) title: &'static str,
    pub(crate) placeholder: &'static str,
    pub(crate) greeting: &'static str,
    pub(crate) conversation: &'static str,
    pub(crate) message: &'static str,
    pub(crate) send: &'static str,
    pub(crate) stop: &'static str,
    pub(crate) stopped: &'static str,
    pub(crate) retry: &'static str,
    pub(crate) new_chat: &'static str,
    pub(crate) open_chat: &'static str,
    pub(crate) close_chat: &'static str,
    pub(crate) jump: &'static str,
    pub(crate) model: &'static str,
    pub(crate) servers: &'static str,
    pub(crate) servers_loading: &'static str,
    pub(crate) servers_none: &'static str,
    pub(crate) refresh: &'static str,
    pub(crate) connect: &'static str,
    pub(crate) connect_to: &'static str,
    pub(crate) disconnect: &'static str,
    pub(crate) disconnect_from: &'static str,
    pub(crate) not_connected: &'static str,
    pub(crate) sign_in: &'static str,
    pub(crate) signed_in_as: &'static str,
    pub(crate) sign_out: &'static str,
    pub(crate) reasoning: &'static str,
    pub(crate) thinking: &'static str,
    pub(crate) tools_listing: &'static str,
    pub(crate) tools_failed: &'static str,
    pub(crate) tools_none: &'static str,
    pub(crate) tools_offered: &'static str,
    pub(crate) running: &'static str,
    pub(crate) progress: &'static str,
    pub(crate) done: &'static str,
    pub(crate) failed: &'static str,
    pub(crate) call_unfinished: &'static str,
    pub(crate) arguments: &'static str,
    pub(crate) result: &'static str,
    pub(crate) show_all: &'static str,
    /// "Show earlier" over the log's first shown exchange; `{0}` is how many are not shown.
    pub(crate) show_earlier: &'static str,
    pub(crate) copy: &'static str,
    pub(crate) copied: &'static str,
    pub(crate) approval: &'static str,
    pub(crate) allow: &'static str,
    pub(crate) deny: &'static str,
    pub(crate) always_allow: &'static str,
    /// The label of an answer's usage disclosure.
    pub(crate) usage: &'static str,
    /// Tokens in (cached), out (reasoning), then first token, total and tool time in ms.
    pub(crate) usage_line: &'static str,
    pub(crate) allowed: &'static str,
    pub(crate) denied: &'static str,
    pub(crate) expired: &'static str,
    pub(crate) error_code: &'static str,
    pub(crate) request: &'static str,
    /// Shown while the edge's runtime refuses requests for want of capacity and the widget
    /// tries again.
    pub(crate) busy_retrying: &'static str,
    /// A question's Edit button, and its accessible name.
    pub(crate) edit: &'static str,
    pub(crate) edit_question: &'static str,
    /// The note over the composer while a question is edited, and its Cancel button.
    pub(crate) editing: &'static str,
    pub(crate) cancel_edit: &'static str,
    /// An answer's Regenerate button and its Copy (as markdown) button's accessible name.
    pub(crate) regenerate: &'static str,
    pub(crate) copy_answer: &'static str,
    /// The Chats button ({0}: how many), the list's name, and each conversation's actions.
    pub(crate) chats: &'static str,
    pub(crate) conversations: &'static str,
    pub(crate) rename: &'static str,
    pub(crate) rename_chat: &'static str,
    pub(crate) rename_prompt: &'static str,
    pub(crate) delete: &'static str,
    pub(crate) delete_chat: &'static str,
    /// The message for each error code: an exhaustive `match` per locale, so a code added to
    /// `protocol` does not compile until every locale has its message.
    errors: fn(ErrorCode) -> &'static str,
}

/// English.
pub(crate) const EN: Strings = Strings {
    lang: "en",
    title: "Pomerium Chat",
    placeholder: "Ask a question…",
    greeting: "Ask a question. Tick a data source to let the answer use it.",
    conversation: "Conversation",
    message: "Message",
    send: "Send",
    stop: "Stop",
    stopped: "Stopped",
    retry: "Retry",
    new_chat: "New chat",
    open_chat: "Open chat",
    close_chat: "Close chat",
    jump: "Jump to latest",
    model: "Model",
    servers: "Data sources",
    servers_loading: "Loading data sources…",
    servers_none: "No data sources available",
    refresh: "Refresh data sources",
    connect: "Connect",
    connect_to: "Connect {0}",
    disconnect: "Disconnect",
    disconnect_from: "Disconnect {0}",
    not_connected: "not connected",
    sign_in: "Sign in",
    signed_in_as: "Signed in as {0}",
    sign_out: "Sign out",
    reasoning: "Reasoning",
    thinking: "Thinking…",
    tools_listing: "Listing the tools of {0}…",
    tools_failed: "Could not list the tools of {0}",
    tools_none: "{0} offers no tools",
    tools_offered: "{0} offers {1} tools",
    running: "running",
    progress: "Progress",
    done: "done",
    failed: "failed",
    call_unfinished: "The answer ended before this call finished.",
    arguments: "Arguments",
    result: "Result",
    show_all: "Show all ({0} characters)",
    show_earlier: "Show earlier messages ({0} more)",
    copy: "Copy",
    copied: "Copied",
    approval: "Allow {0} on {1}?",
    allow: "Allow",
    deny: "Deny",
    always_allow: "Always allow this tool",
    usage: "Usage",
    usage_line: "Tokens: {0} in ({1} cached), {2} out ({3} reasoning). First token {4} ms, total {5} ms, tools {6} ms",
    allowed: "Allowed",
    denied: "Denied",
    expired: "Not decided",
    error_code: "Error code: {0}",
    request: "request {0}",
    busy_retrying: "The chat is busy, retrying…",
    edit: "Edit",
    edit_question: "Edit question {0}",
    editing: "Editing a question: sending replaces it and the answers after it.",
    cancel_edit: "Cancel",
    regenerate: "Regenerate",
    copy_answer: "Copy answer {0} as Markdown",
    chats: "Chats ({0})",
    conversations: "Your chats",
    rename: "Rename",
    rename_chat: "Rename chat {0}",
    rename_prompt: "New name for this chat",
    delete: "Delete",
    delete_chat: "Delete chat {0}",
    errors: en_errors,
};

/// German.
pub(crate) const DE: Strings = Strings {
    lang: "de",
    title: "Pomerium Chat",
    placeholder: "Stellen Sie eine Frage…",
    greeting: "Stellen Sie eine Frage. Wählen Sie eine Datenquelle, damit die Antwort sie nutzen kann.",
    conversation: "Unterhaltung",
    message: "Nachricht",
    send: "Senden",
    stop: "Stopp",
    stopped: "Gestoppt",
    retry: "Erneut versuchen",
    new_chat: "Neuer Chat",
    open_chat: "Chat öffnen",
    close_chat: "Chat schließen",
    jump: "Zur neuesten Nachricht",
    model: "Modell",
    servers: "Datenquellen",
    servers_loading: "Datenquellen werden geladen…",
    servers_none: "Keine Datenquellen verfügbar",
    refresh: "Datenquellen aktualisieren",
    connect: "Verbinden",
    connect_to: "{0} verbinden",
    disconnect: "Trennen",
    disconnect_from: "{0} trennen",
    not_connected: "nicht verbunden",
    sign_in: "Anmelden",
    signed_in_as: "Angemeldet als {0}",
    sign_out: "Abmelden",
    reasoning: "Überlegungen",
    thinking: "Denkt nach…",
    tools_listing: "Werkzeuge von {0} werden abgefragt…",
    tools_failed: "Die Werkzeuge von {0} konnten nicht abgefragt werden",
    tools_none: "{0} bietet keine Werkzeuge an",
    tools_offered: "{0} bietet {1} Werkzeuge an",
    running: "läuft",
    progress: "Fortschritt",
    done: "fertig",
    failed: "fehlgeschlagen",
    call_unfinished: "Die Antwort endete, bevor dieser Aufruf fertig war.",
    arguments: "Argumente",
    result: "Ergebnis",
    show_all: "Alles anzeigen ({0} Zeichen)",
    show_earlier: "Frühere Nachrichten anzeigen ({0} weitere)",
    copy: "Kopieren",
    copied: "Kopiert",
    approval: "{0} auf {1} erlauben?",
    allow: "Erlauben",
    deny: "Ablehnen",
    always_allow: "Dieses Werkzeug immer erlauben",
    usage: "Verbrauch",
    usage_line: "Tokens: {0} ein ({1} Cache), {2} aus ({3} Reasoning). Erstes Token {4} ms, gesamt {5} ms, Werkzeuge {6} ms",
    allowed: "Erlaubt",
    denied: "Abgelehnt",
    expired: "Nicht entschieden",
    error_code: "Fehlercode: {0}",
    request: "Anfrage {0}",
    busy_retrying: "Der Chat ist ausgelastet, neuer Versuch…",
    edit: "Bearbeiten",
    edit_question: "Frage {0} bearbeiten",
    editing: "Frage wird bearbeitet: Senden ersetzt sie und die Antworten danach.",
    cancel_edit: "Abbrechen",
    regenerate: "Neu erzeugen",
    copy_answer: "Antwort {0} als Markdown kopieren",
    chats: "Chats ({0})",
    conversations: "Ihre Chats",
    rename: "Umbenennen",
    rename_chat: "Chat {0} umbenennen",
    rename_prompt: "Neuer Name für diesen Chat",
    delete: "Löschen",
    delete_chat: "Chat {0} löschen",
    errors: de_errors,
};

/// The English message for each error code.
fn en_errors(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::Unauthorized => {
            "You are not signed in, or your session has expired. Sign in to continue."
        }
        ErrorCode::BadRequest => "The chat service could not read this request.",
        ErrorCode::UnknownServer => {
            "A selected data source is not available to you. Refresh the list and try again."
        }
        ErrorCode::ModelNotAllowed => "The chosen model is not available. Pick another one.",
        ErrorCode::Forbidden => "This page may not use the chat service.",
        ErrorCode::PayloadTooLarge => "The conversation is too long to send. Start a new chat.",
        ErrorCode::UnsupportedMediaType => "The chat service refused the request format.",
        ErrorCode::NotFound | ErrorCode::MethodNotAllowed => {
            "The chat service does not offer this feature."
        }
        ErrorCode::PomeriumUnavailable => "The list of data sources could not be loaded.",
        ErrorCode::ProviderNotConfigured => "The chat service has no AI model configured yet.",
        ErrorCode::ProviderAuth => "The chat service could not sign in to the AI model provider.",
        ErrorCode::ProviderRateLimited => "The AI model is busy. Try again in a moment.",
        ErrorCode::McpServerUnreachable => "A data source could not be reached.",
        ErrorCode::ProviderUnavailable => {
            "The AI model is unavailable right now. Try again in a moment."
        }
        ErrorCode::ProviderError => "The AI model reported an error.",
        ErrorCode::ResponseIncomplete => "The answer stopped before it was complete.",
        ErrorCode::StreamInterrupted => "The answer was interrupted.",
        ErrorCode::ProviderTimeout => "The AI model took too long to answer.",
        ErrorCode::ToolRoundsExceeded => {
            "The AI model kept calling tools without finishing its answer."
        }
        ErrorCode::ToolCallsPerRoundExceeded => {
            "The AI model asked for too many tool calls at once."
        }
        ErrorCode::ToolCallsExceeded => "The AI model asked for too many tool calls in one answer.",
        ErrorCode::ToolOutputExceeded => "The tools returned more data than one answer may use.",
        ErrorCode::ToolArgumentsTooLarge => "The AI model sent a tool call that is too large.",
        ErrorCode::AnswerTimeout => "The answer took too long and was stopped.",
        ErrorCode::UpstreamTooLarge => "A service sent more data than the chat service accepts.",
        ErrorCode::InvalidContinuation => "This answer can no longer be continued. Ask again.",
        ErrorCode::InvalidConfiguration => {
            "The chat service is not set up correctly. Tell its administrator."
        }
        ErrorCode::NetworkError => "The chat service could not be reached. Check your connection.",
        ErrorCode::EdgeBusy => "The chat is busy. Try again in a moment.",
        ErrorCode::Internal => "The chat service ran into a problem.",
        ErrorCode::Unknown => "Something went wrong.",
    }
}

/// The German message for each error code.
fn de_errors(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::Unauthorized => {
            "Sie sind nicht angemeldet oder Ihre Sitzung ist abgelaufen. Melden Sie sich an, um fortzufahren."
        }
        ErrorCode::BadRequest => "Der Chat-Dienst konnte diese Anfrage nicht lesen.",
        ErrorCode::UnknownServer => {
            "Eine gewählte Datenquelle steht Ihnen nicht zur Verfügung. Aktualisieren Sie die Liste und versuchen Sie es erneut."
        }
        ErrorCode::ModelNotAllowed => {
            "Das gewählte Modell ist nicht verfügbar. Wählen Sie ein anderes."
        }
        ErrorCode::Forbidden => "Diese Seite darf den Chat-Dienst nicht verwenden.",
        ErrorCode::PayloadTooLarge => {
            "Die Unterhaltung ist zu lang zum Senden. Beginnen Sie einen neuen Chat."
        }
        ErrorCode::UnsupportedMediaType => "Der Chat-Dienst hat das Format der Anfrage abgelehnt.",
        ErrorCode::NotFound | ErrorCode::MethodNotAllowed => {
            "Der Chat-Dienst bietet diese Funktion nicht an."
        }
        ErrorCode::PomeriumUnavailable => "Die Liste der Datenquellen konnte nicht geladen werden.",
        ErrorCode::ProviderNotConfigured => {
            "Für den Chat-Dienst ist noch kein KI-Modell eingerichtet."
        }
        ErrorCode::ProviderAuth => {
            "Der Chat-Dienst konnte sich nicht beim Anbieter des KI-Modells anmelden."
        }
        ErrorCode::ProviderRateLimited => {
            "Das KI-Modell ist ausgelastet. Versuchen Sie es gleich noch einmal."
        }
        ErrorCode::McpServerUnreachable => "Eine Datenquelle war nicht erreichbar.",
        ErrorCode::ProviderUnavailable => {
            "Das KI-Modell ist gerade nicht verfügbar. Versuchen Sie es gleich noch einmal."
        }
        ErrorCode::ProviderError => "Das KI-Modell hat einen Fehler gemeldet.",
        ErrorCode::ResponseIncomplete => "Die Antwort endete, bevor sie vollständig war.",
        ErrorCode::StreamInterrupted => "Die Antwort wurde unterbrochen.",
        ErrorCode::ProviderTimeout => "Das KI-Modell hat zu lange für die Antwort gebraucht.",
        ErrorCode::ToolRoundsExceeded => {
            "Das KI-Modell hat immer wieder Werkzeuge aufgerufen, ohne die Antwort abzuschließen."
        }
        ErrorCode::ToolCallsPerRoundExceeded => {
            "Das KI-Modell wollte zu viele Werkzeuge auf einmal aufrufen."
        }
        ErrorCode::ToolCallsExceeded => {
            "Das KI-Modell wollte in einer Antwort zu viele Werkzeuge aufrufen."
        }
        ErrorCode::ToolOutputExceeded => {
            "Die Werkzeuge haben mehr Daten geliefert, als eine Antwort verwenden darf."
        }
        ErrorCode::ToolArgumentsTooLarge => {
            "Das KI-Modell hat einen zu großen Werkzeugaufruf gesendet."
        }
        ErrorCode::AnswerTimeout => "Die Antwort hat zu lange gedauert und wurde abgebrochen.",
        ErrorCode::UpstreamTooLarge => {
            "Ein Dienst hat mehr Daten gesendet, als der Chat-Dienst annimmt."
        }
        ErrorCode::InvalidContinuation => {
            "Diese Antwort kann nicht mehr fortgesetzt werden. Fragen Sie erneut."
        }
        ErrorCode::InvalidConfiguration => {
            "Der Chat-Dienst ist nicht richtig eingerichtet. Wenden Sie sich an seine Administration."
        }
        ErrorCode::NetworkError => {
            "Der Chat-Dienst ist nicht erreichbar. Prüfen Sie Ihre Verbindung."
        }
        ErrorCode::EdgeBusy => "Der Chat ist ausgelastet. Versuchen Sie es gleich noch einmal.",
        ErrorCode::Internal => "Im Chat-Dienst ist ein Problem aufgetreten.",
        ErrorCode::Unknown => "Etwas ist schiefgelaufen.",
    }
}

/// Tables are told apart by their locale.
impl PartialEq for Strings {
    fn eq(&self, other: &Self) -> bool {
        self.lang == other.lang
    }
}

impl Eq for Strings {}

impl Strings {
    /// The table for a BCP 47 tag; English unless the language is German.
    pub(crate) fn for_locale(tag: &str) -> &'static Strings {
        let lang = tag.split(['-', '_']).next().unwrap_or_default();
        if lang.eq_ignore_ascii_case("de") {
            &DE
        } else {
            &EN
        }
    }

    /// The message for an error code.
    pub(crate) fn error(&self, code: ErrorCode) -> &'static str {
        (self.errors)(code)
    }
}

/// `template` with `{0}`, `{1}`, ... replaced by `args`.
pub(crate) fn fill(template: &str, args: &[&str]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let slot = rest[open + 1..]
            .split_once('}')
            .and_then(|(n, after)| Some((args.get(n.parse::<usize>().ok()?)?, after)));
        match slot {
            Some((arg, after)) => {
                out.push_str(arg);
                rest = after;
            }
            None => {
                out.push('{');
                rest = &rest[open + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_filled() {
        assert_eq!(
            fill("Allow {0} on {1}?", &["read", "db"]),
            "Allow read on db?"
        );
        assert_eq!(fill("{1}{0}{9}{x", &["a", "b"]), "ba{9}{x");
    }

    #[test]
    fn locales_fall_back_to_english() {
        assert_eq!(Strings::for_locale("de-CH").lang, "de");
        assert_eq!(Strings::for_locale("DE").lang, "de");
        assert_eq!(Strings::for_locale("fr").lang, "en");
        assert_eq!(Strings::for_locale("").lang, "en");
    }

    /// Every code has its own message in every locale: not empty, not the generic fallback
    /// (the `unknown` code's), and translated. The compiler already refuses a code without an
    /// arm in a locale's `match`; this catches an arm that only falls back.
    #[test]
    fn every_error_code_has_its_own_message_in_every_locale() {
        for strings in [&EN, &DE] {
            let fallback = strings.error(ErrorCode::Unknown);
            for code in ErrorCode::ALL {
                let message = strings.error(code);
                assert!(!message.trim().is_empty(), "{}: {code:?}", strings.lang);
                if code != ErrorCode::Unknown {
                    assert_ne!(message, fallback, "{}: {code:?}", strings.lang);
                }
            }
        }
        for code in ErrorCode::ALL {
            assert_ne!(EN.error(code), DE.error(code), "{code:?} is not translated");
        }
        assert_eq!(
            EN.error(ErrorCode::ToolRoundsExceeded),
            "The AI model kept calling tools without finishing its answer."
        );
        assert_eq!(
            DE.error(ErrorCode::ToolRoundsExceeded),
            "Das KI-Modell hat immer wieder Werkzeuge aufgerufen, ohne die Antwort abzuschließen."
        );
    }

    #[test]
    fn every_locale_has_the_same_slots() {
        for strings in [&EN, &DE] {
            let slots = |s: &str| s.matches('{').count();
            for (en, other) in [
                (EN.approval, strings.approval),
                (EN.tools_offered, strings.tools_offered),
                (EN.show_all, strings.show_all),
                (EN.connect_to, strings.connect_to),
                (EN.error_code, strings.error_code),
            ] {
                assert_eq!(slots(en), slots(other), "{other}");
            }
        }
        assert_eq!(
            EN.error(ErrorCode::StreamInterrupted),
            "The answer was interrupted."
        );
        assert_eq!(DE.error(ErrorCode::Unknown), "Etwas ist schiefgelaufen.");
    }
}
