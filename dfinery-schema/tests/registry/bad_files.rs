//! Bad registry files: each reports its problem with the exact message, line and column.

use dfinery_schema::Registry;

use crate::support::{fixture, load_bad};

/// A test per fixture holding exactly one problem: `(line, column, message substring)`.
macro_rules! bad {
    ($($name:ident: $line:literal : $column:literal, $message:literal;)*) => {$(
        #[test]
        fn $name() {
            let diagnostics = load_bad(stringify!($name));
            assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
            let d = &diagnostics[0];
            assert!(d.message.contains($message), "message was: {}", d.message);
            assert_eq!((d.line, d.column), ($line, $column), "message: {}", d.message);
        }
    )*};
}

bad! {
    syntax_error: 2:30, "invalid TOML: unclosed array, expected `]`";
    duplicate_key: 3:12, "invalid TOML: duplicate key `amount`; set each key once per table";
    unknown_type: 2:21, "unknown type `strng` for property `amount` of event `coupon_used`; did you mean `string`?";
    type_alias: 2:28, "unknown type `int` for user property `lifetime_points`; did you mean `long`?";
    unknown_property_key: 2:38, "unknown key `requird` in property `code` of event `coupon_used`; did you mean `required`?";
    unknown_event_key: 2:1, "unknown key `propertes` in event `coupon_used`; did you mean `properties`?";
    unknown_top_level_key: 1:1, "unknown key `standard_event` in the top level; did you mean `standard_events`?";
    bad_event_name: 1:9, "event name `coupon-used` contains `-`; use only ASCII letters, digits and `_`";
    bad_property_name: 2:12, "property name `2fa` starts with `2`; start it with an ASCII letter";
    reserved_event_name: 1:9, "custom event `df_coupon` uses the reserved `df_` prefix; rename it, e.g. `coupon`";
    reserved_property_name: 2:12, "custom property `df_code` of event `coupon_used` uses the reserved `df_` prefix; rename it, e.g. `code`";
    unknown_standard_event: 1:32, "unknown standard event `df_purchse`; did you mean `df_purchase`?";
    unknown_standard_user_property: 1:40, "unknown standard user property `df_gendr`; did you mean `df_gender`?";
    duplicate_standard_event: 1:45, "standard event `df_login` is listed twice in `standard_events`; remove one";
    collides_with_standard_property: 5:12, "property `df_order_id` is already defined by standard event `df_purchase`; remove this line";
    collides_with_standard_item: 4:7, "item property `df_price` is already defined by standard event `df_purchase`; remove this line";
    user_property_duplicates_standard: 2:1, "user property `df_name` is a standard user property; enable it by adding `\"df_name\"` to `standard_user_properties`";
    user_property_duplicates_consent_flag: 2:1, "user property `df_sms_ads_optin` is a consent flag, always registered; remove this line";
    standard_event_not_enabled: 3:9, "standard event `df_refund` is not enabled; add `\"df_refund\"` to `standard_events`";
    items_on_event_without_items: 4:1, "standard event `df_login` takes no items; remove its `items` entries";
    enum_on_non_string: 2:26, "`enum` needs type `string`, but user property `level` is `long`; remove `enum` or change the type";
    max_len_on_non_string: 2:40, "`max_len` needs type `string` or `array<string>`, but property `amount` of event `coupon_used` is `double`; remove it";
    max_items_on_scalar: 2:38, "`max_items` needs an array type, but property `code` of event `coupon_used` is `string`; remove it";
    too_many_string_array_user_properties: 12:1, "user property `tags_11` is `array<string>` user property number 11; DFINERY allows at most 10 per service (11 declared, standard ones counted), remove 1 or change its type";
    too_many_number_array_user_properties: 7:1, "user property `weights` is `array<long>`/`array<double>` user property number 6; DFINERY allows at most 5 per service (7 declared, standard ones counted), remove 2 or change their type";
    required_on_user_property: 2:27, "`required` is not allowed on user property `tier`; user properties are always optional, remove it";
    empty_enum: 2:34, "`enum` of user property `tier` is empty; list at least one value or remove it";
    duplicate_enum_value: 2:53, "`enum` value `gold` of user property `tier` is listed twice; remove one";
    wrong_value_kind: 2:49, "`required` of property `code` of event `coupon_used` must be `true` or `false`, found a string";
    missing_type: 2:12, "property `code` of event `coupon_used` has no `type`; add one, e.g. `type = \"string\"`";
    property_not_type_or_table: 2:19, "property `code` of event `coupon_used` must be a type name such as `\"string\"` or a table";
    list_set_twice: 5:1, "`standard_events` is set twice (at the top level and in `[service]`); keep one";
    items_required_without_items: 3:1, "`items_required = true` but event `coupon_used` has no item properties; add one";
    zero_max_len: 2:48, "`max_len` of property `code` of event `coupon_used` must be a positive integer, found `0`";
    empty_service_id: 2:6, "`id` of `[service]` is empty; set your DFINERY service id or remove the line";
}

