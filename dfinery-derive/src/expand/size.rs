//! How much code the derives generate: a token counter and bounds on the expansion of fixture
//! structs, so a change that makes every derived type cost more to compile shows up as a
//! failing test, not only as a slower build in the ratio report.

use proc_macro2::{TokenStream, TokenTree};

/// The tokens in `stream`, counting each group's delimiters as one token and its contents
/// recursively (what the compiler parses, macro by macro).
pub fn count_tokens(stream: &TokenStream) -> usize {
    stream
        .clone()
        .into_iter()
        .map(|tree| match tree {
            TokenTree::Group(group) => 1 + count_tokens(&group.stream()),
            _ => 1,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::count_tokens;
    use crate::ast::Kind;
    use syn::DeriveInput;

    /// `app_review` of the test registry with six properties of six types, as the ratio
    /// report's generated events have; `extra` goes into its `#[dfinery(...)]`.
    fn app_review(extra: &str) -> DeriveInput {
        syn::parse_str(&format!(
            r#"
            #[dfinery(registry = "../tests/dfinery.toml"{extra})]
            struct AppReview {{
                rating: i64,
                score: Option<f64>,
                comment: Option<String>,
                recommended: bool,
                tags: Vec<String>,
                counts: Option<Vec<i64>>,
            }}
            "#
        ))
        .expect("the fixture parses")
    }

    /// The tokens of one more derived type: the registry anchors, emitted once per crate by
    /// the first derive, are already out (a first derive runs and is dropped).
    fn tokens(input: &DeriveInput) -> usize {
        drop(super::super::derive_struct(&app_review(""), Kind::Event));
        let out = super::super::derive_struct(input, Kind::Event);
        assert!(
            !out.to_string().contains("compile_error"),
            "the fixture derives without errors: {out}"
        );
        count_tokens(&out)
    }

    #[test]
    #[ignore = "prints the expansion, for reading"]
    fn show() {
        println!(
            "{}",
            super::super::derive_struct(&app_review(", decode"), Kind::Event)
        );
    }

    #[test]
    fn the_counter_counts_nested_tokens() {
        let stream: proc_macro2::TokenStream = syn::parse_str("a(b, [c]) + 1").unwrap();
        // `a`, `(…)`, `b`, `,`, `[…]`, `c`, `+`, `1`.
        assert_eq!(count_tokens(&stream), 8);
    }

    /// The bounds: what the expansion measured when they were set, plus 10 % of room, so a
    /// deliberate addition fits and an accidental growth of the code per field fails. Send
    /// only: 660 tokens for six fields (each field a spec constant, a description entry and a
    /// write call; the rest the impl and the static description). With `decode`: 1,383 (each
    /// field also a bound, an entry of `FIELDS` and a read). (755 and 1,620 before the paths
    /// went through the `__dfinery` alias; 605 and 1,328 before the descriptions gained
    /// `values`, which probes only a field that is not a plain text: 744 and 1,467 had every
    /// String field probed.)
    const SEND_ONLY_MAX: usize = 726;
    const SEND_DECODE_MAX: usize = 1_521;

    #[test]
    fn a_send_only_event_expands_to_a_bounded_number_of_tokens() {
        let send = tokens(&app_review(""));
        assert!(
            send <= SEND_ONLY_MAX,
            "{send} tokens for six fields, send only"
        );
    }

    #[test]
    fn decoding_is_generated_only_for_a_type_that_opts_in() {
        let send = tokens(&app_review(""));
        let both = tokens(&app_review(", decode"));
        assert!(
            both <= SEND_DECODE_MAX,
            "{both} tokens for six fields with decode"
        );
        let send_text = super::super::derive_struct(&app_review(""), Kind::Event).to_string();
        assert!(!send_text.contains("DecodeEvent"), "{send_text}");
        let both_text =
            super::super::derive_struct(&app_review(", decode"), Kind::Event).to_string();
        assert!(both_text.contains("DecodeEvent"), "{both_text}");
        assert!(both > send);
    }
}
