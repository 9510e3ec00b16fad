//! The alert pages as a crisis lead and a member use them, without JavaScript.

use crate::helpers::TestApp;
use crate::web::{hidden, location, page, signed_in};
use beredskap_core::register::{NewGroup, Role};
use beredskap_core::{Actor, EmailAddress, Slug};

async fn person_of(app: &TestApp, login: &str) -> beredskap_core::PersonId {
    app.store
        .account_by_login(app.org.id, &EmailAddress::parse(login).unwrap())
        .await
        .unwrap()
        .unwrap()
        .person_id
}

#[tokio::test]
async fn a_crisis_lead_sends_an_alert_from_the_form_and_follows_the_answers() {
    let app = TestApp::spawn().await;
    let lead = signed_in(&app, "lead@lillby.se", Role::CrisisLead).await;
    let member = signed_in(&app, "member@lillby.se", Role::Member).await;
    let group = app
        .store
        .create_group(
            &Actor::system(),
            app.org.id,
            NewGroup {
                slug: Slug::parse("stab").unwrap(),
                name: "Krisledningsstaben".into(),
            },
        )
        .await
        .unwrap();
    let people = vec![person_of(&app, "member@lillby.se").await];
    app.store
        .create_person(
            &Actor::system(),
            app.org.id,
            beredskap_core::register::PersonDraft {
                external_id: Some("4711".into()),
                name: "Bo Ek".into(),
                title: None,
                active: true,
                contact_points: vec![],
            },
        )
        .await
        .unwrap();
    app.store
        .set_group_members(&Actor::system(), app.org.id, group.id, people)
        .await
        .unwrap();

    // Members neither see nor send alerts.
    assert_eq!(page(&app, &member, "/alerts").await.0, 403);
    assert_eq!(page(&app, &member, "/alerts/new").await.0, 403);

    let (status, form) = page(&app, &lead, "/alerts/new").await;
    assert_eq!(status, 200);
    assert!(form.contains("Krisledningsstaben"));
    let csrf = hidden(&form, "csrf");
    let group_id = group.id.to_string();
    // Mistakes are all shown at once, in Swedish, each beside its field and in the
    // summary under the name the form gives it; what was typed is kept.
    let r = lead
        .post(app.url("/alerts"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("message", "Strömavbrott i kommunhuset"),
            ("severity", "critical"),
            ("people", "Ingen Alls"),
            ("options", "Ja"),
            ("step_minutes", "fem"),
            ("repeats", "11"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    for (input, summary, beside) in [
        (
            "people",
            "Personer: ”Ingen Alls” finns inte i registret",
            "”Ingen Alls” finns inte i registret, eller passar in på flera personer; måste ange minst en person, grupp eller funktion",
        ),
        (
            "options",
            "Svarsalternativ: måste vara tomt (kvittera) eller 2 till 6 svar",
            "måste vara tomt (kvittera) eller 2 till 6 svar",
        ),
        ("step_minutes", "måste vara ett heltal", "måste vara ett heltal"),
        ("repeats", "måste vara 0 till 10", "måste vara 0 till 10"),
    ] {
        assert!(html.contains(summary), "{input} in the summary: {html}");
        assert!(
            html.contains(&format!(r#"<p class="field-error" id="{input}-error">{beside}</p>"#)),
            "{input} beside its field: {html}"
        );
        assert!(
            html.contains(&format!(r##"<a href="#{input}">"##)),
            "the summary links to {input}"
        );
        let field = html.split(&format!(r#"id="{input}""#)).nth(1).unwrap();
        let field = field.split('>').next().unwrap();
        assert!(field.contains(r#"aria-invalid="true""#), "{input}: {field}");
        assert!(field.contains(&format!("{input}-error")), "{input}: {field}");
    }
    for english in ["must ", "is not", "whole number", "register"] {
        assert!(
            !html.contains(english),
            "English on a Swedish page: {english}"
        );
    }
    assert!(html.contains("value=\"Ingen Alls\""), "kept: {html}");
    assert!(html.contains("value=\"fem\""), "kept: {html}");
    assert!(html.contains(">Strömavbrott i kommunhuset</textarea>"));

    let r = lead
        .post(app.url("/alerts"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("message", "Strömavbrott i kommunhuset. Kan du komma?"),
            ("severity", "critical"),
            ("group", group_id.as_str()),
            ("people", "4711"),
            ("options", "Ja, Nej"),
            ("exercise", "on"),
            ("step_minutes", "5"),
            ("repeats", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let alert_page = location(&r);
    assert!(alert_page.starts_with("/alerts/"));
    let (_, html) = page(&app, &lead, &alert_page).await;
    assert!(html.contains("ÖVNING"));
    assert!(html.contains("0 av 2 har svarat"), "{html}");
    assert!(
        html.contains("Ja 0 · Nej 0 · inget svar 2"),
        "the poll's tally: {html}"
    );
    assert!(html.contains("Bo Ek"), "named by employee number: {html}");
    assert!(html.contains("Väntar"), "nothing handed over yet: {html}");

    // The member sees the alert first thing and answers with one press.
    let (_, home) = page(&app, &member, "/").await;
    assert!(home.contains("Larm till dig"));
    assert!(home.contains("Strömavbrott i kommunhuset. Kan du komma?"));
    let id = alert_page.trim_start_matches("/alerts/");
    let r = member
        .post(app.url(&format!("/alerts/{id}/answer")))
        .form(&[("csrf", hidden(&home, "csrf").as_str()), ("answer", "Ja")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, home) = page(&app, &member, "/").await;
    assert!(
        !home.contains("Larm till dig"),
        "answered: gone from the start page"
    );

    let (_, roster) = page(&app, &lead, &format!("{alert_page}/roster")).await;
    assert!(roster.contains("1 av 2 har svarat"), "{roster}");
    assert!(roster.contains("Ja 1 · Nej 0 · inget svar 1"), "{roster}");
    // Why each is on it and how they answered, in words, not codes.
    assert!(roster.contains("<td>i gruppen "), "{roster}");
    assert!(roster.contains("<td>vald som mottagare</td>"), "{roster}");
    assert!(roster.contains("<td>i appen</td>"), "{roster}");
    assert!(!roster.contains("group:"), "{roster}");
    assert!(roster.contains("<td>Ja</td>"));
    // The roster's readiness report, refreshed with it: the one who was not handed anything
    // yet is not reached; nobody reached is called not reached.
    assert!(roster.contains("Beredskapsrapport"), "{roster}");
    assert!(!roster.contains("Nådda men har inte svarat"), "{roster}");
    // The lead's start page: the alert with its tally, and the button to send another; the
    // member's has neither.
    let (_, start) = page(&app, &lead, "/").await;
    assert!(
        start.contains("<h2 id=\"following\">Pågående larm</h2>"),
        "{start}"
    );
    assert!(
        start.contains(&format!("<a href=\"{alert_page}\">"))
            && start.contains("<strong class=\"tally\">Ja 1 · Nej 0 · inget svar 1</strong>"),
        "{start}"
    );
    assert!(start.contains("<a class=\"button\" href=\"/alerts/new\">Skicka larm</a>"));
    let (_, home) = page(&app, &member, "/").await;
    assert!(!home.contains("id=\"following\"") && !home.contains("href=\"/alerts/new\""));
    let r = lead
        .get(app.url(&format!("{alert_page}/roster.csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains(",answered,Ja,web,"));
    let (_, list) = page(&app, &lead, "/alerts").await;
    assert!(list.contains(&alert_page));

    // Closing: the page says so and offers no more buttons.
    let r = lead
        .post(app.url(&format!("{alert_page}/close")))
        .form(&[("csrf", csrf.as_str()), ("status", "cancelled")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, html) = page(&app, &lead, &alert_page).await;
    assert!(html.contains("Återkallat"));
    assert!(!html.contains("/close"));
    let (_, english) = page(&app, &lead, &format!("{alert_page}?lang=en")).await;
    assert!(english.contains("1 of 2 have answered"), "{english}");
    assert!(english.contains("EXERCISE"));
}

/// An alert to thousands is planned in parts: until the last part is written, the roster
/// says how many are still to be planned (the first messages are already out), and the API
/// gives the same number. Then the roster shows a hundred at a time, the API a page with
/// the figures of all, and the CSV everyone.
#[tokio::test]
async fn the_roster_of_thousands_shows_planning_and_pages() {
    let app = TestApp::spawn().await;
    let lead = signed_in(&app, "lead@lillby.se", Role::CrisisLead).await;
    let people: Vec<(String, Vec<beredskap_core::register::ContactPoint>)> = (0..1_500)
        .map(|i| (format!("Student {i}"), Vec::new()))
        .collect();
    let alla =
        beredskap_store::testing::seed_register(&app.database_url(), app.org.id, "alla", &people)
            .await
            .unwrap();
    let alert = app
        .store
        .create_alert(
            &Actor::system(),
            app.org.id,
            beredskap_core::alerting::AlertInput {
                recipients: beredskap_core::alerting::Recipients {
                    groups: vec![alla],
                    ..Default::default()
                },
                ..crate::helpers::alert_to(vec![], "Vattnet är otjänligt", &[], false)
            }
            .validate(None)
            .unwrap(),
            beredskap_core::journal::now(),
        )
        .await
        .unwrap();
    let roster_page = format!("/alerts/{}/roster", alert.id);
    let (_, roster) = page(&app, &lead, &roster_page).await;
    assert!(
        roster.contains("500 av 1500 mottagare har ännu inte fått sina steg"),
        "{roster}"
    );
    let api: serde_json::Value = app
        .client
        .get(app.url(&format!("/api/v1/orgs/lillby/alerts/{}", alert.id)))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api["alert"]["unplanned"], 500);
    while app.store.plan_alerts(200).await.unwrap() > 0 {}
    let (_, roster) = page(&app, &lead, &roster_page).await;
    assert!(!roster.contains("ännu inte fått sina steg"), "{roster}");
    assert!(roster.contains("0 av 1500 har svarat"), "{roster}");
    // A page of 100 at a time, with the way to the next; the readiness lists are cut
    // with how many more there are.
    let rows = |html: &str| html.matches("<th scope=\"row\">").count();
    assert_eq!(rows(&roster), 100);
    assert!(roster.contains("Sida 1 av 15"), "{roster}");
    assert!(roster.contains("href=\"?page=2\" rel=\"next\""), "{roster}");
    assert!(roster.contains("… och 1480 till"), "{roster}");
    // A mistyped address shows the first page of everyone, not an error.
    let (_, typo) = page(&app, &lead, &format!("{roster_page}?page=x&state=nonsense")).await;
    assert!(typo.contains("Sida 1 av 15"), "{typo}");
    // A page past the end (an old address, or a state whose count fell while the page
    // refreshed) shows the last page, not an empty list under the counts.
    let (status, beyond) = page(&app, &lead, &format!("{roster_page}?page=4294967295")).await;
    assert_eq!(status, 200);
    assert_eq!(rows(&beyond), 100);
    assert!(beyond.contains("Sida 15 av 15"), "{beyond}");
    let (_, last) = page(&app, &lead, &format!("{roster_page}?page=15")).await;
    assert_eq!(rows(&last), 100);
    assert!(last.contains("Sida 15 av 15"), "{last}");
    assert!(!last.contains("rel=\"next\""), "{last}");
    // The alert's page asks its script to fetch the same page again.
    let (_, alert_page) = page(&app, &lead, &format!("/alerts/{}?page=3", alert.id)).await;
    assert!(
        alert_page.contains(&format!("data-src=\"/alerts/{}/roster?page=3\"", alert.id)),
        "{alert_page}"
    );
    // The API: a page, and how many in each state.
    let api_get = |query: &str| {
        app.client
            .get(app.url(&format!("/api/v1/orgs/lillby/alerts/{}?{query}", alert.id)))
            .bearer_auth(&app.admin_token)
            .send()
    };
    let api: serde_json::Value = api_get("state=unreachable&offset=1490&limit=50")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api["recipients"], 1500);
    assert_eq!(api["states"][0]["state"], "unreachable");
    assert_eq!(api["states"][0]["recipients"], 1500);
    assert_eq!(api["roster"].as_array().unwrap().len(), 10);
    // More than a page may hold is refused, naming the parameter.
    let refused = api_get("limit=1001").await.unwrap();
    assert_eq!(refused.status(), 422);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["fields"][0]["field"], "limit", "{body}");
    // The CSV holds everyone once, streamed a part at a time.
    let csv = lead
        .get(app.url(&format!("/alerts/{}/roster.csv", alert.id)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let ids: std::collections::HashSet<&str> = csv
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect();
    assert_eq!((csv.lines().count(), ids.len()), (1501, 1500));
}

/// Pages show times on the organisation's clock, with the zone, summer time included; an
/// administrator moves the clock with the settings form, and a contact check's deadline is
/// the end of the chosen day there.
#[tokio::test]
async fn times_are_shown_on_the_organisations_clock() {
    let app = TestApp::spawn().await;
    let lead = signed_in(&app, "lead@lillby.se", Role::CrisisLead).await;
    let admin = signed_in(&app, "chef@lillby.se", Role::Admin).await;
    let anna = person_of(&app, "lead@lillby.se").await;
    let midsummer = chrono::DateTime::parse_from_rfc3339("2026-06-19T10:00:00Z")
        .unwrap()
        .to_utc();
    app.store
        .create_alert(
            &Actor::system(),
            app.org.id,
            crate::helpers::alert_to(vec![anna], "Övning", &[], true)
                .validate(None)
                .unwrap(),
            midsummer,
        )
        .await
        .unwrap();
    let (_, list) = page(&app, &lead, "/alerts").await;
    assert!(list.contains("2026-06-19 12:00 CEST"), "{list}");
    assert!(!list.contains("UTC"), "{list}");

    // The administrator moves the organisation to Helsinki.
    let (_, form) = page(&app, &admin, "/admin/settings").await;
    assert!(form.contains("Regionens (Europe/Stockholm)"), "{form}");
    let r = admin
        .post(app.url("/admin/settings"))
        .form(&[
            ("csrf", hidden(&form, "csrf").as_str()),
            ("members_need_second_factor", "on"),
            ("time_zone", "Europe/Helsinki"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, list) = page(&app, &lead, "/alerts").await;
    assert!(list.contains("2026-06-19 13:00 EEST"), "{list}");
    // A made-up zone is refused and changes nothing.
    let r = admin
        .post(app.url("/admin/settings"))
        .form(&[
            ("csrf", hidden(&form, "csrf").as_str()),
            ("members_need_second_factor", "on"),
            ("time_zone", "Europe/Lillby"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let org = app.store.org(app.org.id).await.unwrap().unwrap();
    assert_eq!(org.zone().name(), "Europe/Helsinki");
    assert!(app
        .journal_kinds()
        .await
        .contains(&"org.settings_changed".to_owned()));

    // A contact check until a day ends at 23:59 in Helsinki, not in UTC.
    let group = app
        .store
        .create_group(
            &Actor::system(),
            app.org.id,
            NewGroup {
                slug: Slug::parse("alla").unwrap(),
                name: "Alla".into(),
            },
        )
        .await
        .unwrap();
    app.store
        .set_group_members(&Actor::system(), app.org.id, group.id, vec![anna])
        .await
        .unwrap();
    let day = org.zone().today(app.now()) + chrono::Duration::days(3);
    let (_, alerts) = page(&app, &lead, "/alerts").await;
    let r = lead
        .post(app.url("/contact-checks"))
        .form(&[
            ("csrf", hidden(&alerts, "csrf").as_str()),
            ("group", &group.id.to_string()),
            ("deadline", &day.format("%Y-%m-%d").to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let id = location(&r).trim_start_matches("/alerts/").to_owned();
    let check = app.store.alert_by_id(id.parse().unwrap()).await.unwrap();
    let deadline = org.zone().local(check.contact_check_until.unwrap());
    assert_eq!(
        deadline.format("%Y-%m-%d %H:%M").to_string(),
        format!("{} 23:59", day.format("%Y-%m-%d"))
    );
}

/// A crisis lead writes an alert ahead as a template and later sends it in two taps: the
/// template's page (whom it reaches, on which channels) and its Send button.
#[tokio::test]
async fn a_template_is_saved_from_the_form_and_sent_in_two_taps() {
    let app = TestApp::spawn().await;
    let lead = signed_in(&app, "lead@lillby.se", Role::CrisisLead).await;
    let member = signed_in(&app, "member@lillby.se", Role::Member).await;
    let bo = app
        .person(
            "Bo Ek",
            vec![crate::helpers::point(
                beredskap_core::register::ContactKind::Sms,
                "+46701000041",
            )],
        )
        .await;
    let group = app
        .store
        .create_group(
            &Actor::system(),
            app.org.id,
            NewGroup {
                slug: Slug::parse("stab").unwrap(),
                name: "Krisledningsstaben".into(),
            },
        )
        .await
        .unwrap();
    let member_person = person_of(&app, "member@lillby.se").await;
    let cilla = app.person("Cilla Ek", vec![]).await;
    app.store
        .set_group_members(
            &Actor::system(),
            app.org.id,
            group.id,
            vec![bo, member_person, cilla],
        )
        .await
        .unwrap();
    let group_id = group.id.to_string();

    let (_, form) = page(&app, &lead, "/alerts/new").await;
    assert!(form.contains("Spara som mall"), "{form}");
    let csrf = hidden(&form, "csrf");
    // Saving without a name says so at the name, and keeps what was typed.
    let r = lead
        .post(app.url("/alerts/templates"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("message", "IT-avbrott. Samling i stabsrummet."),
            ("severity", "critical"),
            ("group", group_id.as_str()),
            ("options", "Ja, Nej"),
            ("step_minutes", "5"),
            ("repeats", "0"),
            ("template_name", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(r##"<a href="#template_name">Mallens namn: "##),
        "{html}"
    );
    assert!(html.contains(">IT-avbrott. Samling i stabsrummet.</textarea>"));

    let save = |name: &'static str, extra: Vec<(&'static str, String)>| {
        let mut fields: Vec<(&str, String)> = vec![
            ("csrf", csrf.clone()),
            ("message", "IT-avbrott. Samling i stabsrummet.".into()),
            ("severity", "critical".into()),
            ("group", group_id.clone()),
            ("options", "Ja, Nej".into()),
            ("step_minutes", "5".into()),
            ("repeats", "0".into()),
            ("template_name", name.into()),
        ];
        fields.extend(extra);
        lead.post(app.url("/alerts/templates")).form(&fields).send()
    };
    let r = save("IT-avbrott", vec![]).await.unwrap();
    assert_eq!(r.status(), 303);
    let at = location(&r);
    assert!(at.starts_with("/alerts/templates/"), "{at}");
    let id = at.trim_start_matches("/alerts/templates/").to_owned();
    assert!(app
        .store
        .list_alerts(app.org.id, 10)
        .await
        .unwrap()
        .is_empty());
    // The same name again is refused at the name.
    let r = save("it-avbrott", vec![]).await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains(r#"id="template_name-error""#));

    // It is on the alerts page and the start page, one tap from its preview.
    for path in ["/alerts", "/"] {
        let (_, html) = page(&app, &lead, path).await;
        assert!(
            html.contains(&format!(
                r#"<a href="/alerts/templates/{id}">IT-avbrott</a>"#
            )),
            "{path}: {html}"
        );
    }
    let (_, start) = page(&app, &member, "/").await;
    assert!(!start.contains("/alerts/templates/"), "a member sees none");
    assert_eq!(page(&app, &member, &at).await.0, 403);

    // First tap: whom it reaches, on which channels, and who cannot be reached.
    let (status, preview) = page(&app, &lead, &at).await;
    assert_eq!(status, 200);
    assert!(preview.contains("3 personer larmas"), "{preview}");
    assert!(preview.contains("<li>sms: 1 person</li>"), "{preview}");
    assert!(preview.contains("<li>e-post: 1 person</li>"), "{preview}");
    assert!(preview.contains("<li>Krisledningsstaben</li>"));
    assert!(
        preview.contains(
            "<strong>Kan inte nås (saknar mobilnummer, e-post och app):</strong> Cilla Ek"
        ),
        "{preview}"
    );
    assert_eq!(hidden(&preview, "version"), "1");

    // Changed in the form meanwhile: the form opens filled in with the template.
    let (_, edit) = page(&app, &lead, &format!("/alerts/new?template={id}")).await;
    assert!(edit.contains(">IT-avbrott. Samling i stabsrummet.</textarea>"));
    assert!(edit.contains("Spara ändringarna i mallen"));
    assert_eq!(hidden(&edit, "template"), id);
    let r = lead
        .post(app.url("/alerts/templates"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("template", id.as_str()),
            ("version", "1"),
            ("message", "Strömavbrott. Samling i stabsrummet."),
            ("severity", "critical"),
            ("group", group_id.as_str()),
            ("options", "Ja, Nej"),
            ("step_minutes", "5"),
            ("repeats", "0"),
            ("template_name", "IT-avbrott"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), at);

    // Second tap on the old preview: nothing goes out, and the page says why.
    let r = lead
        .post(app.url(&format!("{at}/send")))
        .form(&[("csrf", csrf.as_str()), ("version", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Mallen har ändrats sedan du öppnade den"),
        "{html}"
    );
    assert!(html.contains("Strömavbrott. Samling i stabsrummet."));
    assert!(app
        .store
        .list_alerts(app.org.id, 10)
        .await
        .unwrap()
        .is_empty());
    // A member cannot send it.
    let r = member
        .post(app.url(&format!("{at}/send")))
        .form(&[("csrf", csrf.as_str()), ("version", "2")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    let r = lead
        .post(app.url(&format!("{at}/send")))
        .form(&[("csrf", csrf.as_str()), ("version", "2")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/alerts/"));
    let sent = app.store.list_alerts(app.org.id, 10).await.unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].alert.message,
        "Strömavbrott. Samling i stabsrummet."
    );
    assert_eq!(sent[0].recipients, 3);

    let r = lead
        .post(app.url(&format!("{at}/delete")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(page(&app, &lead, &at).await.0, 404);
}
