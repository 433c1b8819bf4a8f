//! `rename_all` styles: how a field or variant name becomes a registered name or value.

use std::fmt::Write;

/// A `rename_all` style, with serde's spellings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenameRule {
    /// `lowercase`
    Lower,
    /// `UPPERCASE`
    Upper,
    /// `PascalCase`
    Pascal,
    /// `camelCase`
    Camel,
    /// `snake_case`
    Snake,
    /// `SCREAMING_SNAKE_CASE`
    ScreamingSnake,
    /// `kebab-case`
    Kebab,
    /// `SCREAMING-KEBAB-CASE`
    ScreamingKebab,
}

/// Every style with its spelling, in the order error messages list them.
pub const RULES: [(&str, RenameRule); 8] = [
    ("lowercase", RenameRule::Lower),
    ("UPPERCASE", RenameRule::Upper),
    ("PascalCase", RenameRule::Pascal),
    ("camelCase", RenameRule::Camel),
    ("snake_case", RenameRule::Snake),
    ("SCREAMING_SNAKE_CASE", RenameRule::ScreamingSnake),
    ("kebab-case", RenameRule::Kebab),
    ("SCREAMING-KEBAB-CASE", RenameRule::ScreamingKebab),
];

impl RenameRule {
    /// The style spelled `name`.
    pub fn from_name(name: &str) -> Option<RenameRule> {
        RULES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, rule)| *rule)
    }

    /// Whether the style joins words with `-`, which DFINERY names cannot contain.
    pub fn uses_dash(self) -> bool {
        matches!(self, RenameRule::Kebab | RenameRule::ScreamingKebab)
    }

    /// Applies the style to a `snake_case` field name. `lowercase` lowercases every letter,
    /// as `UPPERCASE` uppercases it, also in a field not written in snake case.
    pub fn apply_to_field(self, field: &str) -> String {
        match self {
            RenameRule::Snake => field.to_owned(),
            RenameRule::Lower => field.to_ascii_lowercase(),
            RenameRule::Upper | RenameRule::ScreamingSnake => field.to_ascii_uppercase(),
            RenameRule::Pascal => pascal(field),
            RenameRule::Camel => {
                let pascal = pascal(field);
                let mut chars = pascal.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_ascii_lowercase().to_string() + chars.as_str()
                })
            }
            RenameRule::Kebab => field.replace('_', "-"),
            RenameRule::ScreamingKebab => field.to_ascii_uppercase().replace('_', "-"),
        }
    }

    /// Applies the style to a `PascalCase` variant name.
    pub fn apply_to_variant(self, variant: &str) -> String {
        match self {
            RenameRule::Pascal => variant.to_owned(),
            RenameRule::Lower => variant.to_ascii_lowercase(),
            RenameRule::Upper => variant.to_ascii_uppercase(),
            RenameRule::Camel => {
                let mut chars = variant.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_ascii_lowercase().to_string() + chars.as_str()
                })
            }
            RenameRule::Snake => snake(variant),
            RenameRule::ScreamingSnake => snake(variant).to_ascii_uppercase(),
            RenameRule::Kebab => snake(variant).replace('_', "-"),
            RenameRule::ScreamingKebab => snake(variant).to_ascii_uppercase().replace('_', "-"),
        }
    }
}

/// `order_id` → `OrderId`.
fn pascal(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut upper = true;
    for c in field.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `CouponUsed` → `coupon_used` (the default event name of a struct).
pub fn snake(pascal: &str) -> String {
    let mut out = String::with_capacity(pascal.len() + 4);
    for (i, c) in pascal.char_indices() {
        if c.is_uppercase() {
            if i > 0 && !out.ends_with('_') {
                out.push('_');
            }
            // `to_lowercase` of one char may be several chars.
            let _ = write!(out, "{}", c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields() {
        let cases = [
            (RenameRule::Lower, "order_id"),
            (RenameRule::Upper, "ORDER_ID"),
            (RenameRule::Pascal, "OrderId"),
            (RenameRule::Camel, "orderId"),
            (RenameRule::Snake, "order_id"),
            (RenameRule::ScreamingSnake, "ORDER_ID"),
            (RenameRule::Kebab, "order-id"),
            (RenameRule::ScreamingKebab, "ORDER-ID"),
        ];
        for (rule, expected) in cases {
            assert_eq!(rule.apply_to_field("order_id"), expected, "{rule:?}");
        }
    }

    /// `lowercase` and `UPPERCASE` change every letter of a field written in another case
    /// than snake case (`#[allow(non_snake_case)]`): `lowercase` left `lifetime_Points` as it
    /// was, so it missed the registered `lifetime_points`.
    #[test]
    fn lowercase_and_uppercase_change_every_letter_of_a_field() {
        assert_eq!(
            RenameRule::Lower.apply_to_field("lifetime_Points"),
            "lifetime_points"
        );
        assert_eq!(
            RenameRule::Upper.apply_to_field("lifetime_Points"),
            "LIFETIME_POINTS"
        );
    }

    #[test]
    fn variants() {
        let cases = [
            (RenameRule::Lower, "nonbinary"),
            (RenameRule::Upper, "NONBINARY"),
            (RenameRule::Pascal, "NonBinary"),
            (RenameRule::Camel, "nonBinary"),
            (RenameRule::Snake, "non_binary"),
            (RenameRule::ScreamingSnake, "NON_BINARY"),
            (RenameRule::Kebab, "non-binary"),
            (RenameRule::ScreamingKebab, "NON-BINARY"),
        ];
        for (rule, expected) in cases {
            assert_eq!(rule.apply_to_variant("NonBinary"), expected, "{rule:?}");
        }
    }

    #[test]
    fn struct_names_become_snake_case() {
        assert_eq!(snake("CouponUsed"), "coupon_used");
        assert_eq!(snake("Login"), "login");
        assert_eq!(snake("DfPurchase"), "df_purchase");
        assert_eq!(snake("Df_Purchase"), "df_purchase");
    }

    #[test]
    fn spellings_round_trip() {
        for (name, rule) in RULES {
            assert_eq!(RenameRule::from_name(name), Some(rule));
        }
        assert_eq!(RenameRule::from_name("snake"), None);
        assert!(RenameRule::Kebab.uses_dash() && !RenameRule::Snake.uses_dash());
    }
}
