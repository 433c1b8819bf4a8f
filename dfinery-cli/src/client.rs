//! A [`Client`] from the command line: flags first, then the `DFINERY_*` environment variables
//! (clap reads both), then the registry's `[service] id`. Tokens are never printed. The client
//! knows where its service id and tokens came from, so that an error about one names that
//! place.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use dfinery_core::ratelimit::RateBudget;
use dfinery_core::wire::TokenKind;
use dfinery_core::{Client, ClientBuilder, ServiceIdSource, TokenSource};

use crate::cli::ClientArgs;
use crate::exit::CliError;

/// Builds the client of an export, which reads no registry: the service id comes from
/// `--service-id` or `DFINERY_SERVICE_ID` alone, and the export has `timeout` to start.
pub fn build_export(args: &ClientArgs, timeout: Duration) -> Result<Client, CliError> {
    if non_blank(args.service_id.as_deref()).is_none() {
        return Err(CliError::config(
            "no service id; pass `--service-id` or set `DFINERY_SERVICE_ID`",
        ));
    }
    builder(args, None, TokenKind::Export, |_| Ok(None))?
        .timeout(timeout)
        .build()
        .map_err(|err| build_error(&err))
}

/// The client of a command that reads a registry: its service id from `--service-id` or
/// `DFINERY_SERVICE_ID`, else `registry`'s (`id` of `[service]` of the file at its path), with
/// the rate budget `budget` makes for the service id (e.g. one shared through Redis), if it
/// makes one. Each request has `timeout` to be answered.
pub fn build_with(
    args: &ClientArgs,
    registry: Option<(&str, &Path)>,
    kind: TokenKind,
    timeout: Duration,
    budget: impl FnOnce(&str) -> Result<Option<Arc<dyn RateBudget>>, CliError>,
) -> Result<Client, CliError> {
    builder(args, registry, kind, budget)?
        .timeout(timeout)
        .build()
        .map_err(|err| build_error(&err))
}

/// The builder [`build_with`] builds.
fn builder(
    args: &ClientArgs,
    registry: Option<(&str, &Path)>,
    kind: TokenKind,
    budget: impl FnOnce(&str) -> Result<Option<Arc<dyn RateBudget>>, CliError>,
) -> Result<ClientBuilder, CliError> {
    let given = non_blank(args.service_id.as_deref()).map(|id| (id, flag_or_env(args)));
    let (service_id, source) = given
        .or_else(|| {
            let (id, path) = registry?;
            Some((non_blank(Some(id))?, ServiceIdSource::Registry(path.to_owned())))
        })
        .ok_or_else(|| {
            CliError::config(
                "no service id; pass `--service-id`, set `DFINERY_SERVICE_ID`, or set `[service] id` in the registry",
            )
        })?;
    let mut builder = Client::builder().service_id_from(service_id, source);
    if let Some(budget) = budget(service_id)? {
        builder = builder.rate_budget(budget);
    }
    if let Some(url) = non_blank(args.base_url.as_deref()) {
        builder = builder.base_url(url);
    }
    let import = non_blank(args.import_token.as_deref());
    let export = non_blank(args.export_token.as_deref());
    match (kind, import, export) {
        (TokenKind::Import, None, _) => {
            return Err(CliError::config(
                "no import token; set `DFINERY_IMPORT_TOKEN` (or pass `--import-token`)",
            ));
        }
        (TokenKind::Export, _, None) => {
            return Err(CliError::config(
                "no export token; set `DFINERY_EXPORT_TOKEN` (or pass `--export-token`)",
            ));
        }
        _ => {}
    }
    if let Some(token) = import {
        builder = builder.import_token_from(token, token_source(args, TokenKind::Import));
    }
    if let Some(token) = export {
        builder = builder.export_token_from(token, token_source(args, TokenKind::Export));
    }
    Ok(builder)
}

/// Where the command line takes the base URL from, as its messages name it.
const BASE_URL: &str = "`--base-url` (or `DFINERY_BASE_URL`)";

/// The library's advice for an Import request not answered in time, which
/// `dfinery send --request-timeout` sets. (`dfinery export` calls only the Export API, whose
/// advice goes on ``(until the CSV starts) or `export_read_timeout` …``: it is left as it is.)
const IMPORT_TIMEOUT: &str = "the client's `timeout`";

