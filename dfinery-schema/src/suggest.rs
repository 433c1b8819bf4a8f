//! "Did you mean": the closest registered name to a misspelt one.

use crate::names::strip_reserved;

/// The lowest Jaro-Winkler similarity (0..=1) that still counts as a likely typo.
const THRESHOLD: f64 = 0.8;

/// The longest name, in bytes, a suggestion is looked for.
const MAX_NAME_SUGGESTED: usize = 256;

/// The candidate `name` most likely meant, or `None` when nothing is close.
///
/// Names are compared ASCII case-insensitively and without a leading `df_`, so a case
/// difference (`DF_Login`) or a missing or extra prefix (`purchase`, `df_coupon_used`) is
/// always found; other typos are ranked by Jaro-Winkler similarity (threshold 0.8). Ties go to
/// the first candidate. A candidate equal to `name` itself is never suggested, and a `name`
/// longer than 256 bytes gets no suggestion: no registered name is that long, and comparing
/// one of megabytes with every candidate would take seconds (an emulator answering a request
/// with such a name, say).
///
/// ```
/// use dfinery_schema::suggest;
/// let names = ["df_price", "df_quantity"];
/// assert_eq!(suggest("df_prise", names), Some("df_price"));
/// assert_eq!(suggest("quantity", names), Some("df_quantity"));
/// assert_eq!(suggest("colour", names), None);
/// ```
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    if name.len() > MAX_NAME_SUGGESTED {
        return None;
    }
    let wanted = normalize(name);
    let mut best: Option<(f64, &'a str)> = None;
    for candidate in candidates {
        if candidate == name {
            continue;
        }
        let score = strsim::jaro_winkler(&wanted, &normalize(candidate));
        if score >= THRESHOLD && best.is_none_or(|(top, _)| score > top) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

fn normalize(name: &str) -> String {
    strip_reserved(name).to_ascii_lowercase()
}

/// The end of a message about an unknown name: ``; did you mean `close`?`` for a suggestion
/// (from [`suggest`]), nothing without one. Every crate ends such messages this way.
///
/// ```
/// use dfinery_schema::did_you_mean;
/// assert_eq!(did_you_mean(Some("df_price")), "; did you mean `df_price`?");
/// assert_eq!(did_you_mean(None), "");
/// ```
pub fn did_you_mean(close: Option<&str>) -> String {
    close.map_or_else(String::new, |c| format!("; did you mean `{c}`?"))
}