#[test]
fn every_problem_of_a_file_is_reported_in_file_order() {
    let diagnostics = load_bad("many_problems");
    let found: Vec<(usize, usize, &str)> = diagnostics
        .iter()
        .map(|d| (d.line, d.column, d.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                3,
                47,
                "standard event `df_login` is listed twice in `standard_events`; remove one"
            ),
            (
                7,
                28,
                "unknown type `strng` for property `code` of event `coupon_used`; did you mean `string`?"
            ),
            (
                7,
                48,
                "`required` of property `code` of event `coupon_used` must be `true` or `false`, found a string"
            ),
            (
                8,
                57,
                "`max_items` of property `tags` of event `coupon_used` must be a positive integer, found `0`"
            ),
            (
                12,
                12,
                "property `df_discount` is already defined by standard event `df_purchase`; remove this line"
            ),
            (
                14,
                9,
                "standard event `df_refund` is not enabled; add `\"df_refund\"` to `standard_events`"
            ),
            (
                18,
                1,
                "user property `df_gender` is already enabled by `standard_user_properties`; remove this line"
            ),
            (
                19,
                25,
                "`enum` needs type `string`, but user property `tier` is `long`; remove `enum` or change the type"
            ),
            (
                19,
                42,
                "`required` is not allowed on user property `tier`; user properties are always optional, remove it"
            ),
        ]
    );
}

#[test]
fn spans_cover_the_offending_text() {
    let src = std::fs::read_to_string(fixture("bad/many_problems.toml")).unwrap();
    let diagnostics = Registry::parse(&src).unwrap_err().diagnostics;
    let texts: Vec<&str> = diagnostics.iter().map(|d| &src[d.span.clone()]).collect();
    assert_eq!(
        texts,
        [
            "\"df_login\"",
            "\"strng\"",
            "\"yes\"",
            "0",
            "df_discount",
            "df_refund",
            "df_gender",
            "enum",
            "required",
        ]
    );
}

#[test]
fn display_prints_one_line_per_problem_with_the_path() {
    let path = fixture("bad/many_problems.toml");
    let err = Registry::load(&path).unwrap_err();
    let text = err.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 9);
    assert_eq!(
        lines[1],
        format!(
            "{}:7:28: unknown type `strng` for property `code` of event `coupon_used`; did you mean `string`?",
            path.display()
        )
    );
}

#[test]
fn display_without_a_path_names_dfinery_toml() {
    let err = Registry::parse("standard_events = [\"df_logn\"]").unwrap_err();
    assert_eq!(
        err.to_string(),
        "dfinery.toml:1:20: unknown standard event `df_logn`; did you mean `df_login`?"
    );
    assert_eq!(err.path, None);
}

#[test]
fn columns_count_characters_not_bytes() {
    let prefix = "x = { enum = [\"é\"], type = ";
    let src = format!("[user_properties]\n{prefix}\"strng\" }}\n");
    let err = Registry::parse(&src).unwrap_err();
    assert_eq!(err.diagnostics.len(), 1);
    let d = &err.diagnostics[0];
    assert_eq!(prefix.chars().count() + 1, prefix.len());
    assert_eq!((d.line, d.column), (2, prefix.chars().count() + 1));
    assert_eq!(d.span.start, "[user_properties]\n".len() + prefix.len());
}

#[test]
fn a_missing_file_names_the_path_and_the_fix() {
    let path = fixture("bad/does_not_exist.toml");
    let err = Registry::load(&path).unwrap_err();
    assert_eq!(err.path.as_deref(), Some(path.as_path()));
    assert_eq!(err.diagnostics.len(), 1);
    let message = &err.diagnostics[0].message;
    assert!(
        message.starts_with("cannot read the registry file: "),
        "{message}"
    );
    assert!(
        message.ends_with(
            "create one with `dfinery check --init` or point to it with `DFINERY_REGISTRY`"
        ),
        "{message}"
    );
}

