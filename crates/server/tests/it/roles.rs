//! Who may use which page and form, from the router's own table: every route is tried
//! signed out and with every role, a role below the route's access is refused and a role
//! at or above it gets through. A route added without saying whom it is for does not build.

use crate::helpers::{expect_json, TestApp};
use crate::passkeys::register_passkey;
use crate::web::{browser, hidden, invite, location, page};
use beredskap_core::conversation::{ChannelKind, NewChannel, NewMessage};
use beredskap_core::register::{Account, NewGroup, Role};
use beredskap_core::{Actor, Slug};
use beredskap_server::web::{page_routes, Access, PageRoute};
use reqwest::Method;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_authenticator_rs::WebauthnAuthenticator;

/// One of the people trying the routes: a browser signed in, and a second device of
/// theirs (signed in too) whose session another person's form may name.
struct Tester {
    role: Role,
    browser: reqwest::Client,
    account: Account,
    csrf: String,
    second_session: String,
}

/// The things the routes' `{…}` stand for.
struct Things {
    channel: String,
    /// An announcement by someone none of the testers is: it has a roster and can be
    /// confirmed, edited by a crisis lead and answered in a thread.
    message: String,
    /// Another person's message, for redaction.
    to_redact: String,
    file: String,
    /// An alert to every tester, to look at and answer.
    alert: String,
    /// Another, to close.
    to_close: String,
    /// A group of all the testers, to alert and to check.
    group: String,
    /// A week from now, for a contact check.
    deadline: String,
    victim: Account,
    victim_account: String,
    victim_session: String,
    token: String,
    /// The administrator's passkey, for the routes on one's own things.
    passkey: String,
    /// A service on the overview, to look at, set and change.
    service: String,
    /// Services to retire, one for each attempt (a retired one is not found again).
    to_retire: std::sync::Mutex<Vec<String>>,
    /// A plan, to read, edit, approve and activate.
    plan: String,
    /// An incident with a task, to read, tick, hand over and end.
    incident: String,
    task: String,
    /// An entry of its log, in the shared picture.
    entry: String,
    /// The guest tester's account, invited to the incident.
    guest: String,
    /// A person of the organisation, to hand a role to.
    person: String,
    /// The position named for the priority list, which every tester holds.
    position: String,
    /// One of the incident's priority calls.
    call: String,
    /// A bulk activation (of nobody), to follow.
    activation: String,
    /// An alert template (an exercise), to preview and send.
    template: String,
    /// Templates to delete, one per try.
    templates_to_delete: std::sync::Mutex<Vec<String>>,
    /// A notice on the status page, to update.
    notice: String,
}

fn concrete(route: &PageRoute, things: &Things, own_session: &str) -> String {
    let p = route.path;
    let id = match p {
        _ if p.starts_with("/c/") => things.channel.clone(),
        "/m/{id}/redact" => things.to_redact.clone(),
        _ if p.starts_with("/m/") => things.message.clone(),
        "/alerts/{id}/close" => things.to_close.clone(),
        "/alerts/templates/{id}/delete" => {
            things.templates_to_delete.lock().unwrap().pop().unwrap()
        }
        _ if p.starts_with("/alerts/templates/") => things.template.clone(),
        _ if p.starts_with("/alerts/") => things.alert.clone(),
        _ if p.starts_with("/files/") => things.file.clone(),
        _ if p.starts_with("/admin/accounts/") => things.victim.id.to_string(),
        _ if p.starts_with("/admin/activation/") => things.activation.clone(),
        _ if p.starts_with("/admin/sessions/") => things.victim_session.clone(),
        _ if p.starts_with("/admin/tokens/") => things.token.clone(),
        _ if p.starts_with("/passkeys/") => things.passkey.clone(),
        _ if p.starts_with("/sessions/") => own_session.to_owned(),
        "/services/{id}/retire" => things.to_retire.lock().unwrap().pop().unwrap(),
        _ if p.starts_with("/services/") => things.service.clone(),
        _ if p.starts_with("/plans/") => things.plan.clone(),
        _ if p.starts_with("/incidents/") => things.incident.clone(),
        _ if p.starts_with("/notices/") => things.notice.clone(),
        _ => "0".to_owned(),
    };
    p.replace("{id}", &id)
        .replace("{root}", &things.message)
        .replace("{task}", &things.task)
        .replace("{entry}", &things.entry)
        .replace("{call}", &things.call)
        .replace("{account}", &things.guest)
        .replace(
            "{action}",
            if p.starts_with("/passkeys/") {
                "rename"
            } else {
                "confirm"
            },
        )
        .replace("{token}", "not-a-real-link")
        .replace("{secret}", "not-a-real-link")
        .replace("{slug}", "lillby")
}

