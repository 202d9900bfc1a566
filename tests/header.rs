//! The committed C header declares only `jp_`/`JP_` names: every macro, type and function.

use std::path::Path;

fn header() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/jetpack_partner.h");
    std::fs::read_to_string(path).expect("include/jetpack_partner.h")
}

#[test]
fn every_macro_has_the_jp_prefix() {
    let text = header();
    let macros: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("#define "))
        .filter_map(|rest| rest.split_whitespace().next())
        .collect();
    assert!(macros.contains(&"JP_VERSION"), "{macros:?}");
    for name in macros {
        assert!(
            name.starts_with("JP_") || name == "JETPACK_PARTNER_H",
            "macro without the JP_ prefix: {name}"
        );
    }
}

#[test]
fn every_function_and_type_has_the_jp_prefix() {
    let text = header();
    let mut functions = 0;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with("typedef ") {
            let name = line
                .trim_end_matches(';')
                .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .find(|w| !w.is_empty())
                .unwrap_or("");
            // Function-pointer typedefs: `typedef void (*jp_log_fn)(...)`.
            let name = if line.contains("(*") {
                line.split("(*")
                    .nth(1)
                    .and_then(|r| r.split(')').next())
                    .unwrap_or("")
            } else {
                name
            };
            assert!(
                name.starts_with("jp_"),
                "type without the jp_ prefix: {line}"
            );
        }
        if let Some(open) = line.find('(') {
            let before = &line[..open];
            if !line.starts_with(['*', '/', '#']) && !before.contains("typedef") {
                if let Some(name) = before.rsplit([' ', '*']).next() {
                    if !name.is_empty() && before.contains(' ') {
                        functions += 1;
                        assert!(name.starts_with("jp_"), "function without jp_: {line}");
                    }
                }
            }
        }
    }
    assert!(functions >= 20, "only {functions} functions found");
}
