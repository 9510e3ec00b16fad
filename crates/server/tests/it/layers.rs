//! Which parts of the server may use which, read from the source: page handlers and API
//! handlers never use each other (what they share is in `http`), the providers never use
//! the worker or anything above them, and the use cases never use HTTP handlers. Only
//! `router` knows both the pages and the API.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module of the server crate and the top-level modules it names with
/// `crate::…` (also in `use crate::{a, b::c}` lists).
fn uses() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(&src).unwrap();
            let first = relative.components().next().unwrap().as_os_str();
            let module = first.to_str().unwrap().trim_end_matches(".rs").to_owned();
            // Code only: a comment may name a module it does not use.
            let text: String = std::fs::read_to_string(&path)
                .unwrap()
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            let used = graph.entry(module.clone()).or_default();
            for (at, _) in text.match_indices("crate::") {
                let rest = &text[at + "crate::".len()..];
                let names: Vec<&str> = match rest.strip_prefix('{') {
                    // `crate::{a, b::c, d::{e, f}}`: the first name of each top-level item.
                    Some(list) => {
                        let mut depth = 0;
                        let end = list
                            .char_indices()
                            .find(|(_, c)| {
                                match c {
                                    '{' => depth += 1,
                                    '}' if depth == 0 => return true,
                                    '}' => depth -= 1,
                                    _ => {}
                                }
                                false
                            })
                            .map(|(i, _)| i)
                            .unwrap_or(list.len());
                        let mut names = Vec::new();
                        let mut depth = 0;
                        let mut start = 0;
                        for (i, c) in list[..end].char_indices() {
                            match c {
                                '{' => depth += 1,
                                '}' => depth -= 1,
                                ',' if depth == 0 => {
                                    names.push(list[start..i].trim());
                                    start = i + 1;
                                }
                                _ => {}
                            }
                        }
                        names.push(list[start..end].trim());
                        names
                    }
                    None => vec![rest],
                };
                for name in names {
                    let head: String = name
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !head.is_empty() && head != module {
                        used.insert(head);
                    }
                }
            }
        }
    }
    graph
}