/// What a person would fill in on the form.
fn form_for(path: &str, things: &Things) -> Vec<(&'static str, String)> {
    let p = path;
    let fields: Vec<(&'static str, &str)> = match p {
        "/services/public" => vec![("phone", "0480-45 00 00")],
        _ if p.starts_with("/alerts/templates/") && p.ends_with("/send") => vec![("version", "1")],
        "/alerts/templates" => vec![
            ("message", "Övning"),
            ("severity", "info"),
            ("group", things.group.as_str()),
            ("step_minutes", "5"),
            ("repeats", "0"),
            ("exercise", "on"),
            ("template_name", "Övning"),
        ],
        "/notices" => vec![
            ("kind", "disruption"),
            ("phase", "investigating"),
            ("title_sv", "E-posten fungerar inte"),
        ],
        "/press" => vec![
            ("lang", "sv"),
            ("title", "Kommunens växel går inte att nå"),
            ("body", "Ring reservnumret."),
        ],
        _ if p.starts_with("/notices/") => {
            vec![("phase", "identified"), ("title_sv", "Fel i växeln")]
        }
        "/priority-list/access" => vec![
            ("positions", things.position.as_str()),
            ("calls_days", "30"),
        ],
        _ if p.ends_with("/calls/keep") => vec![("decision", things.entry.as_str())],
        _ if p.contains("/calls/") && !p.ends_with("/start") => vec![("outcome", "reached")],
        _ if p.starts_with("/c/") && p.ends_with("/members") => {
            vec![("member", things.guest.as_str())]
        }
        _ if p.starts_with("/c/") => vec![("key", "roles-1"), ("body", "Läget kl 10")],
        _ if p.starts_with("/services/") && p.ends_with("/edit") => vec![("name", "Telefoni")],
        _ if p.ends_with("/status") => vec![("state", "down")],
        "/services/new" => vec![("name", "Växeln")],
        _ if p.starts_with("/plans/") && p.ends_with("/approve") => vec![("version", "1")],
        _ if p.starts_with("/plans/") && p.ends_with("/activate") => vec![("severity", "warning")],
        _ if p.starts_with("/incidents/") && p.contains("/tasks/") => vec![("done", "yes")],
        _ if p.starts_with("/incidents/") && p.ends_with("/decision") => vec![
            ("what", "Stäng medborgarkontoret"),
            ("who", "Krisledningsgruppen"),
            ("why", "Inga system fungerar"),
        ],
        _ if p.starts_with("/incidents/") && p.ends_with("/report") => {
            vec![("conditions", "Telefonin ligger nere")]
        }
        _ if p.starts_with("/incidents/") && p.ends_with("/guests") => {
            vec![("account", things.guest.as_str())]
        }
        _ if p.starts_with("/incidents/") && p.ends_with("/cadence") => {
            vec![("report_every_minutes", "30")]
        }
        _ if p.starts_with("/incidents/") && p.ends_with("/roles") => {
            vec![("role", "scribe"), ("person", things.person.as_str())]
        }
        _ if p.starts_with("/plans/") && (p.ends_with("/edit") || p.ends_with("/new")) => vec![
            ("title", "E-posten fungerar inte"),
            ("alarm_severity", "warning"),
            ("review_months", "12"),
        ],
        _ if p.ends_with("/edit") => vec![("body", "Läget kl 11")],
        _ if p.ends_with("/redact") => vec![("reason", "Personnummer")],
        _ if p.ends_with("/close") => vec![("status", "resolved")],
        _ if p.ends_with("/answer") => vec![("answer", "ok")],
        _ if p.starts_with("/passkeys/") => vec![("name", "Nyckel 2")],
        _ if p.starts_with("/admin/sessions/") => vec![("account", things.victim_account.as_str())],
        "/alerts" => vec![
            ("message", "Övning"),
            ("severity", "info"),
            ("group", things.group.as_str()),
            ("step_minutes", "5"),
            ("repeats", "0"),
            ("exercise", "on"),
        ],
        "/contact-checks" => vec![
            ("group", things.group.as_str()),
            ("deadline", things.deadline.as_str()),
        ],
        "/channels/new" => vec![
            ("name", "Stab"),
            ("kind", "direct"),
            ("classification", "Intern"),
        ],
        "/admin/accounts" => vec![
            ("name", "Sven Ek"),
            ("login", "sven@lillby.se"),
            ("role", "member"),
            ("private_email", "sven@example.se"),
        ],
        "/admin/tokens" => vec![("name", "Lönesystem"), ("scope", "read")],
        "/admin/settings" => vec![
            ("fallback_sign_in", "on"),
            ("members_need_second_factor", "on"),
        ],
        _ => vec![],
    };
    fields.into_iter().map(|(k, v)| (k, v.to_owned())).collect()
}

