//! The public status site: notices published and updated from an incident, shown at once
//! on the page and in every feed; the feeds checked by independent validators — CAP 1.2
//! against OASIS's schema with xmllint, Atom with feedparser, JSON Feed 1.1 with
//! jsonschema against a schema written from the specification.
//!
//! The validators skip loudly when missing; with `REQUIRE_VALIDATORS=1` (as in CI) a
//! missing one fails the test.

use crate::helpers::TestApp;
use crate::web::{hidden, location, page, signed_in};
use beredskap_core::continuity::services::{ServiceInput, ServiceState, StatusInput};
use beredskap_core::register::Role;
use beredskap_core::{Actor, IncidentId, ServiceId};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// A validator is missing: fails under `REQUIRE_VALIDATORS=1`, else says so.
fn missing(what: &str) -> bool {
    if std::env::var("REQUIRE_VALIDATORS").as_deref() == Ok("1") {
        panic!("REQUIRE_VALIDATORS=1 but {what} is missing");
    }
    eprintln!("SKIPPED a validation: {what} is missing");
    true
}

fn works(program: &Path, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A Python with feedparser and jsonschema (Debian's python3-feedparser and
/// python3-jsonschema).
fn python() -> Option<PathBuf> {
    let candidates = [
        std::env::var("TEST_PYTHON").ok(),
        Some("/usr/bin/python3".to_owned()),
        Some("python3".to_owned()),
    ];
    candidates
        .into_iter()
        .flatten()
        .map(PathBuf::from)
        .find(|p| works(p, &["-c", "import feedparser, jsonschema"]))
}

/// Runs `program` with `document` on its standard input; its output, or why it refused.
fn run(program: &Path, args: &[&str], document: &[u8]) -> Result<String, String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(document).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    match out.status.success() {
        true => Ok(text),
        false => Err(text),
    }
}

/// A CAP message is valid against OASIS's CAP 1.2 schema.
fn assert_valid_cap(xml: &[u8]) {
    let xmllint = PathBuf::from("/usr/bin/xmllint");
    if !works(&xmllint, &["--version"]) && missing("xmllint (libxml2-utils)") {
        return;
    }
    let schema = format!("{FIXTURES}/CAP-v1.2.xsd");
    if let Err(e) = run(&xmllint, &["--noout", "--schema", &schema, "-"], xml) {
        panic!("CAP not valid: {e}\n{}", String::from_utf8_lossy(xml));
    }
}

/// An Atom feed reads without a fault in feedparser; its entries' titles.
fn atom_titles(xml: &[u8]) -> Option<Vec<String>> {
    let Some(python) = python() else {
        missing("python3 with feedparser and jsonschema");
        return None;
    };
    let script = "import sys, feedparser\n\
                  d = feedparser.parse(sys.stdin.buffer.read())\n\
                  assert not d.bozo, repr(d.get('bozo_exception'))\n\
                  assert d.version == 'atom10', d.version\n\
                  for e in d.entries: print(e.title)\n";
    match run(&python, &["-c", script], xml) {
        Ok(out) => Some(out.lines().map(str::to_owned).collect()),
        Err(e) => panic!("Atom not valid: {e}\n{}", String::from_utf8_lossy(xml)),
    }
}

/// A JSON Feed is valid against the schema written from the 1.1 specification.
fn assert_valid_json_feed(json: &[u8]) {
    let Some(python) = python() else {
        missing("python3 with feedparser and jsonschema");
        return;
    };
    let schema = format!("{FIXTURES}/jsonfeed-1.1.schema.json");
    let script = "import sys, json, jsonschema\n\
                  schema = json.load(open(sys.argv[1]))\n\
                  jsonschema.validate(json.load(sys.stdin), schema)\n";
    if let Err(e) = run(&python, &["-c", script, &schema], json) {
        panic!(
            "JSON Feed not valid: {e}\n{}",
            String::from_utf8_lossy(json)
        );
    }
}

async fn service(app: &TestApp, name: &str) -> ServiceId {
    beredskap_app::services::add_service(
        &app.use_cases(),
        &beredskap_app::Caller::Operator(Actor::cli("test")),
        &app.org,
        &ServiceInput {
            name: name.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id
}

async fn set_state(app: &TestApp, id: ServiceId, state: ServiceState) {
    beredskap_app::services::set_status(
        &app.use_cases(),
        &beredskap_app::Caller::Operator(Actor::cli("test")),
        &app.org,
        id,
        &StatusInput {
            state,
            impact: None,
            workaround: None,
        },
    )
    .await
    .unwrap();
}

pub(crate) async fn incident(app: &TestApp, title: &str, exercise: bool) -> IncidentId {
    use beredskap_core::continuity::incidents::{NewIncident, Via};
    use beredskap_core::conversation::{ChannelKind, NewChannel};
    let opener = app.account("erik@lillby.se").await;
    let new = NewIncident {
        title: title.into(),
        plan: None,
        severity: beredskap_core::alerting::Severity::Warning,
        exercise,
        via: Via::Web,
        opened_by: Some(opener.person_id),
        channel: NewChannel {
            kind: ChannelKind::Incident,
            name: title.into(),
            classification: app.org.classifications[0].clone(),
            group_id: None,
            members: vec![],
        },
        creator: opener.id,
        alert: None,
        tasks: vec![],
        lead: Some(opener.person_id),
        report_every_minutes: None,
    };
    app.store
        .open_incident(&Actor::system(), app.org.id, new, app.now())
        .await
        .unwrap()
        .id
}

async fn get(app: &TestApp, path: &str) -> (u16, Vec<u8>) {
    let r = reqwest::Client::new()
        .get(app.url(path))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.bytes().await.unwrap().to_vec())
}

/// The CAP messages of the index, each fetched by its own link.
async fn cap_messages(app: &TestApp) -> Vec<String> {
    let (status, index) = get(app, "/status/lillby/cap.xml").await;
    assert_eq!(status, 200);
    let index = String::from_utf8(index).unwrap();
    atom_titles(index.as_bytes());
    let mut messages = Vec::new();
    for part in index
        .split("href=\"http://localhost/status/lillby/cap/")
        .skip(1)
    {
        let file = part.split('"').next().unwrap();
        let (status, xml) = get(app, &format!("/status/lillby/cap/{file}")).await;
        assert_eq!(status, 200, "{file}");
        assert_valid_cap(&xml);
        messages.push(String::from_utf8(xml).unwrap());
    }
    messages
}

/// What one element of a CAP message holds.
fn element<'a>(xml: &'a str, name: &str) -> &'a str {
    let open = format!("<{name}>");
    let start = xml.find(&open).map(|i| i + open.len()).unwrap_or(0);
    let end = xml[start..].find(&format!("</{name}>")).unwrap_or(0);
    &xml[start..start + end]
}