#[test]
fn pages_api_worker_and_providers_use_each_other_one_way_only() {
    let graph = uses();
    // The scanner sees what is there (or the rules below would pass on nothing).
    for (from, to) in [
        ("router", "web"),
        ("router", "routes"),
        ("web", "http"),
        ("routes", "http"),
        ("alerting", "notify"),
        ("app", "wake"),
    ] {
        assert!(
            graph.get(from).is_some_and(|u| u.contains(to)),
            "expected {from} to use {to}: {graph:?}"
        );
    }
    let handlers = ["web", "routes", "router"];
    let rules: Vec<(&str, Vec<&str>)> = vec![
        // Pages and the API: what they share is in `http`.
        ("web", vec!["routes", "router"]),
        ("routes", vec!["web", "router"]),
        ("http", handlers.to_vec()),
        // The providers: below the worker, the use cases and every handler.
        (
            "notify",
            [&handlers[..], &["alerting", "conversation", "http", "wake"]].concat(),
        ),
        // The delivery worker and the use cases: no HTTP handlers.
        ("alerting", [&handlers[..], &["http"]].concat()),
        ("wake", [&handlers[..], &["http"]].concat()),
        ("conversation", handlers.to_vec()),
        ("rotations", handlers.to_vec()),
        ("state", handlers.to_vec()),
    ];
    let mut wrong = Vec::new();
    for (from, forbidden) in rules {
        for to in forbidden {
            if graph.get(from).is_some_and(|u| u.contains(to)) {
                wrong.push(format!("{from} uses {to}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The use cases' crate knows nothing of HTTP, and the command line's alert commands write
/// through it (so they are permitted, validated and wake the server) instead of through
/// the store.
#[test]
fn the_application_layer_has_no_http_and_the_command_line_goes_through_it() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let manifest = std::fs::read_to_string(crates.join("app/Cargo.toml")).unwrap();
    let dependencies = manifest
        .split("[dependencies]")
        .nth(1)
        .unwrap()
        .split("\n[")
        .next()
        .unwrap();
    assert!(dependencies.contains("beredskap-core"), "{dependencies}");
    for http in [
        "axum",
        "hyper",
        "reqwest",
        "http",
        "tower",
        "askama",
        "beredskap-server",
    ] {
        assert!(
            !dependencies
                .lines()
                .any(|l| l.split(['.', ' ', '=']).next() == Some(http)),
            "crates/app depends on {http}"
        );
    }
    let writes = [
        "create_alert",
        "close_alert",
        "answer_alert",
        "mark_alert_seen",
        "import_people",
        "set_rotation",
        "add_override",
    ];
    for (command, uses) in [
        ("alert", "alerts::send("),
        ("import", "register::import_people("),
        ("rotation", "rotations::set_rotation("),
    ] {
        let path = format!("cli/src/commands/{command}.rs");
        let source = std::fs::read_to_string(crates.join(&path)).unwrap();
        assert!(source.contains(uses), "the scan reads {path}");
        for write in writes {
            assert!(
                !source.contains(&format!(".{write}(")),
                "{path} calls the store's {write}"
            );
        }
    }
    // Sign-in is counted, checked and journaled in the use cases; the pages and the
    // API's token check only show forms and set cookies.
    let sign_in_steps = [
        "reserve_attempt",
        "refund_attempt",
        "record_sign_in_failure",
        "create_pending_sign_in",
        "reserve_pending_attempt",
        "create_session",
        "session_by_secret",
        "token_grant",
        "credentials",
        "use_totp_step",
        "use_recovery_code",
        "complete_enrolment",
        "revoke_session",
        "append_journal",
        "passkeys",
        "add_passkey",
        "change_passkey",
        "passkey_used",
    ];
    for page in [
        "web/sign_in.rs",
        "web/one_time.rs",
        "web/enrol.rs",
        "web/session.rs",
        "web/passkeys.rs",
        "routes/auth.rs",
    ] {
        let path = format!("server/src/{page}");
        let source = std::fs::read_to_string(crates.join(&path)).unwrap();
        assert!(source.contains("sign_in::"), "the scan reads {path}");
        for step in sign_in_steps {
            assert!(
                !source.contains(&format!(".{step}(")),
                "{path} calls the store's {step}"
            );
        }
    }
}

/// Pages and API handlers read and write through the use cases. What is left reaching the
/// store is listed here with why: the health check's ping, the figures a metrics scrape
/// reads (for the operator, not a use case of the organisation's), and what a verified signal
/// (a calendar's secret address, an SMS reply) looks up before any use case applies.
#[test]
fn pages_and_api_handlers_reach_the_store_only_through_the_use_cases() {
    let server = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let allowed = [
        ("routes/health.rs", ".ping("),
        ("routes/health.rs", ".as_ref("),
        ("routes/alerts.rs", ".rotation("),
        ("routes/alerts.rs", ".overrides("),
        ("routes/alerts.rs", ".as_ref("),
        ("routes/alerts.rs", ".list_orgs("),
        ("routes/alerts.rs", ".list_positions("),
        ("routes/alerts.rs", ".org("),
        ("routes/alerts.rs", ".alert("),
        ("routes/alerts.rs", ".delivery_report("),
    ];
    let mut wrong = Vec::new();
    let mut scanned = 0;
    for dir in ["web", "routes"] {
        for entry in std::fs::read_dir(server.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let name = format!("{dir}/{}", path.file_name().unwrap().to_string_lossy());
            let source = std::fs::read_to_string(&path).unwrap();
            scanned += 1;
            // Whitespace out, so a call split over lines reads as one.
            let flat: String = source.split_whitespace().collect();
            for (at, _) in flat.match_indices("state.store") {
                let rest = &flat[at + "state.store".len()..];
                let call = match rest.find('(') {
                    Some(end) => &rest[..=end],
                    None => rest,
                };
                if !allowed.contains(&(name.as_str(), call)) {
                    wrong.push(format!("{name}: state.store{call}"));
                }
            }
        }
    }
    assert!(scanned > 10, "the scan reads the handlers");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