#[test]
fn unknown_standard_names_without_a_close_match_say_what_to_do() {
    let err = Registry::parse("standard_events = [\"checkout\"]").unwrap_err();
    assert_eq!(
        err.diagnostics[0].message,
        "unknown standard event `checkout`; declare a custom event as `[events.checkout]` instead"
    );
    let err = Registry::parse("standard_user_properties = [\"df_zzz\"]").unwrap_err();
    assert!(
        err.diagnostics[0].message.starts_with(
            "unknown standard user property `df_zzz`; expected one of `df_name`, `df_gender`"
        ),
        "{}",
        err.diagnostics[0].message
    );
}

#[test]
fn an_unknown_type_without_a_close_match_lists_the_types() {
    let err = Registry::parse("[user_properties]\nx = \"blob\"\n").unwrap_err();
    assert_eq!(
        err.diagnostics[0].message,
        "unknown type `blob` for user property `x`; expected `string`, `long`, `double`, `boolean`, \
         `datetime`, `date`, `array<string>`, `array<long>` or `array<double>`"
    );
}

#[test]
fn types_written_as_in_other_languages_get_the_registry_spelling() {
    for (written, meant) in [
        ("String", "string"),
        ("bool", "boolean"),
        ("f64", "double"),
        ("timestamp", "datetime"),
        ("Vec<String>", "array<string>"),
        ("long[]", "array<long>"),
        ("[float]", "array<double>"),
    ] {
        let err = Registry::parse(&format!("[user_properties]\nx = \"{written}\"\n")).unwrap_err();
        let expected = format!("did you mean `{meant}`?");
        assert!(
            err.diagnostics[0].message.ends_with(&expected),
            "{written}: {}",
            err.diagnostics[0].message
        );
    }
}

#[test]
fn an_array_of_a_type_dfinery_has_no_array_of_is_not_offered_another_element() {
    // `array<boolean>` got "did you mean `array<double>`?" and `array<datetime>` "did you mean
    // `array<string>`?": advice to register Booleans as numbers. DFINERY's arrays hold String,
    // Long or Double only.
    let arrays = "`array<string>`, `array<long>` or `array<double>`";
    for (written, element) in [
        ("array<boolean>", "Boolean"),
        ("Vec<bool>", "Boolean"),
        ("array<datetime>", "Datetime"),
        ("date[]", "Date"),
        ("list<Map>", "Object"),
    ] {
        let err = Registry::parse(&format!("[user_properties]\nx = \"{written}\"\n")).unwrap_err();
        assert_eq!(
            err.diagnostics[0].message,
            format!(
                "unknown type `{written}` for user property `x`; DFINERY has no Array of \
                 {element}: an array holds strings, longs or doubles, {arrays}"
            )
        );
    }
    // An array that names no element, or no known one, is told what an array holds, not
    // given an element at random (`array<foo>` got `array<long>`).
    for (written, fix) in [
        ("array", "an array type names its element"),
        ("list", "an array type names its element"),
        ("Vec", "an array type names its element"),
        ("[]", "an array type names its element"),
        ("array<foo>", "an array holds strings, longs or doubles"),
    ] {
        let err = Registry::parse(&format!("[user_properties]\nx = \"{written}\"\n")).unwrap_err();
        assert_eq!(
            err.diagnostics[0].message,
            format!("unknown type `{written}` for user property `x`; {fix}: {arrays}")
        );
    }
    // A misspelt element still gets its array.
    let err = Registry::parse("[user_properties]\nx = \"array<strng>\"\n").unwrap_err();
    assert!(
        err.diagnostics[0]
            .message
            .ends_with("did you mean `array<string>`?"),
        "{}",
        err.diagnostics[0].message
    );
}

#[test]
fn enum_values_longer_than_max_len_are_reported() {
    let err = Registry::parse(
        "[user_properties]\ntier = { type = \"string\", enum = [\"gold\", \"platinum\"], max_len = 4 }\n",
    )
    .unwrap_err();
    assert_eq!(err.diagnostics.len(), 1);
    assert_eq!(
        err.diagnostics[0].message,
        "`enum` value `platinum` of user property `tier` is longer than its `max_len` of 4; shorten it or raise `max_len`"
    );
}

