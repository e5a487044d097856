//! What goes into [`crate::update::update`] and what comes out: [`Msg`] and [`Effect`].
//!
//! A [`Msg`] is everything that can happen to an instance (a click, a key, a list or a stream
//! chunk arriving, a host-page call), carrying what the listener saw with it (the composer's
//! text, a box's tick). An [`Effect`] is everything the instance does to the world in answer:
//! start a request, save, tell the host page, move the focus, watch for a sign-in. Both are
//! plain data, so the rules between them are tested natively.

use protocol::{
    ApiError, ChatRequest, Identity, ModelList, PromptList, PromptMessages, ServerList,
    StreamEvent, Usage,
};

use crate::state::attach::FileMeta;
use crate::state::{Exchange, Slot, Threads};
use crate::storage::Prefs;

/// Everything that can happen to an instance.
#[derive(Debug)]
pub(crate) enum Msg {
    /// An observed attribute of the host element changed (the controller tells
    /// [`Msg::EndpointChanged`] and [`Msg::ModeChanged`] apart; the rest are read when rendering).
    AttributeChanged(String),
    /// The `endpoint` attribute changed: another edge.
    EndpointChanged,
    /// The `mode` attribute changed; `true` for `launcher`.
    ModeChanged(bool),
    /// Another element of this page already learned who is signed in at this endpoint.
    KnownUser(Identity),
    /// What the store kept for the user who was just named.
    Restored(Saved),
    /// (Re)load the server list.
    LoadServers,
    /// The server list arrived, or could not be had.
    ServersLoaded(u64, Result<ServerList, ApiError>),
    /// The edge said who is signed in, or could not.
    MeLoaded(u64, Result<Identity, ApiError>),
    /// The user followed the Sign out link.
    SignOut,
    /// The model list arrived, or could not be had.
    ModelsLoaded(u64, Result<ModelList, ApiError>),
    /// A model was picked.
    ModelChosen(String),
    /// A server was ticked or unticked.
    ServerToggled {
        /// The server id.
        id: String,
        /// Ticked.
        on: bool,
    },
    /// Disconnect a server.
    Disconnect(String),
    /// The edge answered a disconnect.
    Disconnected(u64, Result<ServerList, ApiError>),
    /// The user opened a server's Connect link.
    Connecting,
    /// The user opened the sign-in link.
    SignIn,
    /// Time to check whether the user has signed in.
    SignInCheck,
    /// The edge answered the sign-in check.
    SessionChecked(u64, Result<ServerList, ApiError>),
    /// The page got the focus back, perhaps after the user signed in in another window.
    WindowFocused,
    /// Send the draft (the composer's text).
    Send(String),
    /// Files the user picked, pasted or dropped.
    AttachFiles(Vec<FileMeta>),
    /// A file's bytes, read as a `data:` URL (`None`: the read failed).
    FileRead {
        /// The file's handle ([`FileMeta::id`]).
        id: u32,
        /// The `data:` URL.
        data: Option<String>,
    },
    /// Remove the draft's attachment `.0`.
    RemoveAttachment(usize),
    /// A hosted tool (`web_search`, `code_interpreter`) was turned on or off.
    HostedToolToggled {
        /// Its name.
        name: String,
        /// On.
        on: bool,
    },
    /// Stop the answer being streamed.
    Stop,
    /// Send the failed last question again.
    Retry,
    /// Start a new conversation (the current one stays in the list).
    NewChat,
    /// Show or hide the list of conversations.
    ToggleThreads,
    /// Show conversation `.0`.
    SwitchThread(String),
    /// Conversation `.0`'s stored exchanges, read for a switch.
    ThreadLoaded(String, Vec<Exchange>),
    /// Rename a conversation.
    RenameThread {
        /// Its id.
        id: String,
        /// The new title.
        title: String,
    },
    /// Delete conversation `.0`.
    DeleteThread(String),
    /// Edit question `.0`: it goes into the composer, and Send replaces it.
    Edit(usize),
    /// Stop editing without sending.
    CancelEdit,
    /// Replace question `index` by `text` and ask it (host API `edit(index, text)`).
    HostEdit {
        /// Which question, from 0.
        index: usize,
        /// The new question.
        text: String,
    },
    /// Ask the last question again.
    Regenerate,
    /// Copy answer `index` as markdown.
    Copy {
        /// Which answer, from 0.
        index: usize,
        /// Asked by the host API (`copy(index)`), which opens the launcher's panel.
        host: bool,
    },
    /// The "always allow" box of an approval was ticked or unticked.
    AlwaysToggled {
        /// The approval request's id.
        id: String,
        /// Ticked.
        on: bool,
    },
    /// The user answered a server's question (Submit, Decline or Cancel), with what the form's
    /// controls hold.
    Elicit {
        /// The `elicitation_id`.
        id: String,
        /// What the user did.
        action: protocol::ElicitAction,
        /// The form's values.
        values: Vec<(String, crate::state::elicitation::Entered)>,
    },
    /// The user allowed or denied a tool call.
    Decide {
        /// The approval request's id.
        id: String,
        /// Allowed.
        approve: bool,
    },
    /// Show a tool result in full.
    ShowAll(String),
    /// Scroll to the latest message.
    Jump,
    /// Show exchanges before the first shown one.
    ShowEarlier,
    /// The log was scrolled.
    Scrolled,
    /// The draft changed to this text.
    DraftChanged(String),
    /// Escape was pressed.
    Escape,
    /// Open or close the launcher's panel.
    Toggle,
    /// Open the launcher's panel (host API `open()`).
    Open,
    /// Close the launcher's panel (host API `close()`).
    Close,
    /// Send this text (host API `send(text)`).
    HostSend(String),
    /// The visual viewport is this tall now (`.0`), this far from the layout viewport's top (`.1`).
    Viewport(i32, i32),
    /// The page is going away (`pagehide`): abort the answer's request, so the provider stops,
    /// and save now. The answer keeps its text and comes back as interrupted (retryable).
    PageHidden,
    /// The element left the document: save now, so an element that takes its place (a framework
    /// re-rendering the page) restores the conversation as it is at this moment.
    Detached,
    /// The element is back in the document after a move.
    Attached,
    /// Chat request `request` was turned away for want of capacity and will be sent again.
    ChatBusy {
        /// Which request.
        request: u64,
    },
    /// Chat request `request` got no stream: a non-2xx answer, or none at all.
    ChatRefused {
        /// Which request.
        request: u64,
        /// Why.
        error: ApiError,
    },
    /// A chunk of request `request`'s stream completed these events.
    StreamEvents {
        /// Which request.
        request: u64,
        /// The events, in order.
        events: Vec<StreamEvent>,
    },
    /// Request `request`'s stream ended or broke off.
    StreamEnded {
        /// Which request.
        request: u64,
    },
    /// An arrow key in the composer while its text is a `/` command: move the menu's highlight.
    MenuMove(i32),
    /// Entry `.0` of the `/` menu was clicked.
    PromptPicked(usize),
    /// The prompt's argument form was sent with these values.
    PromptSubmit(Vec<(String, String)>),
    /// The prompt's argument form was cancelled.
    PromptCancel,
    /// The prompts of the selected servers arrived, or could not be had.
    PromptsLoaded(u64, Result<PromptList, ApiError>),
    /// A prompt's messages arrived, or could not be had.
    PromptFetched(u64, Result<PromptMessages, ApiError>),
    /// The MCP App view of call `.0` posted `.1` (from that frame's window only).
    FromApp(String, crate::app_bridge::FromApp),
    /// The edge answered a view's tool call.
    AppToolDone {
        /// The call whose view asked.
        call_id: String,
        /// The view's request id.
        id: crate::app_bridge::RpcId,
        /// The `CallToolResult` as JSON text, or the edge's refusal.
        result: Result<String, ApiError>,
    },
    /// The user opened (`open`) or declined the link the view of `call_id` asked for.
    AppLink {
        /// The call whose view asked.
        call_id: String,
        /// Open it.
        open: bool,
    },
    /// Request `request`'s stream broke off (a network error, not Stop): resume it if it can
    /// be (see `update::resume`).
    StreamBroken {
        /// Which request.
        request: u64,
        /// The last resume mark it kept.
        cursor: Option<u64>,
    },
    /// Time to resume the broken-off answer.
    ResumeNow,
    /// The browser is online again (`online`).
    Online,
}