/// Whether a route speaks JSON rather than forms.
fn json(path: &str) -> bool {
    path.contains("/passkey") && !path.starts_with("/passkeys/{") || path == "/push/subscribe"
}

/// Tries one route, posting `form` beside the token; returns the status and where a
/// redirect goes.
async fn attempt(
    app: &TestApp,
    b: &reqwest::Client,
    csrf: &str,
    route: &PageRoute,
    path: &str,
    form: Vec<(&'static str, String)>,
) -> (u16, String) {
    let request = if route.method == Method::GET {
        b.get(app.url(path))
    } else if json(route.path) {
        b.post(app.url(path))
            .header("x-csrf-token", csrf)
            .json(&serde_json::json!({}))
    } else {
        let mut fields = vec![("csrf", csrf.to_owned())];
        fields.extend(form);
        b.post(app.url(path)).form(&fields)
    };
    // Only the head: `/events` is a stream that does not end.
    let r = request.send().await.unwrap();
    let to = if r.status().is_redirection() {
        location(&r)
    } else {
        String::new()
    };
    (r.status().as_u16(), to)
}

fn refused((status, to): &(u16, String)) -> bool {
    *status == 401 || *status == 403 || (*status == 303 && to == "/sign-in")
}

fn let_in((status, to): &(u16, String)) -> bool {
    matches!(status, 200..=299 | 409 | 422) || (*status == 303 && to != "/sign-in")
}

/// Signs the same person in on another device; returns that session's id.
async fn second_device(app: &TestApp, login: &str, secret: &[u8]) -> String {
    let b = browser();
    app.sign_in(&b, login, secret).await;
    let a = app.account(login).await;
    let now = app.now();
    // Newest first: the one just started.
    app.store
        .list_sessions(app.org.id, a.id, now)
        .await
        .unwrap()[0]
        .id
        .to_string()
}

async fn tester(app: &TestApp, login: &str, role: Role) -> Tester {
    let person = invite(app, login, role).await;
    let b = browser();
    let (secret, _) = app.enrol(&b, &person).await;
    app.sign_in(&b, login, &secret).await;
    let second_session = second_device(app, login, &secret).await;
    let (_, home) = page(app, &b, "/").await;
    Tester {
        role,
        csrf: hidden(&home, "csrf"),
        browser: b,
        account: app.account(login).await,
        second_session,
    }
}

async fn things(app: &TestApp, testers: &[Tester]) -> Things {
    // The API token's account (an administrator none of the testers is) writes.
    let author = app.account("admin@lillby.se").await;
    let channel = app
        .store
        .create_channel(
            &Actor::system(),
            app.org.id,
            author.id,
            NewChannel {
                kind: ChannelKind::Org,
                name: "Alla i Lillby".into(),
                classification: "Intern".into(),
                group_id: None,
                members: testers.iter().map(|t| t.account.id).collect(),
            },
        )
        .await
        .unwrap()
        .id;
    let r = app
        .client
        .post(app.url("/api/v1/orgs/lillby/attachments?filename=lista.txt"))
        .bearer_auth(&app.admin_token)
        .body("Lista")
        .send()
        .await
        .unwrap();
    let file = expect_json(r, 201).await["id"].as_str().unwrap().to_owned();
    let post = |body: &str, announcement: bool, attachments: Vec<_>| {
        let store = app.store.clone();
        let org = app.org.id;
        let message = NewMessage {
            channel,
            thread_root: None,
            body: body.into(),
            announcement,
            mentions: vec![],
            attachments,
            idempotency_key: None,
            send_out: None,
        };
        async move {
            store
                .post_message(&Actor::account(author.id), org, author.id, message)
                .await
                .unwrap()
                .message
                .id
                .to_string()
        }
    };
    let message = post("Samling kl 10", true, vec![file.parse().unwrap()]).await;
    let to_redact = post("Personnummer 19800101-1234", false, vec![]).await;
    let people: Vec<_> = testers.iter().map(|t| t.account.person_id).collect();
    let group = app
        .store
        .create_group(
            &Actor::system(),
            app.org.id,
            NewGroup {
                slug: Slug::parse("stab").unwrap(),
                name: "Stab".into(),
            },
        )
        .await
        .unwrap()
        .id;
    app.store
        .set_group_members(&Actor::system(), app.org.id, group, people.clone())
        .await
        .unwrap();
    let group = group.to_string();
    let mut alert = String::new();
    let mut to_close = String::new();
    for target in [&mut alert, &mut to_close] {
        let r = app
            .post(
                "/api/v1/orgs/lillby/alerts",
                &app.admin_token,
                serde_json::json!({
                    "message": "Strömavbrott",
                    "severity": "critical",
                    "recipients": {"people": people},
                    "exercise": true,
                    "step_minutes": 5,
                }),
            )
            .await;
        *target = expect_json(r, 201).await["id"].as_str().unwrap().to_owned();
    }
    let mut templates = Vec::new();
    for n in 0..12 {
        let r = app
            .post(
                "/api/v1/orgs/lillby/alert-templates",
                &app.admin_token,
                serde_json::json!({
                    "name": format!("Övning {n}"),
                    "alert": {
                        "message": "Strömavbrott",
                        "severity": "critical",
                        "recipients": {"people": people},
                        "exercise": true,
                    },
                }),
            )
            .await;
        templates.push(expect_json(r, 201).await["id"].as_str().unwrap().to_owned());
    }
    let template = templates.pop().unwrap();
    let victim = invite(app, "offer@lillby.se", Role::Member).await;
    let victim_browser = browser();
    let (secret, _) = app.enrol(&victim_browser, &victim).await;
    app.sign_in(&victim_browser, &victim.login, &secret).await;
    let victim_session = second_device(app, &victim.login, &secret).await;
    let victim = app.account(&victim.login).await;
    app.token_for(Role::Member, "lonesystem@lillby.se").await;
    let token = app
        .store
        .list_api_tokens(app.org.id)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.account_id != author.id)
        .unwrap()
        .id
        .to_string();
    let admin = testers.iter().find(|t| t.role == Role::Admin).unwrap();
    let mut authenticator = WebauthnAuthenticator::new(SoftPasskey::new(true));
    register_passkey(app, &admin.browser, &mut authenticator).await;
    let passkey = app
        .store
        .passkeys(app.org.id, admin.account.id)
        .await
        .unwrap()[0]
        .id
        .to_string();
    let mut services = Vec::new();
    for name in [
        "E-post", "Fax 1", "Fax 2", "Fax 3", "Fax 4", "Fax 5", "Fax 6",
    ] {
        let r = app
            .post(
                "/api/v1/orgs/lillby/services",
                &app.admin_token,
                serde_json::json!({ "name": name }),
            )
            .await;
        services.push(expect_json(r, 201).await["id"].as_str().unwrap().to_owned());
    }
    let service = services.remove(0);
    let plan = beredskap_app::plans::import_yaml(
        &app.use_cases(),
        &beredskap_app::Caller::Operator(Actor::system()),
        &app.org,
        &Slug::parse("e-post").unwrap(),
        "title: E-post nere\n",
    )
    .await
    .unwrap()
    .id
    .to_string();
    let incident = app
        .store
        .open_incident(
            &Actor::system(),
            app.org.id,
            beredskap_core::continuity::incidents::NewIncident {
                title: "Totalt IT-avbrott".into(),
                plan: None,
                severity: beredskap_core::alerting::Severity::Warning,
                exercise: true,
                via: beredskap_core::continuity::incidents::Via::Web,
                opened_by: Some(author.person_id),
                channel: NewChannel {
                    kind: ChannelKind::Incident,
                    name: "Totalt IT-avbrott".into(),
                    classification: "Intern".into(),
                    group_id: None,
                    members: testers.iter().map(|t| t.account.id).collect(),
                },
                creator: author.id,
                alert: None,
                tasks: vec![beredskap_core::continuity::incidents::NewTask {
                    position: None,
                    assignee: None,
                    text: "Ring IT-beredskapen".into(),
                    due_at: app.now(),
                }],
                lead: Some(author.person_id),
                report_every_minutes: Some(60),
            },
            app.now(),
        )
        .await
        .unwrap();
    let task = app
        .store
        .incident_tasks(app.org.id, incident.id)
        .await
        .unwrap()[0]
        .id
        .to_string();
    let entry = app
        .store
        .write_log_entry(
            &Actor::system(),
            app.org.id,
            incident.id,
            beredskap_core::continuity::log::DecisionInput {
                what: "Öppna reservväxeln".into(),
                who: "Krisledningsgruppen".into(),
                why: "Växeln ligger nere".into(),
                ..Default::default()
            }
            .validate(app.now())
            .unwrap(),
            Some(author.person_id),
            app.now(),
        )
        .await
        .unwrap()
        .id
        .to_string();
    let guest = testers
        .iter()
        .find(|t| t.role == Role::Guest)
        .unwrap()
        .account
        .id;
    app.store
        .invite_guest(
            &Actor::system(),
            app.org.id,
            incident.id,
            guest,
            None,
            app.now(),
        )
        .await
        .unwrap();
    // A priority list every tester but the guest may open, and the incident's calls.
    let setup = Actor::system();
    let position = app
        .store
        .create_position(
            &setup,
            app.org.id,
            beredskap_core::register::NewPosition {
                slug: Slug::parse("hemtjanst").unwrap(),
                name: "Enhetschef hemtjänst".into(),
            },
        )
        .await
        .unwrap();
    app.store
        .set_position_holders(&setup, app.org.id, position.id, people.clone())
        .await
        .unwrap();
    app.store
        .set_priority_list_access(
            &setup,
            app.org.id,
            beredskap_core::continuity::priority::AccessInput {
                positions: vec![position.id],
                calls_days: 30,
            },
        )
        .await
        .unwrap();
    let citizens = beredskap_core::continuity::priority::parse_priority_csv(
        b"name,address,need\nAstrid Holm,Storgatan 12,Trygghetslarm\n",
        beredskap_core::Region::Se,
    )
    .unwrap();
    app.store
        .replace_priority_list(&setup, app.org.id, citizens, app.now())
        .await
        .unwrap();
    app.store
        .start_priority_calls(&setup, app.org.id, incident.id, None, app.now())
        .await
        .unwrap();
    let call = app
        .store
        .open_priority_calls(&setup, app.org.id, incident.id)
        .await
        .unwrap()[0]
        .id
        .to_string();
    let notice = {
        use beredskap_core::continuity::notices::{
            Kind, NewNotice, NoticeText, Phase, UpdateDraft,
        };
        let new = NewNotice {
            incident_id: None,
            kind: Kind::Disruption,
            exercise: false,
            first: UpdateDraft {
                phase: Phase::Investigating,
                texts: vec![NoticeText {
                    lang: "sv".into(),
                    title: "Telefonin ligger nere".into(),
                    body: String::new(),
                }],
                services: vec![],
                starts_at: None,
                ends_at: None,
            },
        };
        app.store
            .publish_notice(&setup, app.org.id, new, None, app.now())
            .await
            .unwrap()
            .id
            .to_string()
    };
    let activation = app
        .store
        .start_activation(
            &setup,
            app.org.id,
            beredskap_core::activation::NewActivation {
                group: None,
                role: Role::Member,
                started_by: None,
                planned: vec![],
            },
            app.now(),
        )
        .await
        .unwrap()
        .id
        .to_string();
    Things {
        template,
        templates_to_delete: std::sync::Mutex::new(templates),
        activation,
        notice,
        position: position.id.to_string(),
        call,
        guest: guest.to_string(),
        entry,
        incident: incident.id.to_string(),
        task,
        person: author.person_id.to_string(),
        plan,
        service,
        to_retire: std::sync::Mutex::new(services),
        channel: channel.to_string(),
        message,
        to_redact,
        file,
        alert,
        to_close,
        group,
        deadline: (app.now() + chrono::Duration::days(7))
            .format("%Y-%m-%d")
            .to_string(),
        victim_account: victim.id.to_string(),
        victim,
        victim_session,
        token,
        passkey,
    }
}