#[test]
fn items_required_is_fixed_for_standard_events() {
    let err = Registry::parse(
        "standard_events = [\"df_purchase\"]\n[events.df_purchase]\nitems_required = false\n",
    )
    .unwrap_err();
    assert_eq!(
        err.diagnostics[0].message,
        "`items_required` of standard event `df_purchase` is set by the catalog; remove it"
    );
}

#[test]
fn an_array_of_tables_header_is_told_to_use_one_pair_of_brackets() {
    // `[[events]]` (an array of tables, as in other tools' configs) read "`events` must be a
    // table, found an array", with no word of the double brackets nor of what to write.
    for (src, at, expected) in [
        (
            "[[events]]\nname = \"coupon_used\"\n",
            (1, 1),
            "`events` must be a table, found an array of tables (`[[events]]`); declare each \
             event as its own table, e.g. `[events.coupon_used]`",
        ),
        (
            "standard_events = [\"df_login\"]\n[[events.coupon_used]]\nproperties.code = \"string\"\n",
            (2, 1),
            "event `coupon_used` must be a table, found an array of tables \
             (`[[events.coupon_used]]`); write its header with one pair of brackets, \
             `[events.coupon_used]`",
        ),
        (
            "standard_events = [\"df_login\"]\n[[user_properties]]\ntier = \"string\"\n",
            (2, 1),
            "`user_properties` must be a table, found an array of tables \
             (`[[user_properties]]`); write its header with one pair of brackets, \
             `[user_properties]`",
        ),
    ] {
        let err = Registry::parse(src).unwrap_err();
        let d = &err.diagnostics[0];
        assert_eq!(
            (d.line, d.column, d.message.as_str()),
            (at.0, at.1, expected)
        );
    }
    // An array value written inline is no header.
    let err = Registry::parse("events = [[1]]\n").unwrap_err();
    assert_eq!(
        err.diagnostics[0].message,
        "`events` must be a table, found an array"
    );
}

#[test]
fn wrong_kinds_of_tables_and_lists_are_reported() {
    let err = Registry::parse("standard_events = \"df_login\"\nevents = 3\n").unwrap_err();
    let messages: Vec<&str> = err.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "`standard_events` must be an array of strings, found a string",
            "`events` must be a table, found an integer",
        ]
    );
    let err = Registry::parse("standard_events = [\"df_login\", 3]\n").unwrap_err();
    assert_eq!(
        err.diagnostics[0].message,
        "each entry of `standard_events` must be a string, found an integer"
    );
}

#[test]
fn ten_string_arrays_and_five_number_arrays_are_allowed() {
    let mut src = String::from("[user_properties]\n");
    for i in 0..10 {
        src.push_str(&format!("tags_{i} = \"array<string>\"\n"));
    }
    for i in 0..3 {
        src.push_str(&format!("scores_{i} = \"array<long>\"\n"));
    }
    for i in 0..2 {
        src.push_str(&format!("prices_{i} = \"array<double>\"\n"));
    }
    let registry = Registry::parse(&src).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        registry
            .user_properties
            .values()
            .filter(|p| p.ty.is_array())
            .count(),
        15
    );
}

#[test]
fn a_file_with_very_many_problems_is_reported_in_one_walk() {
    // 100,000 unknown standard events on one line of 11 MB: each problem's line and column
    // used to be counted from the start of the file, minutes of work (in a derive, at every
    // build); one walk takes a second or two.
    let names: Vec<String> = (0..100_000).map(|i| format!("\"df_x{i}\"")).collect();
    let separator = format!(",{}", " ".repeat(100));
    let src = format!("# many\nstandard_events = [{}]\n", names.join(&separator));
    let started = std::time::Instant::now();
    let err = Registry::parse(&src).unwrap_err();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(err.diagnostics.len(), 100_000);
    let last = err.diagnostics.last().unwrap();
    assert_eq!(last.line, 2);
    assert_eq!(
        last.column,
        src.lines().nth(1).unwrap().rfind("\"df_x99999\"").unwrap() + 1
    );
    assert!(
        last.message
            .starts_with("unknown standard event `df_x99999`")
    );
}