/// A message of the library (an error of the client, the reason of a refused event, a log
/// line) in the command line's words: the library tells its users to check `base_url`, its
/// builder's setting, which the command line sets with `--base-url` (or its variable), and to
/// raise its `timeout`, which `dfinery send` sets with `--request-timeout`. The library's own
/// text is unchanged for its users. The service id and the tokens need no
/// rewording: the client is told where each came from (`--service-id`, `DFINERY_SERVICE_ID`
/// or the registry's `[service] id`; `--import-token` or `DFINERY_IMPORT_TOKEN`, and the
/// export's; [`builder`]) and names that place itself.
pub fn in_cli_words(text: &str) -> std::borrow::Cow<'_, str> {
    const WORDS: [(&str, &str); 1] = [("`base_url`", BASE_URL)];
    let mut text = std::borrow::Cow::Borrowed(text);
    for (library, cli) in WORDS {
        if text.contains(library) {
            text = text.replace(library, cli).into();
        }
    }
    if text.contains(IMPORT_TIMEOUT) {
        text = import_timeout_in_cli_words(&text).into();
    }
    text
}

/// `text` with the Import API's advice to raise the client's `timeout` naming
/// `--request-timeout`; the Export API's, which goes on `` (until``, is left as it is.
fn import_timeout_in_cli_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(IMPORT_TIMEOUT) {
        let after = &rest[at + IMPORT_TIMEOUT.len()..];
        out.push_str(&rest[..at]);
        if after.starts_with(" (until") {
            out.push_str(IMPORT_TIMEOUT);
        } else {
            out.push_str("`--request-timeout`");
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// A client that could not be built, in the command line's words: the flag and the variable
/// that set the base URL, not the library's builder methods.
fn build_error(error: &dfinery_core::ClientBuildError) -> CliError {
    use dfinery_core::ClientBuildError;
    match error {
        ClientBuildError::InsecureBaseUrl { url, .. } => CliError::config(format!(
            "{BASE_URL} `{url}` would send the tokens unencrypted; use `https://` (plain `http://` is accepted only for `localhost` and loopback addresses, such as the emulator's)"
        )),
        ClientBuildError::InvalidBaseUrl { url, reason, .. } => {
            CliError::config(format!("invalid {BASE_URL} `{url}`: {reason}"))
        }
        other => CliError::config(in_cli_words(&dfinery_core::ErrorChain(other).to_string())),
    }
}

/// Where the service id of `--service-id` came from: `DFINERY_SERVICE_ID` when clap filled
/// the flag from that variable, else the flag (also when the variable holds the same text).
fn flag_or_env(args: &ClientArgs) -> ServiceIdSource {
    if args.from_env.has("service_id") {
        ServiceIdSource::Env
    } else {
        ServiceIdSource::Flag("--service-id".to_owned())
    }
}

/// Where the `kind` token came from: its variable when clap filled its flag from it, else its
/// flag (`--import-token`, `--export-token`), also when the variable holds the same text.
fn token_source(args: &ClientArgs, kind: TokenKind) -> TokenSource {
    let (id, flag) = match kind {
        TokenKind::Import => ("import_token", "--import-token"),
        TokenKind::Export => ("export_token", "--export-token"),
    };
    if args.from_env.has(id) {
        TokenSource::Env
    } else {
        TokenSource::Flag(flag.to_owned())
    }
}

fn non_blank(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(service_id: Option<&str>, import: Option<&str>) -> ClientArgs {
        ClientArgs {
            base_url: Some("http://127.0.0.1:9".into()),
            service_id: service_id.map(Into::into),
            import_token: import.map(Into::into),
            export_token: None,
            from_env: crate::cli::FromEnv::default(),
        }
    }

    /// `build_with` as a command that reads the registry calls it (no rate budget).
    fn with_registry(
        args: &ClientArgs,
        registry: Option<&str>,
        kind: TokenKind,
    ) -> Result<Client, CliError> {
        let path = Path::new("conf/dfinery.toml");
        build_with(
            args,
            registry.map(|id| (id, path)),
            kind,
            Duration::from_secs(30),
            |_| Ok(None),
        )
    }

    #[test]
    fn the_flag_wins_over_the_registry_and_the_missing_piece_is_named() {
        let client = with_registry(
            &args(Some("flag"), Some("t")),
            Some("reg"),
            TokenKind::Import,
        )
        .unwrap();
        assert_eq!(client.service_id(), "flag");
        assert_eq!(
            client.service_id_source(),
            &ServiceIdSource::Flag("--service-id".into())
        );
        let client = with_registry(&args(None, Some("t")), Some("reg"), TokenKind::Import).unwrap();
        assert_eq!(client.service_id(), "reg");
        // Each knows where its id came from.
        assert_eq!(
            client.service_id_source(),
            &ServiceIdSource::Registry("conf/dfinery.toml".into())
        );
        let err = with_registry(&args(None, Some("t")), None, TokenKind::Import).unwrap_err();
        assert!(err.message.starts_with("no service id"), "{err}");
        assert!(err.message.contains("[service] id"), "{err}");
        // A command that reads no registry does not point to it.
        let mut export = args(None, None);
        export.export_token = Some("t".into());
        let err = build_export(&export, Duration::from_secs(1)).unwrap_err();
        assert!(err.message.starts_with("no service id"), "{err}");
        assert!(!err.message.contains("[service] id"), "{err}");
        let err = with_registry(&args(Some("s"), Some(" ")), None, TokenKind::Import).unwrap_err();
        assert!(err.message.contains("DFINERY_IMPORT_TOKEN"), "{err}");
        let err = build_export(&args(Some("s"), Some("t")), Duration::from_secs(1)).unwrap_err();
        assert!(err.message.contains("DFINERY_EXPORT_TOKEN"), "{err}");
    }

    /// The client knows the tokens came from their flags (the arguments' `from_env` marks
    /// none), so a refused or malformed one names the flag, not the variable, nor the
    /// library's `ClientBuilder::import_token` the command line called; and the variables
    /// when `from_env` marks them.
    #[test]
    fn a_token_is_named_by_the_flag_it_came_from() {
        let mut both = args(Some("s"), Some("imp"));
        both.export_token = Some("exp".into());
        let client = build_export(&both, Duration::from_secs(1)).unwrap();
        assert_eq!(
            client.token_source(TokenKind::Import),
            Some(&TokenSource::Flag("--import-token".into()))
        );
        assert_eq!(
            client.token_source(TokenKind::Export),
            Some(&TokenSource::Flag("--export-token".into()))
        );
        both.from_env = crate::cli::FromEnv::default()
            .with("import_token")
            .with("service_id");
        let client = build_export(&both, Duration::from_secs(1)).unwrap();
        assert_eq!(
            client.token_source(TokenKind::Import),
            Some(&TokenSource::Env)
        );
        assert_eq!(
            client.token_source(TokenKind::Export),
            Some(&TokenSource::Flag("--export-token".into()))
        );
        assert_eq!(client.service_id_source(), &ServiceIdSource::Env);
        let err =
            with_registry(&args(Some("s"), Some("SEC RET")), None, TokenKind::Import).unwrap_err();
        assert_eq!(
            err.message,
            "the import token from `--import-token` holds a character no DFINERY token has (white space, a line break or another control character, or a non-ASCII character); pass `--import-token` the import token the DFINERY console shows"
        );
    }

    #[test]
    fn the_library_s_settings_are_named_as_the_command_line_sets_them() {
        assert_eq!(
            in_cli_words(
                "could not reach `POST /api/v1/events`; check the network and `base_url`: refused"
            ),
            "could not reach `POST /api/v1/events`; check the network and `--base-url` (or `DFINERY_BASE_URL`): refused"
        );
        // A request not answered in time: `dfinery send --request-timeout` sets the Import
        // API's; an export's advice (its `--timeout` is named by the export itself) is kept.
        assert_eq!(
            in_cli_words(
                "`POST /api/v1/events` did not answer within 30s; retry, or raise the client's `timeout`"
            ),
            "`POST /api/v1/events` did not answer within 30s; retry, or raise `--request-timeout`"
        );
        let export = "`POST /api/v1/export/event` did not answer within 60s; retry, or raise the client's `timeout` (until the CSV starts) or `export_read_timeout` (between its chunks)";
        assert_eq!(in_cli_words(export), export);
        // A refused service id or token already names where the command line took it from.
        for untouched in [
            "`POST /api/v1/events` refused the token from `--import-token` (HTTP 200, 40201 INVALID_TOKEN); pass `--import-token` the import token the DFINERY console shows",
            "`POST /api/v1/events` refused the service id from `--service-id` (HTTP 200, 40101 INVALID_SERVICE_ID); pass `--service-id` the service id the DFINERY console shows",
        ] {
            assert!(
                matches!(in_cli_words(untouched), std::borrow::Cow::Borrowed(t) if t == untouched)
            );
        }
    }

    #[test]
    fn a_token_never_shows_in_the_client_or_its_errors() {
        let mut a = args(Some("s"), Some("very-secret-token"));
        a.base_url = Some("http://example.com".into());
        let err = with_registry(&a, None, TokenKind::Import).unwrap_err();
        assert!(!err.message.contains("very-secret-token"), "{err}");
        a.base_url = None;
        let client = with_registry(&a, None, TokenKind::Import).unwrap();
        assert!(!format!("{client:?}").contains("very-secret-token"));
    }
}
