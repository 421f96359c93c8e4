//! The console: a ratatui dashboard for keyboard-driven onboarding over SSH.
//!
//! Shape: the state ([`model`]: what the console is doing is one [`model::Mode`]), a pure
//! `update(&mut Model, Msg) -> Vec<Effect>` ([`update`]), a `view(&Model)` that only reads
//! ([`view`]), both sizing things by one [`layout`], one registry of [`commands`] for the
//! keys, the palette, the hints and the help, and this runner, which owns the terminal,
//! feeds every input (keys, engine events, ticks, effect results) through one channel,
//! performs the effects and redraws once per batch of messages, at most every [`FRAME`].
//!
//! The console is a client of the engine like the CLI: attached over the control socket
//! when an owner runs, or running the owner in this process (the header says which). A
//! dropped SSH connection (SIGHUP), SIGTERM, SIGINT, `q` and a panic all restore the
//! terminal; an owned runtime is then stopped gracefully.

pub mod clock;
pub mod commands;
pub mod exports;
mod handle;
pub mod layout;
mod mail_runner;
pub mod model;
pub mod style;
#[cfg(test)]
mod tests;
pub mod update;
pub mod view;

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste, Event, EventStream};
use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::control::Client;
use crate::engine::{EngineApi, Local};
use crate::mail::{MailError, Mailer};
use crate::owner::{Owner, OwnerOptions};
use crate::time::now_ms;
use handle::current;
use model::{Effect, Model, Msg, Setup};

/// At most one frame this often (render coalescing).
pub const FRAME: Duration = Duration::from_millis(16);
/// How long an owned runtime may take to stop when the console quits.
const GRACE: Duration = Duration::from_secs(30);

/// The console draws on a terminal and reads keys from one.
pub fn require_terminal() -> Result<()> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        bail!("the console needs a terminal; for scripts use a subcommand (mcp-onboard --help)");
    }
    Ok(())
}

/// What the console starts with: the owner to attach to, or how to be one.
pub struct Launch {
    /// The owner running on the data dir, if one answered on its control socket.
    pub attach: Option<Client>,
    /// Else the owner this process runs (its data dir, key and config; the set-up shown
    /// is this config's).
    pub owner: OwnerOptions,
    /// Said on stderr before this process owns the database (a new one is about to be
    /// created, and where).
    pub notes: Vec<String>,
    /// Offer the demo's sample tenant once the owner runs in this process (added when the
    /// database wants it: see [`crate::owner::sample`]).
    pub sample: bool,
}