#[test]
fn a_name_with_a_line_break_or_an_escape_stays_on_its_diagnostic_line() {
    let err = Registry::parse("[events.\"a\\nb\"]\n[events.\"c\\u001b[31m\"]\n").unwrap_err();
    let shown = err.to_string();
    assert_eq!(shown.lines().count(), 2, "{shown}");
    assert_eq!(
        shown,
        "dfinery.toml:1:9: event name `a\\nb` contains `\\n`; use only ASCII letters, digits and `_`\n\
         dfinery.toml:2:9: event name `c\\u{1b}[31m` contains `\\u{1b}`; use only ASCII letters, digits and `_`"
    );
}

#[test]
fn an_enum_of_numbers_is_not_called_empty() {
    let err = Registry::parse("[user_properties]\ntier = { type = \"string\", enum = [1, 2] }\n")
        .unwrap_err();
    let found: Vec<(usize, usize, &str)> = err
        .diagnostics
        .iter()
        .map(|d| (d.line, d.column, d.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                2,
                35,
                "each entry of `enum` of user property `tier` must be a string, found an integer"
            ),
            (
                2,
                38,
                "each entry of `enum` of user property `tier` must be a string, found an integer"
            ),
        ]
    );
}

#[test]
fn a_service_id_with_white_space_is_refused_at_its_line() {
    // It was read, then refused by the client and the emulator with no line to fix.
    for (src, shown) in [
        ("[service]\nid = \" my-service\"\n", "` my-service`"),
        ("[service]\nid = \"my service\"\n", "`my service`"),
        ("[service]\nid = \"my-service\\n\"\n", "`my-service\\n`"),
    ] {
        let err = Registry::parse(src).unwrap_err();
        assert_eq!(err.diagnostics.len(), 1, "{err}");
        let d = &err.diagnostics[0];
        assert_eq!((d.line, d.column), (2, 6), "{err}");
        assert_eq!(
            d.message,
            format!(
                "`id` of `[service]` {shown} holds white space or a control character; give the \
                 service id as the DFINERY console shows it"
            )
        );
    }
    let ok = Registry::parse("[service]\nid = \"my-service_1\"\n").unwrap();
    assert_eq!(ok.service_id.as_deref(), Some("my-service_1"));
}

/// A file in a fresh folder of the system's temporary folder, written with `bytes`.
fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "dfinery-schema-{}-{name}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("dfinery.toml");
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn a_file_that_is_not_utf8_is_reported_at_its_first_bad_byte() {
    // It was "stream did not contain valid UTF-8" at 1:1, whatever line held the byte.
    let path = temp_file(
        "latin1",
        b"[events.coupon_used]\nproperties.caf\xE9 = \"string\"\n",
    );
    let err = Registry::load(&path).unwrap_err();
    assert_eq!(err.path.as_deref(), Some(path.as_path()));
    assert_eq!(err.diagnostics.len(), 1);
    let d = &err.diagnostics[0];
    assert_eq!((d.line, d.column), (2, 15), "{err}");
    assert_eq!(
        d.message,
        "the registry file is not UTF-8: byte 0xE9 here starts no UTF-8 character; save the \
         file as UTF-8"
    );
    let utf16 = temp_file("utf16", b"\xFF\xFEs\x00");
    let err = Registry::load(&utf16).unwrap_err();
    let d = &err.diagnostics[0];
    assert_eq!((d.line, d.column), (1, 1), "{err}");
    assert!(d.message.contains("(it looks like UTF-16)"), "{err}");
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    std::fs::remove_dir_all(utf16.parent().unwrap()).unwrap();
}

