//! The signals that stop a command cleanly: Ctrl-C (SIGINT) and, on Unix, SIGTERM (what
//! `docker stop`, systemd and Kubernetes send). `dfinery emulator`, `send` and `export` all wait
//! on [`stop_signal`], so both signals do the same in each.

/// Waits for Ctrl-C (SIGINT) or, on Unix, SIGTERM. On Unix both are listened for from the
/// call, not from the first poll: a command calls this before it prints what a script may act
/// on, so a signal sent at once gets the clean stop, not the signal's default action (the
/// process killed) nor, caught by the runtime before anyone listens, nothing at all.
///
/// When neither signal can be listened for, the future never completes (a warning says so):
/// the command then runs to its end, and the signals keep their default action.
pub fn stop_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            match (interrupt, terminate) {
                (Ok(mut interrupt), Ok(mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                }
                (Ok(mut interrupt), Err(err)) => {
                    tracing::warn!("cannot listen for SIGTERM ({err}); only Ctrl-C stops cleanly");
                    interrupt.recv().await;
                }
                (Err(err), Ok(mut terminate)) => {
                    tracing::warn!("cannot listen for Ctrl-C ({err}); only SIGTERM stops cleanly");
                    terminate.recv().await;
                }
                (Err(err), Err(_)) => {
                    tracing::warn!(
                        "cannot listen for Ctrl-C or SIGTERM ({err}); neither stops cleanly"
                    );
                    std::future::pending::<()>().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot listen for Ctrl-C ({err}); it does not stop cleanly");
            std::future::pending::<()>().await;
        }
    }
}
