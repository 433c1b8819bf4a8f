//! The derive-only build: a `df_purchase` derives and serialises, and `cargo tree` shows no
//! HTTP client, async runtime or database.

use std::path::Path;
use std::process::Command;

use super::*;

fn purchase() -> Purchase {
    Purchase {
        df_order_id: "ORDER-123".into(),
        df_payment_method: "BankTransfer".into(),
        df_total_purchase_amount: 9000.0,
        df_delivery_charge: 3000.0,
        df_discount: 0.0,
        items: vec![LineItem {
            id: "SKU-001".into(),
            df_item_name: "Cracker".into(),
            df_price: 5000.0,
            df_quantity: 2,
            df_discount: 500.0,
        }],
    }
}

#[test]
fn a_purchase_derives_and_serialises_to_wire_json() {
    let json: serde_json::Value =
        serde_json::from_str(&purchase_json(&purchase()).unwrap()).unwrap();
    assert_eq!(json["event_name"], "df_purchase");
    assert_eq!(json["event_properties"]["df_order_id"], "ORDER-123");
    assert_eq!(json["event_properties"]["df_total_purchase_amount"], 9000.0);
    assert_eq!(json["event_items"][0]["df_item_id"], "SKU-001");
    assert_eq!(json["event_items"][0]["df_quantity"], 2);
    let id = json["event_log_id"].as_str().unwrap();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let at = json["event_datetime"].as_str().unwrap();
    assert!(
        at.ends_with('Z') && at.len() == 24,
        "YYYY-MM-DDTHH:MM:SS.mmmZ: {at}"
    );
}

#[test]
fn an_invalid_purchase_is_refused_before_serialising() {
    let mut bad = purchase();
    bad.df_total_purchase_amount = f64::NAN;
    let error = purchase_json(&bad).unwrap_err().to_string();
    assert!(error.contains("df_total_purchase_amount"), "{error}");
}

/// Crates that must not be in a derive-only build: the HTTP stack, the async runtime and the
/// spool's database.
const HEAVY: &[&str] = &["reqwest", "hyper", "rustls", "tokio", "redb"];

/// `cargo tree -e normal` (no dev-dependencies) for `args`, run in the workspace root; the
/// crate names it lists.
fn tree(args: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .current_dir(&root)
        .args([
            "tree",
            "--offline",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .args(args)
        .output()
        .expect("run cargo tree");
    assert!(
        output.status.success(),
        "cargo tree {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .collect()
}

fn assert_lean(args: &[&str]) {
    let crates = tree(args);
    // The tree is real: it has the derive and serde.
    for needed in [
        "dfinery",
        "dfinery-core",
        "dfinery-derive",
        "serde",
        "serde_json",
    ] {
        assert!(
            crates.iter().any(|c| c == needed),
            "`{needed}` missing from {crates:?}"
        );
    }
    let heavy: Vec<&String> = crates
        .iter()
        .filter(|c| HEAVY.contains(&c.as_str()))
        .collect();
    assert!(heavy.is_empty(), "cargo tree {args:?} lists {heavy:?}");
}

#[test]
fn an_event_log_id_is_set_with_dfinerys_own_uuid() {
    let log_id = dfinery::Uuid::from_u128(0x5b0f_9a0e_1c2d_4e3f_8a9b_0c1d_2e3f_4a5b);
    let record = Login { log_id }.to_record().unwrap();
    assert_eq!(record.event_log_id(), log_id);
    let json: serde_json::Value = serde_json::to_value(&record).unwrap();
    assert_eq!(json["event_log_id"], "5b0f9a0e-1c2d-4e3f-8a9b-0c1d2e3f4a5b");
    assert_eq!(json["event_name"], "df_login");
}

#[test]
fn dfinery_with_only_derive_has_no_http_runtime_or_database() {
    assert_lean(&[
        "-p",
        "dfinery",
        "--no-default-features",
        "--features",
        "derive",
    ]);
}

#[test]
fn this_crate_has_no_http_runtime_or_database() {
    assert_lean(&["-p", "dfinery-features-test"]);
}

#[test]
fn dfinery_with_default_features_has_the_client_and_the_spool() {
    // The check above can fail: the default build does list them.
    let crates = tree(&["-p", "dfinery"]);
    for heavy in ["reqwest", "tokio", "redb"] {
        assert!(
            crates.iter().any(|c| c == heavy),
            "`{heavy}` missing from {crates:?}"
        );
    }
}