pub async fn run(launch: Launch) -> Result<()> {
    require_terminal()?;
    let Launch {
        attach,
        owner: options,
        notes,
        sample,
    } = launch;
    let (config, demo, data_dir) = (
        options.config.clone(),
        options.demo,
        options.data_dir.clone(),
    );
    let (api, owner): (Arc<dyn EngineApi>, Option<Owner>) = match attach {
        Some(client) => (Arc::new(client), None),
        None => {
            for note in &notes {
                eprintln!("note: {note}");
            }
            let owner = Owner::start(options).await?;
            let api = Arc::new(Local(owner.engine().clone()));
            (api, Some(owner))
        }
    };
    let attachment = api.attachment();
    // An attached console shows its owner's set-up (from its status), not its own
    // config's; an owning console's config is the owner's.
    let problems = match owner {
        Some(_) => crate::owner::setup::lines(&config, demo),
        None => Vec::new(),
    };
    // The console's own folder for exports, whatever folder its owner names.
    let exports = {
        let own = data_dir.clone();
        tokio::task::spawn_blocking(move || exports::for_this_user(&own))
            .await
            .context("choosing the exports folder")?
    };
    let message_template = crate::message::configured_template();
    // The console mails links through its own relay (its config's `[mail]`, the login
    // from its environment), whichever owner it talks to.
    let mailer = {
        let (config, templates) = (config.clone(), message_template.clone());
        tokio::task::spawn_blocking(move || Mailer::new(&config, templates))
            .await
            .context("setting up the relay")?
    };
    let (mailer, mail) = match mailer {
        Ok(m) => {
            let relay = m.relay().to_owned();
            (Some(Arc::new(m)), Ok(relay))
        }
        Err(e) => {
            if !matches!(e, MailError::Off) {
                tracing::warn!(error = %e, "the console cannot mail links");
            }
            (None, Err(e.to_string()))
        }
    };
    let setup = Setup {
        attachment,
        public_url: config.listener.public_url.to_string(),
        redirect_uri: config.redirect_uri().to_string(),
        data_dir: data_dir.display().to_string(),
        exports,
        message_template,
        problems,
        mail,
    };
    let mut terminal = ratatui::try_init().context("setting up the terminal")?;
    // Bracketed paste on; mouse capture stays off, so text can be selected as usual.
    let _ = crossterm::execute!(std::io::stdout(), EnableBracketedPaste);
    // An attached console outlives its owner: it reconnects to the next one (a restart
    // under a service manager) through the same data dir.
    let reconnect = owner.is_none().then_some(data_dir);
    let sample = sample && owner.is_some();
    let res = event_loop(&mut terminal, api, mailer, setup, reconnect, sample).await;
    let _ = crossterm::execute!(std::io::stdout(), DisableBracketedPaste);
    ratatui::restore();
    if let Some(owner) = owner {
        owner.shutdown(GRACE).await?;
    }
    res
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    api: Arc<dyn EngineApi>,
    mailer: Option<Arc<Mailer>>,
    setup: Setup,
    reconnect: Option<std::path::PathBuf>,
    sample: bool,
) -> Result<()> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let mut tasks = Vec::new();
    if sample {
        // The sample's link goes to this console, as if it had asked for it.
        let (api, tx) = (api.clone(), tx.clone());
        tasks.push(tokio::spawn(async move {
            let keep = |link| {
                let _ = tx.send(Msg::LinkIssued(link));
            };
            if let Err(e) = crate::owner::sample::offer(api.as_ref(), keep).await {
                tracing::warn!(error = format!("{e:#}"), "the demo's sample tenant");
            }
        }));
    }
    let api = Arc::new(std::sync::RwLock::new(api));
    {
        let tx = tx.clone();
        tasks.push(tokio::spawn(async move {
            let mut input = EventStream::new();
            while let Some(ev) = input.next().await {
                let msg = match ev {
                    Ok(Event::Key(k)) => Msg::Key(k),
                    Ok(Event::Paste(s)) => Msg::Paste(s),
                    Ok(Event::Resize(w, h)) => Msg::Resize(w, h),
                    Ok(_) => continue,
                    // The terminal is gone (a dropped SSH connection): leave.
                    Err(_) => Msg::Signal("terminal lost"),
                };
                if tx.send(msg).is_err() {
                    return;
                }
            }
        }));
    }
    {
        let tx = tx.clone();
        let api = api.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let now = current(&api);
                match now.subscribe(None).await {
                    Ok(mut events) => {
                        while let Some(item) = events.next().await {
                            if tx.send(Msg::Engine(item)).is_err() {
                                return;
                            }
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "cannot subscribe to events"),
                }
                let Some(dir) = reconnect.as_deref() else {
                    // The console's own engine does not go away while it runs.
                    let _ = tx.send(Msg::Signal("the engine stopped"));
                    return;
                };
                tracing::warn!("the owner went away; reconnecting");
                if tx.send(Msg::OwnerLost).is_err() {
                    return;
                }
                let client = loop {
                    tokio::time::sleep(RECONNECT).await;
                    match crate::control::Client::connect(dir).await {
                        Ok(Some(c)) => break c,
                        Ok(None) => {}
                        Err(e) => tracing::debug!(error = %e, "no owner yet"),
                    }
                    if tx.is_closed() {
                        return;
                    }
                };
                let attachment = client.attachment();
                tracing::info!(pid = client.server_pid(), "attached again");
                if let Ok(mut slot) = api.write() {
                    *slot = Arc::new(client);
                }
                if tx.send(Msg::Reattached(attachment)).is_err() {
                    return;
                }
            }
        }));
    }
    {
        let tx = tx.clone();
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                if tx.send(Msg::Tick(now_ms())).is_err() {
                    return;
                }
            }
        }));
    }
    {
        let tx = tx.clone();
        tasks.push(tokio::spawn(async move {
            use tokio::signal::unix::{SignalKind, signal};
            let (Ok(mut hup), Ok(mut term), Ok(mut int)) = (
                signal(SignalKind::hangup()),
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
            ) else {
                return;
            };
            let name = tokio::select! {
                _ = hup.recv() => "SIGHUP",
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            };
            let _ = tx.send(Msg::Signal(name));
        }));
    }
    let mut m = Model::new(setup, view::theme(), now_ms());
    // The operator's zone, read from the system's files off the async workers.
    m.zone = tokio::task::spawn_blocking(crate::time::local_zone)
        .await
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let size = terminal.size().context("terminal size")?;
    let mut fx = update::update(&mut m, Msg::Resize(size.width, size.height));
    fx.extend(update::update(&mut m, Msg::Start));
    let mut last_draw: Option<Instant> = None;
    let result = loop {
        for e in fx.drain(..) {
            perform(e, &api, mailer.as_ref(), &tx);
        }
        if m.quit {
            break Ok(());
        }
        // Coalesce: at most one frame per FRAME, whatever arrives meanwhile.
        if let Some(t) = last_draw {
            let wait = FRAME.saturating_sub(t.elapsed());
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
        while let Ok(msg) = rx.try_recv() {
            fx.extend(update::update(&mut m, msg));
        }
        if !fx.is_empty() {
            continue;
        }
        if let Err(e) = terminal.draw(|f| view::view(&m, f)) {
            break Err(anyhow::Error::new(e).context("drawing"));
        }
        last_draw = Some(Instant::now());
        let Some(msg) = rx.recv().await else {
            break Ok(());
        };
        fx.extend(update::update(&mut m, msg));
    };
    for t in tasks {
        t.abort();
    }
    result
}

/// How often an attached console whose owner went away looks for the next one.
const RECONNECT: Duration = Duration::from_millis(500);

fn perform(
    e: Effect,
    api: &handle::Shared,
    mailer: Option<&Arc<Mailer>>,
    tx: &mpsc::UnboundedSender<Msg>,
) {
    match e {
        Effect::Call { id, command } => {
            let api = current(api);
            let tx = tx.clone();
            tokio::spawn(async move {
                let result = api.call(command).await;
                let _ = tx.send(Msg::Reply { id, result });
            });
        }
        Effect::Copy { text, what } => {
            let mut out = std::io::stdout();
            let res = crossterm::execute!(
                out,
                crossterm::clipboard::CopyToClipboard::to_clipboard_from(text.as_bytes())
            )
            .and_then(|()| out.flush())
            .map(|()| what)
            .map_err(|e| e.to_string());
            let _ = tx.send(Msg::Copied(res));
        }
        Effect::Export { folder, name, url } => {
            let tx = tx.clone();
            tokio::task::spawn_blocking(move || {
                let _ = tx.send(Msg::Exported(exports::export(&folder, &name, &url)));
            });
        }
        Effect::Mail { id, job } => mail_runner::spawn(api, mailer, job, id, tx),
        Effect::Quit => {}
    }
}