/// What the store kept for one user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Saved {
    /// The conversations, and the current one.
    pub(crate) threads: Threads,
    /// The current conversation.
    pub(crate) exchanges: Vec<Exchange>,
    /// The draft.
    pub(crate) draft: String,
    /// The preferences.
    pub(crate) prefs: Prefs,
}

/// Something the instance does to the world. The controller runs them in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Read file `.0` (a [`FileMeta::id`]); its bytes come back as [`Msg::FileRead`].
    ReadFile(u32),
    /// Start request `id` (replacing, so aborting, the one of its slot).
    Start {
        /// The id messages of this request carry.
        id: u64,
        /// What to ask.
        request: Request,
    },
    /// Save the conversation now, even while an answer streams.
    SaveChatNow,
    /// Save conversation `.0` as `.1` now: the state has moved on to another (another thread,
    /// another endpoint).
    SaveChat(String, Vec<Exchange>),
    /// Read conversation `.0` and hand it back as [`Msg::ThreadLoaded`].
    LoadThread(String),
    /// Remove stored conversation `.0`.
    DropThread(String),
    /// Save the preferences (selection, model, "always allow" rules).
    SavePrefs,
    /// Save this draft.
    SaveDraft(String),
    /// Save the draft in the composer (it belongs to the user just named).
    SaveComposerDraft,
    /// Set the composer's text.
    SetDraft(String),
    /// Put this text on the clipboard.
    Copy(String),
    /// Put this text back into the composer, unless the user has started a new one.
    RestoreDraft(String),
    /// Tell the host page (`pomerium-chat:*`).
    Emit(HostEvent),
    /// Move the keyboard focus.
    Focus(Focus),
    /// Render now (before a focus move that needs the element shown).
    Render,
    /// Scroll the log to its end.
    ScrollToLatest,
    /// Show or hide "jump to latest" for where the log is scrolled.
    UpdateJump,
    /// Show tool call `.0`'s whole result.
    ShowAll(String),
    /// Open a page a server or an MCP App view asked the user to visit (an `http(s)` link the
    /// user accepted) in a new tab.
    OpenLink(String),
    /// Fit the launcher panel to the visual viewport (height, top).
    FitViewport(i32, i32),
    /// Forget the conversation's DOM (another conversation comes next).
    ResetLog,
    /// Set the host's `data-ready`: what can be restored is shown.
    MarkReady,
    /// Put a launcher in the top layer, or take an inline chat out of it.
    SyncTopLayer,
    /// Send [`Msg::SignInCheck`] every [`crate::update::SIGN_IN_POLL_MS`].
    WatchSignIn,
    /// Stop sending [`Msg::SignInCheck`].
    StopSignInWatch,
    /// Remember for this page whom the edge named at this endpoint (`None`: nobody).
    Remember(Option<Identity>),
    /// Store nothing: nobody is known.
    CloseStore,
    /// Use the storage of this user (by subject).
    ClaimStore(String),
    /// Forget everything stored for this endpoint, and store nothing.
    ForgetStore,
    /// Read what the store kept and hand it back as [`Msg::Restored`].
    Restore,
    /// Post `.1` to the MCP App view of call `.0`.
    ToApp(String, crate::app_bridge::ToApp),
    /// `POST /api/app/tool-call` for a view; the answer comes back as [`Msg::AppToolDone`].
    AppToolCall {
        /// The call whose view asks.
        call_id: String,
        /// The view's request id.
        id: crate::app_bridge::RpcId,
        /// The view's sealed handle.
        handle: String,
        /// The tool.
        name: String,
        /// Its arguments (JSON text).
        arguments: String,
    },
    /// Send [`Msg::ResumeNow`] after this many milliseconds.
    ResumeLater(u32),
    /// Stop the resumable answer with this handle at the provider (`POST /api/chat/cancel`).
    CancelAnswer(String),
}

