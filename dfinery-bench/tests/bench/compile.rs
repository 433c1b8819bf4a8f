//! The generated crates hold what comparison 3 says: as many event types, registered, with
//! the same fields either way, in a crate of its own.

use std::path::Path;

use dfinery_bench::compile::{
    GeneratedCrate, Variant, cargo_toml, lib_rs, registry, workspace_root,
};
use dfinery_schema::{DataType, Registry};

#[test]
fn the_registry_registers_every_event_with_every_property() {
    let parsed = Registry::parse(&registry(500)).expect("the generated registry parses");
    for i in [0, 99, 499] {
        let event = parsed
            .event(&format!("bench_event_{i:03}"))
            .expect("registered");
        assert!(event.property("order_id").expect("order_id").required);
        assert_eq!(
            event.property("tags").expect("tags").ty,
            DataType::StringArray
        );
    }
    assert!(parsed.event("bench_event_500").is_none());
}

#[test]
fn both_variants_declare_the_same_structs() {
    let serde = lib_rs(100, Variant::Serde);
    let derive = lib_rs(
        100,
        Variant::Derive {
            registry_events: 100,
            decode: false,
        },
    );
    for text in [&serde, &derive] {
        assert_eq!(text.matches("pub struct Event").count(), 100);
        assert_eq!(text.matches("    pub tags: Vec<String>,").count(), 100);
    }
    assert_eq!(
        serde
            .matches("#[derive(Default, serde::Serialize)]")
            .count(),
        100
    );
    assert_eq!(
        derive
            .matches("#[derive(Default, dfinery::DfineryEvent)]")
            .count(),
        100
    );
    assert_eq!(
        derive.matches("#[dfinery(event = \"bench_event_").count(),
        100
    );
    // Each struct is used, so its generated code is compiled, not only checked.
    assert_eq!(serde.matches("serde_json::to_vec(&Event").count(), 100);
    assert_eq!(
        derive.matches("dfinery::Event::to_record(&Event").count(),
        100
    );
    // Send only: neither the opt-in nor a decoding call.
    assert!(!derive.contains("decode"), "{derive}");
    assert!(!serde.contains("Deserialize"), "{serde}");
}

#[test]
fn the_decoding_variants_opt_in_and_decode_every_struct() {
    let serde = lib_rs(100, Variant::SerdeBoth);
    let derive = lib_rs(
        100,
        Variant::Derive {
            registry_events: 100,
            decode: true,
        },
    );
    assert_eq!(
        serde
            .matches("#[derive(Default, serde::Serialize, serde::Deserialize)]")
            .count(),
        100
    );
    assert_eq!(derive.matches(", decode)]").count(), 100);
    assert_eq!(serde.matches("serde_json::from_slice::<Event").count(), 100);
    assert_eq!(derive.matches("r.events::<Event").count(), 100);
}

#[test]
fn the_crate_is_its_own_workspace_on_this_one() {
    let root = workspace_root();
    assert!(root.join("Cargo.lock").is_file(), "{}", root.display());
    let toml = cargo_toml(&root);
    assert!(toml.contains("\n[workspace]\n"), "{toml}");
    assert!(toml.contains(&format!(
        "dfinery = {{ path = {:?} }}",
        root.display().to_string()
    )));
    assert!(Path::new(&root).join("dfinery-bench").is_dir());
}

#[test]
fn a_missing_cargo_is_named_with_what_to_do() {
    let dir = std::env::temp_dir().join(format!("dfinery-bench-nocargo-{}", std::process::id()));
    let mut krate = GeneratedCrate::create(dir.clone(), workspace_root()).expect("a crate folder");
    krate.cargo = dir.join("no-such-cargo");
    let error = krate.build().expect_err("no cargo to run").to_string();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(error.contains("no-such-cargo"), "{error}");
    assert!(error.contains("CARGO"), "{error}");
}

#[test]
fn a_crate_folder_that_cannot_be_made_is_named() {
    let file = std::env::temp_dir().join(format!("dfinery-bench-afile-{}", std::process::id()));
    std::fs::write(&file, "not a folder").expect("a file");
    let error = GeneratedCrate::create(file.join("crate"), workspace_root())
        .expect_err("a folder under a file")
        .to_string();
    let _ = std::fs::remove_file(&file);
    assert!(
        error.contains(&file.join("crate").display().to_string()),
        "{error}"
    );
}

#[test]
fn a_build_no_longer_than_one_with_nothing_to_do_is_an_error_not_a_zero() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("dfinery-bench-slowcargo-{}", std::process::id()));
    let mut krate = GeneratedCrate::create(dir.join("crate"), workspace_root()).expect("a crate");
    // A `cargo` whose build takes 0.1 s and whose build with nothing to do then takes 0.6 s,
    // as on a machine busy with something else.
    let script = dir.join("cargo");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nn=$(cat {count} 2>/dev/null || echo 0)\necho $((n + 1)) > {count}\n\
             if [ $((n % 2)) -eq 0 ]; then sleep 0.1; else sleep 0.6; fi\n",
            count = dir.join("count").display()
        ),
    )
    .expect("a script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("mode");
    krate.cargo = script;
    let result = krate.time(10, Variant::Serde, 1);
    let _ = std::fs::remove_dir_all(&dir);
    let error = result.expect_err("no build time to report").to_string();
    assert!(error.contains("nothing to do"), "{error}");
}