#[tokio::test]
async fn every_page_and_form_lets_in_exactly_the_roles_the_router_names() {
    let app = TestApp::spawn().await;
    let mut testers = Vec::new();
    for (login, role) in [
        ("gast@partner.se", Role::Guest),
        ("anna@lillby.se", Role::Member),
        ("lead@lillby.se", Role::CrisisLead),
        ("chef@lillby.se", Role::Admin),
    ] {
        testers.push(tester(&app, login, role).await);
    }
    let things = things(&app, &testers).await;
    let routes = page_routes();
    let anonymous = browser();
    let (_, sign_in) = page(&app, &anonymous, "/sign-in").await;
    let anonymous_csrf = hidden(&sign_in, "csrf");

    let mut wrong = Vec::new();
    for route in &routes {
        let path = concrete(route, &things, &testers[0].second_session);
        let seen = attempt(
            &app,
            &anonymous,
            &anonymous_csrf,
            route,
            &path,
            form_for(&path, &things),
        )
        .await;
        let expected = match route.access {
            // Sign-in pages may send a person back to the start of signing in, so "let in"
            // here means "not refused for want of a session or a role".
            Access::Anyone => seen.0 != 401 && seen.0 != 403 && seen.0 < 500,
            Access::AtLeast(_) | Access::Own => refused(&seen),
        };
        if !expected {
            wrong.push(format!("signed out {} {path}: {seen:?}", route.method));
        }
    }
    for t in &testers {
        let others = testers.iter().find(|o| o.role != t.role).unwrap();
        for route in routes.iter().filter(|r| r.access != Access::Anyone) {
            let (expected, path) = match route.access {
                Access::AtLeast(least) => (
                    if t.role >= least { "let in" } else { "refused" },
                    concrete(route, &things, &t.second_session),
                ),
                // Someone else's device, passkey or message: refused or not found,
                // whoever asks. (The administrator's own passkey is tried here too.)
                _ => (
                    "refused or not found",
                    concrete(route, &things, &others.second_session),
                ),
            };
            let (expected, path) = if route.access == Access::Own
                && t.role == Role::Admin
                && route.path.starts_with("/passkeys/")
            {
                ("let in", path)
            } else {
                (expected, path)
            };
            // Someone not allowed is refused whatever they send, before anything in the
            // form is looked at: they post only the token.
            let form = match expected {
                "let in" => form_for(&path, &things),
                _ => vec![],
            };
            let seen = attempt(&app, &t.browser, &t.csrf, route, &path, form).await;
            let ok = match expected {
                "let in" => let_in(&seen),
                "refused" => seen.0 == 403,
                _ => seen.0 == 403 || seen.0 == 404,
            };
            if !ok {
                wrong.push(format!(
                    "{:?} {} {path}: {seen:?}, expected {expected}",
                    t.role, route.method
                ));
            }
        }
        // Their own second device they may sign out.
        let own = routes
            .iter()
            .find(|r| r.path == "/sessions/{id}/end")
            .unwrap();
        let path = concrete(own, &things, &t.second_session);
        let seen = attempt(
            &app,
            &t.browser,
            &t.csrf,
            own,
            &path,
            form_for(&path, &things),
        )
        .await;
        if !let_in(&seen) {
            wrong.push(format!("{:?} ends own device: {seen:?}", t.role));
        }
        // The menu offers exactly the pages of the table the role may open.
        let (_, home) = page(&app, &t.browser, "/").await;
        let menu = home
            .split("<nav class=\"main-menu\"")
            .nth(1)
            .and_then(|m| m.split("</nav>").next())
            .unwrap_or_else(|| panic!("{:?}: no menu", t.role));
        for destination in ["/alerts", "/positions", "/search", "/admin/accounts"] {
            let route = routes
                .iter()
                .find(|r| r.path == destination && r.method == Method::GET)
                .unwrap();
            let may = matches!(route.access, Access::AtLeast(least) if t.role >= least);
            assert_eq!(
                menu.contains(&format!("href=\"{destination}\"")),
                may,
                "{:?}: {destination} in the menu",
                t.role
            );
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // What was let in happened, and what was refused did not.
    let victim_sessions = app
        .store
        .list_sessions(app.org.id, things.victim.id, app.now())
        .await
        .unwrap();
    assert!(
        victim_sessions
            .iter()
            .all(|s| s.id.to_string() != things.victim_session),
        "the administrator ended the victim's device"
    );
    for t in &testers {
        let live = app
            .store
            .list_sessions(app.org.id, t.account.id, app.now())
            .await
            .unwrap();
        assert_eq!(
            live.len(),
            1,
            "{:?}: only the device in use is left",
            t.role
        );
    }
}