/// A request to the edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Request {
    /// `GET /api/servers`.
    Servers,
    /// `GET /api/models`.
    Models,
    /// `GET /api/me`.
    Me,
    /// `GET /api/servers`, to learn whether the user has signed in.
    Session,
    /// `POST /api/servers/disconnect` for this server.
    Disconnect(String),
    /// `POST /api/chat`.
    Chat(ChatRequest),
    /// `GET /api/prompts` for these servers.
    Prompts(Vec<String>),
    /// `POST /api/prompts/get` (a `protocol::PromptRequest`; the widget keeps no map).
    Prompt {
        /// The server id.
        server: String,
        /// The prompt's name.
        name: String,
        /// The argument values, in the form's order.
        values: Vec<(String, String)>,
    },
}

impl Request {
    /// The slot the request runs in.
    pub(crate) fn slot(&self) -> Slot {
        match self {
            Self::Servers => Slot::Servers,
            Self::Models => Slot::Models,
            Self::Me => Slot::Me,
            Self::Session => Slot::Session,
            Self::Disconnect(_) => Slot::Disconnect,
            Self::Chat(_) => Slot::Chat,
            Self::Prompts(_) | Self::Prompt { .. } => Slot::Prompts,
        }
    }
}

/// A `pomerium-chat:*` event for the host page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HostEvent {
    /// `pomerium-chat:open`.
    Open,
    /// `pomerium-chat:close`.
    Close,
    /// `pomerium-chat:message` for the user's question.
    Question(String),
    /// `pomerium-chat:message` for an answer that ended.
    Answer {
        /// Its text.
        text: String,
        /// `complete`, `stopped` or `approval`.
        status: &'static str,
        /// The edge's request id.
        request_id: Option<String>,
        /// Tokens and timings, when the edge sent them.
        usage: Option<Usage>,
    },
    /// `pomerium-chat:edit`: question `index` was replaced by `content` (the answers after it
    /// went); a `pomerium-chat:message` for the question follows.
    Edit {
        /// Which question, from 0.
        index: usize,
        /// The new question.
        content: String,
    },
    /// `pomerium-chat:regenerate`: answer `index` (the last) is asked for again.
    Regenerate {
        /// Which answer, from 0.
        index: usize,
    },
    /// `pomerium-chat:copy`: answer `index` was copied as markdown.
    Copy {
        /// Which answer, from 0.
        index: usize,
        /// The markdown copied.
        content: String,
    },
    /// `pomerium-chat:error`.
    Error {
        /// What went wrong.
        error: ApiError,
        /// The edge's request id.
        request_id: Option<String>,
    },
}

/// Where the keyboard focus goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Focus {
    /// To the composer.
    Input,
    /// To the composer when the focus is in the widget: the button just pressed (Stop, Retry,
    /// Allow, Deny) is about to go away, and the focus with it.
    KeepInput,
    /// To the launcher bubble.
    Launcher,
    /// To the button that opens the list of chats (the list just closed).
    ThreadsToggle,
    /// To the first field of a prompt's argument form.
    PromptForm,
    /// To the log ("Show earlier" just showed the first exchange, and went away).
    Log,
}
