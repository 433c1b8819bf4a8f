//! `dfinery check`: validate the registry file (every problem with its line and column), write
//! a starter one (`--init`), or compare it with the code's derived types (`--coverage`).

mod coverage;
mod init;

use std::path::Path;

use dfinery_schema::Registry;
use serde_json::json;

use crate::cli::CheckArgs;
use crate::exit::{CliError, Exit};
use crate::{output, registry};

/// Runs `dfinery check`.
///
/// # Errors
///
/// A configuration error when a file cannot be read or written.
pub fn run(args: &CheckArgs, json: bool) -> Result<Exit, CliError> {
    if args.init {
        let path = args
            .registry
            .clone()
            .unwrap_or_else(|| registry::DEFAULT.into());
        return init::run(&path, args.force, json);
    }
    let path = registry::given_or_found(args.registry.as_deref());
    let loaded = registry::read(&path)?;
    let registry = match loaded.result {
        Ok(registry) => registry,
        Err(err) => {
            report_problems(&path, &loaded.source, &err.diagnostics, json);
            return Ok(Exit::Failures);
        }
    };
    let coverage = match &args.coverage {
        Some(path) => Some(coverage::Report::new(&registry, &coverage::read(path)?)),
        None => None,
    };
    let failed = coverage.as_ref().is_some_and(coverage::Report::has_gaps);
    if json {
        let warnings: Vec<_> = loaded
            .warnings
            .iter()
            .map(|d| json!({"line": d.line, "column": d.column, "message": d.message}))
            .collect();
        let mut value = json!({
            "registry": path.display().to_string(),
            "valid": true,
            "problems": [],
            "warnings": warnings,
            "summary": summary_json(&registry),
        });
        if let Some(report) = &coverage {
            value["coverage"] = report.to_json();
        }
        output::json(&value);
    } else {
        let lines = registry::Lines::new(&loaded.source);
        for warning in &loaded.warnings {
            output::line(registry::render_warning(&path, &lines, warning));
            output::line("");
        }
        let warned = match loaded.warnings.len() {
            0 => String::new(),
            1 => " (1 warning)".to_owned(),
            n => format!(" ({n} warnings)"),
        };
        output::line(format!(
            "`{}` is valid{warned}: {}",
            path.display(),
            summary(&registry)
        ));
        if let Some(report) = &coverage {
            for line in report.lines() {
                output::line(line);
            }
        }
    }
    Ok(if failed { Exit::Failures } else { Exit::Ok })
}

fn report_problems(
    path: &Path,
    source: &str,
    diagnostics: &[dfinery_schema::Diagnostic],
    json: bool,
) {
    if json {
        let problems: Vec<_> = diagnostics
            .iter()
            .map(|d| json!({"line": d.line, "column": d.column, "message": d.message}))
            .collect();
        output::json(&json!({
            "registry": path.display().to_string(),
            "valid": false,
            "problems": problems,
        }));
        return;
    }
    let lines = registry::Lines::new(source);
    for diagnostic in diagnostics {
        output::line(registry::render(path, &lines, diagnostic));
        output::line("");
    }
    output::line(format!(
        "`{}` has {}",
        path.display(),
        registry::problems(diagnostics.len())
    ));
}

/// Counts of what the registry holds.
struct Counts {
    standard_events: usize,
    custom_events: usize,
    user_properties: usize,
}

fn counts(registry: &Registry) -> Counts {
    let standard_events = registry.events.values().filter(|e| e.standard).count();
    Counts {
        standard_events,
        custom_events: registry.events.len() - standard_events,
        user_properties: registry.user_properties.len(),
    }
}

/// `4 events (3 standard, 1 custom), 9 user properties, service id `shop``.
fn summary(registry: &Registry) -> String {
    let c = counts(registry);
    let service = registry
        .service_id
        .as_deref()
        .map_or_else(String::new, |id| format!(", service id `{id}`"));
    format!(
        "{} ({} standard, {} custom), {}{service}",
        dfinery_schema::names::counted(
            (c.standard_events + c.custom_events) as u64,
            "event",
            "events"
        ),
        c.standard_events,
        c.custom_events,
        dfinery_schema::names::counted(
            c.user_properties as u64,
            "user property",
            "user properties"
        )
    )
}

fn summary_json(registry: &Registry) -> serde_json::Value {
    let c = counts(registry);
    json!({
        "service_id": registry.service_id,
        "standard_events": c.standard_events,
        "custom_events": c.custom_events,
        "user_properties": c.user_properties,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_counts_standard_and_custom_events() {
        let registry = Registry::parse(
            "standard_events = [\"df_login\", \"df_purchase\"]\n[service]\nid = \"shop\"\n[events.coupon_used]\nproperties.code = \"string\"\n",
        )
        .unwrap();
        assert_eq!(
            summary(&registry),
            "3 events (2 standard, 1 custom), 5 user properties, service id `shop`"
        );
    }

    #[test]
    fn the_summary_of_one_event_says_event() {
        let registry =
            Registry::parse("[events.coupon_used]\nproperties.code = \"string\"\n").unwrap();
        assert_eq!(
            summary(&registry),
            "1 event (0 standard, 1 custom), 5 user properties"
        );
    }
}
