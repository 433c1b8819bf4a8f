//! Talks to a real DFINERY service configured in the environment (not run in CI):
//!
//! ```sh
//! export DFINERY_SERVICE_ID=…  DFINERY_IMPORT_TOKEN=…  # DFINERY_EXPORT_TOKEN=… to export too
//! cargo run --example real_endpoint
//! ```
//!
//! It identifies the user `DFINERY_EXAMPLE_USER` (default `dfinery-rust-example`) and sends one
//! `df_login` for them, so `df_login` must be enabled in the console. With an export token it
//! also exports today's `df_login` events. `DFINERY_BASE_URL` points it elsewhere (e.g. an
//! emulator started by hand with `dfinery emulator`).

use std::process::ExitCode;

use dfinery::ClientBuildError;
use dfinery::export::EventQuery;
use dfinery::ratelimit::Api;
use dfinery::wire::TokenKind;
use dfinery::{Client, EventRecord, Identifier, Identity};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(code) => code,
        // The error's message, which says what to fix, and what caused it: returned from
        // `main`, Rust would print the error's `Debug` form instead (`InvalidBaseUrl { url: … }`).
        Err(error) => {
            eprintln!("error: {error}");
            let mut cause = error.source();
            while let Some(error) = cause {
                eprintln!("  caused by: {error}");
                cause = error.source();
            }
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let client = match Client::builder().from_env().build() {
        Ok(client) => client,
        Err(error @ (ClientBuildError::MissingServiceId | ClientBuildError::MissingToken)) => {
            eprintln!("{error}");
            eprintln!(
                "set DFINERY_SERVICE_ID and DFINERY_IMPORT_TOKEN (and DFINERY_EXPORT_TOKEN to export) to the values in the DFINERY console, then run again"
            );
            return Ok(ExitCode::from(2));
        }
        Err(error) => return Err(error.into()),
    };
    let external_id =
        std::env::var("DFINERY_EXAMPLE_USER").unwrap_or_else(|_| "dfinery-rust-example".to_owned());
    println!("Service `{}` at {}", client.service_id(), client.base_url());

    let user = Identity::new(Identifier::ExternalId, external_id.as_str())?;
    client.identify(&user).await?;
    println!("Identified `{external_id}`.");

    let login = EventRecord::builder("df_login").build()?;
    let report = client.send_events(&user, [login]).await?;
    println!(
        "Sent {} event(s) in {} attempt(s).",
        report.events, report.attempts
    );
    if let Some(limit) = client.rate_limit(Api::Event) {
        println!(
            "Event API budget: {} left in the `{}` window.",
            limit.remaining.map_or("?".to_owned(), |n| n.to_string()),
            limit.window.as_deref().unwrap_or("?")
        );
    }

    // Whether the client has an export token: `from_env` leaves an empty variable unset.
    if client.token_source(TokenKind::Export).is_some() {
        let request = EventQuery::last_days(1)
            .include_events(["df_login"])
            .to_request()?;
        let csv = client.export_events(&request).await?.text().await?;
        println!(
            "Exported {} row(s) of today's df_login events.",
            csv.lines().count().saturating_sub(1)
        );
    }
    Ok(ExitCode::SUCCESS)
}