#[tokio::test]
async fn a_notice_from_an_incident_shows_at_once_on_the_page_and_in_every_feed_and_each_update_follows(
) {
    let app = TestApp::spawn().await;
    let lead = signed_in(&app, "erik@lillby.se", Role::CrisisLead).await;
    let phones = service(&app, "Telefoni").await;
    service(&app, "E-post").await;
    set_state(&app, phones, ServiceState::Down).await;
    let id = incident(&app, "Växeln nere", false).await;
    // Nothing yet: the page says so, and the feeds are valid but empty.
    let (_, html) = get(&app, "/status/lillby").await;
    assert!(String::from_utf8(html)
        .unwrap()
        .contains("Inga aktuella störningar"));
    assert_eq!(cap_messages(&app).await.len(), 0);

    // From the incident's page: the form opens with the disrupted service ticked.
    let (_, html) = page(&app, &lead, &format!("/incidents/{id}")).await;
    assert!(
        html.contains(&format!("/notices/new?incident={id}")),
        "{html}"
    );
    let (status, form) = page(&app, &lead, &format!("/notices/new?incident={id}")).await;
    assert_eq!(status, 200);
    assert!(
        form.contains(&format!("value=\"{phones}\" checked")),
        "the disrupted service is ticked: {form}"
    );
    let csrf = hidden(&form, "csrf");
    let incident = id.to_string();
    let phones_id = phones.to_string();
    let fields = |title: &'static str, body: &'static str, phase: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("kind", "disruption".to_owned()),
            ("incident", incident.clone()),
            ("phase", phase.to_owned()),
            ("title_sv", title.to_owned()),
            ("body_sv", body.to_owned()),
            ("title_en", "Phones down".to_owned()),
            ("body_en", String::new()),
            ("services", phones_id.clone()),
        ]
    };
    // A text without a title is refused at the Swedish title, what was typed kept.
    let r = lead
        .post(app.url("/notices"))
        .form(&fields("", "Ring reservnumret.", "investigating"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"title_sv-error\""), "{html}");
    assert!(html.contains(">Ring reservnumret.</textarea>"), "{html}");
    let r = lead
        .post(app.url("/notices"))
        .form(&fields(
            "Telefonin ligger nere",
            "Ring reservnumret 0480-45 00 00.",
            "investigating",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), format!("/incidents/{id}#notices"));

    // At once, for anyone: on the page, in Atom, in JSON Feed, and as a CAP Alert.
    let (_, html) = get(&app, "/status/lillby").await;
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("Telefonin ligger nere") && html.contains("Vi undersöker"));
    assert!(html.contains("Berör: Telefoni"), "{html}");
    let (_, html_en) = get(&app, "/status/lillby?lang=en").await;
    assert!(String::from_utf8(html_en).unwrap().contains("Phones down"));
    let (status, atom) = get(&app, "/status/lillby/feed.atom").await;
    assert_eq!(status, 200);
    if let Some(titles) = atom_titles(&atom) {
        assert_eq!(titles, ["Telefonin ligger nere"]);
    }
    let (_, json) = get(&app, "/status/lillby/feed.json?lang=en").await;
    assert_valid_json_feed(&json);
    let feed: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(feed["items"][0]["title"], "Phones down");
    assert_eq!(feed["items"][0]["_beredskap"]["services"][0], "Telefoni");
    let messages = cap_messages(&app).await;
    assert_eq!(messages.len(), 1);
    let alert = &messages[0];
    assert_eq!(element(alert, "msgType"), "Alert");
    assert_eq!(element(alert, "status"), "Actual");
    assert_eq!(alert.matches("<info>").count(), 2, "one per language");
    assert!(alert.contains("<language>sv</language>") && alert.contains("<language>en</language>"));

    // Updated, then resolved, from the form that opens with the latest update.
    let notice = {
        let (_, html) = page(&app, &lead, &format!("/incidents/{id}")).await;
        let at = html.find("href=\"/notices/").unwrap() + "href=\"/notices/".len();
        html[at..at + 36].to_owned()
    };
    let (_, form) = page(&app, &lead, &format!("/notices/{notice}")).await;
    assert!(form.contains("value=\"Telefonin ligger nere\""), "{form}");
    let r = lead
        .post(app.url(&format!("/notices/{notice}")))
        .form(&fields(
            "Fel i växeln",
            "Leverantören felsöker.",
            "identified",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let r = lead
        .post(app.url(&format!("/notices/{notice}")))
        .form(&fields("Telefonin fungerar igen", "", "resolved"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, html) = get(&app, "/status/lillby").await;
    let html = String::from_utf8(html).unwrap();
    let ended = html.find("id=\"ended\"").unwrap();
    assert!(html[ended..].contains("Telefonin fungerar igen"), "{html}");
    assert!(
        html.contains("Tidigare uppdateringar (2)"),
        "the timeline: {html}"
    );
    // The index holds each notice's latest message: the Cancel, which refers to the
    // Alert and the Update, each still at its own address and valid.
    let messages = cap_messages(&app).await;
    assert_eq!(messages.len(), 1);
    let cancel = &messages[0];
    assert_eq!(element(cancel, "msgType"), "Cancel");
    let references: Vec<&str> = element(cancel, "references").split(' ').collect();
    assert_eq!(references.len(), 2, "{references:?}");
    let mut kinds = Vec::new();
    for reference in references {
        let parts: Vec<&str> = reference.split(',').collect();
        assert_eq!(parts[0], "lillby@localhost");
        let (status, xml) = get(&app, &format!("/status/lillby/cap/{}.xml", parts[1])).await;
        assert_eq!(status, 200, "{reference}");
        assert_valid_cap(&xml);
        let xml = String::from_utf8(xml).unwrap();
        assert_eq!(element(&xml, "sent"), parts[2]);
        kinds.push(element(&xml, "msgType").to_owned());
    }
    assert_eq!(kinds, ["Alert", "Update"]);
    // An ended notice takes no more updates.
    let r = lead
        .post(app.url(&format!("/notices/{notice}")))
        .form(&fields("Igen", "", "monitoring"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
}

#[tokio::test]
async fn a_drill_is_marked_as_an_exercise_and_does_not_tell_citizens_a_service_is_down() {
    let app = TestApp::spawn().await;
    let lead = signed_in(&app, "erik@lillby.se", Role::CrisisLead).await;
    let phones = service(&app, "Telefoni").await;
    set_state(&app, phones, ServiceState::Works).await;
    let drill = incident(&app, "Övning: växeln nere", true).await;
    set_state(&app, phones, ServiceState::Down).await;
    let (_, form) = page(&app, &lead, &format!("/notices/new?incident={drill}")).await;
    assert!(form.contains("Publiceras som övning"), "{form}");
    let csrf = hidden(&form, "csrf");
    let r = lead
        .post(app.url("/notices"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("kind", "disruption"),
            ("incident", drill.to_string().as_str()),
            ("phase", "investigating"),
            ("title_sv", "Telefonin ligger nere"),
            ("services", phones.to_string().as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, html) = get(&app, "/status/lillby").await;
    let html = String::from_utf8(html).unwrap();
    assert!(
        html.contains("Övning") && html.contains("Det här är en övning"),
        "{html}"
    );
    let services = html.find("id=\"services\"").unwrap();
    assert!(
        html[services..].contains("state-works") && !html[services..].contains("state-down"),
        "the drill's state stays inside: {html}"
    );
    let messages = cap_messages(&app).await;
    assert_eq!(element(&messages[0], "status"), "Exercise");
    assert!(element(&messages[0], "headline").starts_with("Övning: "));
    let (_, atom) = get(&app, "/status/lillby/feed.atom").await;
    if let Some(titles) = atom_titles(&atom) {
        assert_eq!(titles, ["Övning: Telefonin ligger nere"]);
    }
}

#[tokio::test]
async fn planned_maintenance_has_its_window_and_the_page_answers_a_browser_that_has_it_with_304() {
    let app = TestApp::spawn().await;
    let lead = signed_in(&app, "erik@lillby.se", Role::CrisisLead).await;
    service(&app, "Växeln").await;
    let (_, list) = page(&app, &lead, "/services/public").await;
    assert!(
        list.contains("href=\"/notices/new?kind=maintenance\""),
        "{list}"
    );
    let (_, form) = page(&app, &lead, "/notices/new?kind=maintenance").await;
    assert!(form.contains("type=\"datetime-local\""), "{form}");
    let csrf = hidden(&form, "csrf");
    let post = |starts: &'static str, ends: &'static str| {
        lead.post(app.url("/notices")).form(&[
            ("csrf", csrf.clone()),
            ("kind", "maintenance".into()),
            ("incident", String::new()),
            ("phase", "planned".into()),
            ("title_sv", "Byte av telefonväxel".into()),
            ("starts_at", starts.into()),
            ("ends_at", ends.into()),
        ])
    };
    // Ending before it starts is refused at the end's field.
    let r = post("2026-12-20T22:00", "2026-12-20T18:00")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("id=\"ends_at-error\""));
    let r = post("2026-12-20T18:00", "2026-12-20T22:00")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let anyone = reqwest::Client::new();
    let r = anyone.get(app.url("/status/lillby")).send().await.unwrap();
    let last_modified = r.headers()["last-modified"].to_str().unwrap().to_owned();
    let html = r.text().await.unwrap();
    let maintenance = html.find("id=\"maintenance\"").unwrap();
    assert!(
        html[maintenance..].contains("När: 2026-12-20 18:00 CET – 22:00 CET"),
        "{html}"
    );
    // A browser with the page by its date gets 304; the CAP message has the window.
    let again = anyone
        .get(app.url("/status/lillby"))
        .header("if-modified-since", &last_modified)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let messages = cap_messages(&app).await;
    assert_eq!(element(&messages[0], "onset"), "2026-12-20T18:00:00+01:00");
    assert_eq!(element(&messages[0], "urgency"), "Future");
    // A member may not publish.
    let member = signed_in(&app, "anna@lillby.se", Role::Member).await;
    let (status, _) = page(&app, &member, "/notices/new").await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn the_api_publishes_lists_and_updates_notices_and_the_page_follows() {
    use crate::helpers::{error_fields, expect_json};
    let app = TestApp::spawn().await;
    let phones = service(&app, "Telefoni").await;
    let body = |phase: &str, title: &str| {
        serde_json::json!({
            "phase": phase,
            "texts": [{"lang": "sv", "title": title, "body": "Ring reservnumret."}],
            "services": [phones],
        })
    };
    let mut first = body("investigating", "Telefonin ligger nere");
    first["kind"] = "disruption".into();
    // A member's token is refused; a phase of the other kind is named.
    let member = app.token_for(Role::Member, "anna@lillby.se").await;
    let r = app
        .post("/api/v1/orgs/lillby/notices", &member, first.clone())
        .await;
    assert_eq!(r.status(), 403);
    let mut wrong = first.clone();
    wrong["phase"] = "planned".into();
    let r = app
        .post("/api/v1/orgs/lillby/notices", &app.admin_token, wrong)
        .await;
    assert_eq!(error_fields(&expect_json(r, 422).await), ["phase"]);
    let r = app
        .post("/api/v1/orgs/lillby/notices", &app.admin_token, first)
        .await;
    let created = expect_json(r, 201).await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["exercise"], false);
    assert_eq!(created["updates"][0]["services"][0], phones.to_string());
    let (_, html) = get(&app, "/status/lillby").await;
    assert!(String::from_utf8(html)
        .unwrap()
        .contains("Telefonin ligger nere"));
    let r = app
        .post(
            &format!("/api/v1/orgs/lillby/notices/{id}/updates"),
            &app.admin_token,
            body("resolved", "Telefonin fungerar igen"),
        )
        .await;
    let ended = expect_json(r, 200).await;
    assert_eq!(ended["updates"].as_array().unwrap().len(), 2);
    let r = app
        .post(
            &format!("/api/v1/orgs/lillby/notices/{id}/updates"),
            &app.admin_token,
            body("monitoring", "Igen"),
        )
        .await;
    assert_eq!(error_fields(&expect_json(r, 409).await), ["phase"]);
    let r = app
        .get("/api/v1/orgs/lillby/notices", &app.admin_token)
        .await;
    let listed = expect_json(r, 200).await;
    assert_eq!(listed[0]["id"], id.as_str());
    let (_, html) = get(&app, "/status/lillby").await;
    let html = String::from_utf8(html).unwrap();
    assert!(
        html.contains("Telefonin fungerar igen") && html.contains("Löst"),
        "{html}"
    );
    // An incident of another organisation's, or none at all, is not found.
    let mut stray = body("investigating", "Något");
    stray["kind"] = "disruption".into();
    stray["incident"] = IncidentId::new().to_string().into();
    let r = app
        .post("/api/v1/orgs/lillby/notices", &app.admin_token, stray)
        .await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_press_release_from_the_template_is_published_on_the_page_and_in_the_feeds() {
    let app = TestApp::spawn().await;
    let lead = signed_in(&app, "erik@lillby.se", Role::CrisisLead).await;
    let phones = service(&app, "Telefoni").await;
    set_state(&app, phones, ServiceState::Down).await;
    let id = incident(&app, "Växeln nere", false).await;
    let (_, html) = page(&app, &lead, &format!("/incidents/{id}")).await;
    assert!(
        html.contains(&format!("/press/new?incident={id}")),
        "{html}"
    );
    // The template in Swedish, with a link to it in the other languages.
    let (status, form) = page(&app, &lead, &format!("/press/new?incident={id}")).await;
    assert_eq!(status, 200);
    assert!(form.contains("Lillby kommun: Växeln nere"), "{form}");
    assert!(form.contains("Berörda tjänster: Telefoni"), "{form}");
    assert!(form.contains("Aktuell information: http://localhost/status/lillby"));
    assert!(
        form.contains(&format!("href=\"/press/new?lang=da&#38;incident={id}\"")),
        "{form}"
    );
    let (_, danish) = page(&app, &lead, &format!("/press/new?incident={id}&lang=da")).await;
    assert!(danish.contains("Berørte tjenester: Telefoni"), "{danish}");
    let csrf = hidden(&form, "csrf");
    let incident = id.to_string();
    let post = |title: &'static str| {
        lead.post(app.url("/press")).form(&[
            ("csrf", csrf.as_str()),
            ("incident", incident.as_str()),
            ("lang", "sv"),
            ("title", title),
            (
                "body",
                "Lillby kommun, 2 december\n\nVäxeln går inte att nå.",
            ),
        ])
    };
    let r = post("").send().await.unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"title-error\"") && html.contains("Växeln går inte att nå."));
    let r = post("Kommunens växel går inte att nå")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), format!("/incidents/{id}#notices"));
    let (_, html) = get(&app, "/status/lillby").await;
    let html = String::from_utf8(html).unwrap();
    let press = html.find("id=\"press\"").unwrap();
    assert!(
        html[press..].contains("Kommunens växel går inte att nå"),
        "{html}"
    );
    let (_, atom) = get(&app, "/status/lillby/feed.atom").await;
    if let Some(titles) = atom_titles(&atom) {
        assert_eq!(titles, ["Kommunens växel går inte att nå"]);
    }
    let (_, json) = get(&app, "/status/lillby/feed.json").await;
    assert_valid_json_feed(&json);
    let feed: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(feed["items"][0]["tags"][0], "press_release");
    // Listed for the crisis leads.
    let (_, list) = page(&app, &lead, "/services/public").await;
    assert!(list.contains("Kommunens växel går inte att nå"), "{list}");
}

#[tokio::test]
async fn the_api_takes_a_language_only_by_its_code() {
    use crate::helpers::{error_fields, expect_json};
    let app = TestApp::spawn().await;
    for query in ["?lang=", "?lang=sv-SE", "?incident="] {
        let r = app
            .get(
                &format!("/api/v1/orgs/lillby/press-releases/draft{query}"),
                &app.admin_token,
            )
            .await;
        let body = expect_json(r, 422).await;
        assert_eq!(error_fields(&body).len(), 1, "{query}: {body}");
    }
    let r = app
        .get(
            "/api/v1/orgs/lillby/press-releases/draft?lang=da",
            &app.admin_token,
        )
        .await;
    assert_eq!(expect_json(r, 200).await["lang"], "da");
    for lang in ["", "SV", "sv-SE"] {
        let r = app
            .post(
                "/api/v1/orgs/lillby/press-releases",
                &app.admin_token,
                serde_json::json!({"lang": lang, "title": "Växeln", "body": "Text"}),
            )
            .await;
        assert_eq!(
            error_fields(&expect_json(r, 422).await),
            ["lang"],
            "{lang:?}"
        );
    }
}
