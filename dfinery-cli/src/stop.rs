//! The signals that stop a command cleanly: Ctrl-C (SIGINT) and, on Unix, SIGTERM (what
//! `docker stop`, systemd and Kubernetes send). `dfinery emulator` and `export` wait on
//! [`stop_signal`], `send` on [`StopSignals`] (a second signal quits it at once), so both
//! signals do the same in each.

/// Waits for Ctrl-C (SIGINT) or, on Unix, SIGTERM. On Unix both are listened for from the
/// call, not from the first poll: a command calls this before it prints what a script may act
/// on, so a signal sent at once gets the clean stop, not the signal's default action (the
/// process killed) nor, caught by the runtime before anyone listens, nothing at all.
///
/// When neither signal can be listened for, the future never completes (a warning says so):
/// the command then runs to its end, and the signals keep their default action.
pub fn stop_signal() -> impl Future<Output = ()> + Send + 'static {
    let mut signals = StopSignals::listen();
    async move { signals.recv().await }
}

/// Ctrl-C (SIGINT) and, on Unix, SIGTERM, listened for from [`listen`](StopSignals::listen) on
/// and received as often as they come: the first asks a command to stop cleanly, a second to
/// quit at once. Once listened for, a signal no longer ends the process by itself, so a command
/// that stops slowly keeps listening for the second.
pub struct StopSignals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    /// Starts listening (on Unix; elsewhere Ctrl-C is listened for from each
    /// [`recv`](StopSignals::recv) on). A signal that cannot be listened for is logged as a
    /// warning, and keeps its default action.
    pub fn listen() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let interrupt = signal(SignalKind::interrupt())
                .inspect_err(|err| {
                    tracing::warn!("cannot listen for Ctrl-C ({err}); it does not stop cleanly");
                })
                .ok();
            let terminate = signal(SignalKind::terminate())
                .inspect_err(|err| {
                    tracing::warn!("cannot listen for SIGTERM ({err}); it does not stop cleanly");
                })
                .ok();
            Self {
                interrupt,
                terminate,
            }
        }
        #[cfg(not(unix))]
        Self {}
    }

    /// Waits for the next Ctrl-C or SIGTERM; never completes when neither can be listened for.
    pub async fn recv(&mut self) {
        #[cfg(unix)]
        match (&mut self.interrupt, &mut self.terminate) {
            (Some(interrupt), Some(terminate)) => {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
            }
            (Some(only), None) | (None, Some(only)) => {
                only.recv().await;
            }
            (None, None) => std::future::pending::<()>().await,
        }
        #[cfg(not(unix))]
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot listen for Ctrl-C ({err}); it does not stop cleanly");
            std::future::pending::<()>().await;
        }
    }
}