#[test]
fn a_file_that_never_ends_is_refused_without_reading_it_whole() {
    // `DFINERY_REGISTRY=/dev/zero` (or any huge file) was read whole into memory: a build
    // that never finished. A device is now refused before it is opened; a huge regular file
    // (sparse here: 65 MiB of nothing on disk) is read up to the cap only.
    let path = std::path::Path::new("/dev/zero");
    if path.exists() {
        let err = Registry::load(path).unwrap_err();
        assert_eq!(err.diagnostics.len(), 1);
        assert_eq!(
            err.diagnostics[0].message,
            "the registry file is a device, and the registry is read from a regular file or a \
             pipe only; give the path of your `dfinery.toml`"
        );
    }
    let dir = std::env::temp_dir().join(format!("dfinery-schema-huge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let huge = dir.join("dfinery.toml");
    std::fs::File::create(&huge)
        .and_then(|file| file.set_len(65 << 20))
        .unwrap();
    let err = Registry::load(&huge).unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(err.diagnostics.len(), 1);
    assert_eq!(
        err.diagnostics[0].message,
        "the registry file is larger than 64 MiB, far more than any registry; check that the \
         path names your `dfinery.toml`"
    );
}

#[test]
fn a_name_of_a_megabyte_is_quoted_by_its_start_not_whole() {
    // Each message quoted the whole name: a megabyte of text made megabytes of messages.
    let long = "x".repeat(1 << 20);
    let src = format!(
        "standard_events = [\"df_{long}\"]\n\
         [events.\"{long}-\"]\n\
         properties.\"{long}\" = {{ type = \"{long}\", {long} = 1 }}\n\
         [user_properties]\n\
         tier = {{ type = \"string\", enum = [\"{long}\", \"{long}\"] }}\n\
         {long} = \"string\"\n"
    );
    let err = Registry::parse(&src).unwrap_err();
    let shown = err.to_string();
    assert_eq!(err.diagnostics.len(), 9, "{shown}");
    for d in &err.diagnostics {
        assert!(d.message.len() < 1000, "{}", &d.message[..1000]);
        assert!(d.message.contains("xxxxxxxxxxxxxxxxx…`"), "{}", d.message);
    }
    let first = &err.diagnostics[0].message;
    assert!(
        first.starts_with("unknown standard event `df_xxxxxxxxxxxxxxxxx…`"),
        "{first}"
    );
}

#[test]
fn an_enum_value_over_8_kb_is_refused_as_one_never_sendable() {
    // DFINERY refuses a value over 8 KB of JSON: such an enum value was accepted, and the
    // derive then let a variant through that every send refused.
    let long = "v".repeat(8191);
    let src = format!(
        "[user_properties]\ntier = {{ type = \"string\", enum = [\"ok\", \"{long}\", \"{}\"] }}\n",
        "v".repeat(8190)
    );
    let err = Registry::parse(&src).unwrap_err();
    assert_eq!(err.diagnostics.len(), 1, "{err}");
    let d = &err.diagnostics[0];
    assert_eq!((d.line, d.column), (2, 41));
    assert_eq!(
        d.message,
        format!(
            "`enum` value `{}…` of user property `tier` is 8193 bytes of JSON; DFINERY takes at \
             most 8192 bytes per value, so it could never be sent: shorten it",
            "v".repeat(20)
        )
    );
}

#[test]
fn a_folder_given_as_the_registry_is_named_with_the_file_to_give() {
    // It was "cannot read the registry file: Is a directory (os error 21)", and no fix.
    let file = temp_file("folder", b"");
    let folder = file.parent().unwrap();
    let err = Registry::load(folder).unwrap_err();
    let message = &err.diagnostics[0].message;
    assert!(
        message.ends_with(&format!(
            "; give the path of the file in it, e.g. `{}`",
            folder.join("dfinery.toml").display()
        )),
        "{message}"
    );
    std::fs::remove_dir_all(folder).unwrap();
}

/// A FIFO named as the registry is read once its writer comes (a shell's `<(…)` passes a pipe),
/// and a socket is refused from its metadata, never opened. Each load runs on another thread
/// and must answer within 30 s.
#[cfg(unix)]
#[test]
fn a_fifo_is_read_from_its_writer_and_a_socket_is_refused_without_opening_it() {
    let dir = std::env::temp_dir().join(format!("dfinery-schema-fifo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("dfinery.toml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo {}", fifo.display());
    let socket = dir.join("registry.sock");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(&fifo, "[events.signup]\n"))
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let (from_fifo, from_socket) = (fifo.clone(), socket.clone());
    std::thread::spawn(move || {
        let _ = tx.send((
            Registry::load(&from_fifo),
            Registry::read_source(&from_socket),
        ));
    });
    let answers = rx.recv_timeout(std::time::Duration::from_secs(30));
    let (load, read) = answers.expect("the loads answer");
    // Checked before the writer is joined: a load that refused the FIFO without opening it
    // leaves the writer waiting for a reader forever, and the test would hang, not fail.
    let registry = load.expect("the FIFO's registry is read");
    writer.join().unwrap().unwrap();
    drop(listener);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(registry.event("signup").is_some());
    let err = read.unwrap_err();
    assert_eq!(err.path.as_deref(), Some(socket.as_path()));
    assert_eq!(err.diagnostics.len(), 1);
    assert_eq!(
        err.diagnostics[0].message,
        "the registry file is a socket, and the registry is read from a regular file or a pipe only; give the path of your `dfinery.toml`"
    );
}
