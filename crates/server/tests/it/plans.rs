//! Continuity plans in the pages: reading a plan with its action cards, editing it with
//! problems named at their card and line, approving a version, the plan as a file and
//! importing one with its problems by line.

use crate::helpers::TestApp;
use crate::web::{hidden, location, page, signed_in};
use beredskap_core::register::{NewPosition, Role};
use beredskap_core::{Actor, Slug};

const PLAN: &str = "title: E-posten fungerar inte
summary: |
  När e-posten inte fungerar in eller ut.
activation:
  criteria:
    - E-post har inte fungerat på två timmar.
alarm:
  positions: [tib]
  message: E-posten ligger nere.
  severity: warning
action_cards:
  - position: tib
    duties: Leder arbetet.
    tasks:
      - after_minutes: 0
        task: Ring IT-beredskapen.
      - after_minutes: 30
        task: Kontakta länsstyrelsen.
        at_least: critical
";

async fn with_plan(app: &TestApp) -> String {
    app.store
        .create_position(
            &Actor::cli("test"),
            app.org.id,
            NewPosition {
                slug: Slug::parse("tib").unwrap(),
                name: "Tjänsteperson i beredskap".into(),
            },
        )
        .await
        .unwrap();
    beredskap_app::plans::import_yaml(
        &app.use_cases(),
        &beredskap_app::Caller::Operator(Actor::cli("test")),
        &app.org,
        &Slug::parse("e-post").unwrap(),
        PLAN,
    )
    .await
    .unwrap()
    .id
    .to_string()
}

async fn post(
    app: &TestApp,
    b: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    b.post(app.url(path)).form(form).send().await.unwrap()
}

#[tokio::test]
async fn members_read_a_plan_and_crisis_leads_edit_and_approve_it() {
    let app = TestApp::spawn().await;
    let id = with_plan(&app).await;
    let member = signed_in(&app, "mikael@lillby.se", Role::Member).await;
    let (status, html) = page(&app, &member, "/plans").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("E-posten fungerar inte") && html.contains("Inte godkänd"),
        "{html}"
    );
    let (status, html) = page(&app, &member, &format!("/plans/{id}")).await;
    assert_eq!(status, 200);
    for shown in [
        "Åtgärdskort",
        "Tjänsteperson i beredskap",
        "<strong>Direkt</strong>: Ring IT-beredskapen.",
        "<strong>Efter 30 min</strong>: Kontakta länsstyrelsen.",
        "endast vid Kritiskt",
        "E-post har inte fungerat på två timmar.",
        "Version 1 sparad",
    ] {
        assert!(html.contains(shown), "{shown}: {html}");
    }
    assert!(!html.contains("/edit\""), "a member cannot edit: {html}");
    assert!(!html.contains("Godkänn version"), "{html}");
    // The file is the plan, to keep and import again.
    let r = member
        .get(app.url(&format!("/plans/{id}/plan.yaml")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("e-post-v1.yaml"));
    let yaml = r.text().await.unwrap();
    assert!(yaml.contains("Kontakta länsstyrelsen."), "{yaml}");

    let lead = signed_in(&app, "erik@lillby.se", Role::CrisisLead).await;
    let (status, html) = page(&app, &lead, &format!("/plans/{id}/edit")).await;
    assert_eq!(status, 200);
    let csrf = hidden(&html, "csrf");
    assert!(
        html.contains("0 | Ring IT-beredskapen."),
        "tasks one a line: {html}"
    );
    // A task line whose minutes are not a number is named at its card and line; what was
    // typed stays.
    let tasks = "0 | Ring IT-beredskapen.\nsnart | Ring länsstyrelsen";
    let form = [
        ("csrf", csrf.as_str()),
        ("version", "1"),
        ("title", "E-posten fungerar inte"),
        ("alarm_positions", "tib"),
        ("alarm_message", "E-posten ligger nere."),
        ("alarm_severity", "warning"),
        ("review_months", "12"),
        ("card-0-position", "tib"),
        ("card-0-duties", "Leder arbetet."),
        ("card-0-tasks", tasks),
    ];
    // With a review interval out of range too: both are shown at once.
    let mut first = form;
    first[6] = ("review_months", "0");
    let r = post(&app, &lead, &format!("/plans/{id}/edit"), &first).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("href=\"#card-0-tasks\">Åtgärdskort 1, Uppgifter (rad 2)"),
        "{html}"
    );
    assert!(
        html.contains("href=\"#review_months\">Månader mellan granskningar"),
        "{html}"
    );
    assert!(
        html.contains("snart | Ring länsstyrelsen</textarea>"),
        "kept: {html}"
    );
    // A position the organisation does not have is named too.
    let mut bad = form;
    bad[7] = ("card-0-position", "brandchef");
    bad[9] = ("card-0-tasks", "0 | Ring");
    let r = post(&app, &lead, &format!("/plans/{id}/edit"), &bad).await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("är inte en funktion i organisationen"));
    // Fixed, it is saved as version 2.
    let mut good = form;
    good[9] = (
        "card-0-tasks",
        "0 | Ring IT-beredskapen.\n20 | Ring länsstyrelsen | critical",
    );
    let r = post(&app, &lead, &format!("/plans/{id}/edit"), &good).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), format!("/plans/{id}"));
    let (_, html) = page(&app, &lead, &format!("/plans/{id}")).await;
    assert!(
        html.contains("Version 2 sparad") && html.contains("av Anna Berg"),
        "{html}"
    );
    assert!(
        html.contains("<strong>Efter 20 min</strong>: Ring länsstyrelsen"),
        "{html}"
    );
    // Someone who opened version 1 cannot save over version 2.
    let r = post(&app, &lead, &format!("/plans/{id}/edit"), &good).await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("har ändrats av någon annan"));
    // Approving records who, when and which version, with the review date.
    assert!(html.contains("Godkänn version 2"), "{html}");
    let r = post(
        &app,
        &lead,
        &format!("/plans/{id}/approve"),
        &[("csrf", &csrf), ("version", "1")],
    )
    .await;
    assert_eq!(r.status(), 409, "an older version is not approved");
    let r = post(
        &app,
        &lead,
        &format!("/plans/{id}/approve"),
        &[("csrf", &csrf), ("version", "2")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, html) = page(&app, &member, &format!("/plans/{id}")).await;
    assert!(
        html.contains("Godkänd version 2") && html.contains("av Anna Berg"),
        "{html}"
    );
    assert!(html.contains("Granskas senast 2027-"), "{html}");
    let journal = app.store.journal_page(app.org.id, 0, 500).await.unwrap();
    let approved = journal.iter().find(|e| e.kind == "plan.approved").unwrap();
    assert!(
        approved.payload.contains("\"version\":2"),
        "{}",
        approved.payload
    );
    // Members neither edit nor approve; guests see no plans.
    let (_, html) = page(&app, &member, "/plans").await;
    let member_csrf = hidden(&html, "csrf");
    assert_eq!(
        page(&app, &member, &format!("/plans/{id}/edit")).await.0,
        403
    );
    let r = post(
        &app,
        &member,
        &format!("/plans/{id}/approve"),
        &[("csrf", &member_csrf), ("version", "2")],
    )
    .await;
    assert_eq!(r.status(), 403);
    let guest = signed_in(&app, "gast@partner.example", Role::Guest).await;
    assert_eq!(page(&app, &guest, "/plans").await.0, 403);
    assert_eq!(page(&app, &guest, &format!("/plans/{id}")).await.0, 403);
}

#[tokio::test]
async fn a_new_plan_gets_a_slug_from_its_title_and_an_imported_file_shows_its_problems_by_line() {
    let app = TestApp::spawn().await;
    with_plan(&app).await;
    let lead = signed_in(&app, "erik@lillby.se", Role::CrisisLead).await;
    let (_, html) = page(&app, &lead, "/plans/new").await;
    let csrf = hidden(&html, "csrf");
    let r = post(
        &app,
        &lead,
        "/plans/new",
        &[
            ("csrf", &csrf),
            ("title", "Vatten i serverhallen"),
            ("alarm_severity", "critical"),
            ("review_months", "6"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let plan = app
        .store
        .plan_by_slug(app.org.id, &Slug::parse("vatten-i-serverhallen").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(plan.document.review_months, 6);

    // A file with mistakes: nothing is imported, every problem is named with its line.
    let yaml =
        "title: Telefonin\nalarm:\n  positions: [brandchef]\n  message: Ring\n  severity: akut\n";
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .text("slug", "telefoni")
        .part(
            "file",
            reqwest::multipart::Part::bytes(yaml.as_bytes().to_vec()).file_name("telefoni.yaml"),
        );
    let r = lead
        .post(app.url("/plans/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Rad 3: alarm.positions[0] är inte en funktion"),
        "{html}"
    );
    assert!(html.contains("Rad 5: alarm.severity"), "{html}");
    assert!(app
        .store
        .plan_by_slug(app.org.id, &Slug::parse("telefoni").unwrap())
        .await
        .unwrap()
        .is_none());
    // A good file is imported under the file's name.
    let form = reqwest::multipart::Form::new().text("csrf", csrf).part(
        "file",
        reqwest::multipart::Part::bytes(PLAN.as_bytes().to_vec()).file_name("epost-nere.yaml"),
    );
    let r = lead
        .post(app.url("/plans/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(app
        .store
        .plan_by_slug(app.org.id, &Slug::parse("epost-nere").unwrap())
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn the_api_reads_plans_and_gives_a_version_as_yaml() {
    let app = TestApp::spawn().await;
    let id = with_plan(&app).await;
    let member = app.token_for(Role::Member, "mikael@lillby.se").await;
    let r = app.get("/api/v1/orgs/lillby/plans", &member).await;
    let plans = crate::helpers::expect_json(r, 200).await;
    assert_eq!(plans[0]["slug"], "e-post");
    assert_eq!(plans[0]["version"], 1);
    assert_eq!(
        plans[0]["document"]["action_cards"][0]["tasks"][1]["at_least"],
        "critical"
    );
    assert!(plans[0]["approval"].is_null());
    let r = app
        .get(
            &format!("/api/v1/orgs/lillby/plans/{id}/plan.yaml?version=1"),
            &member,
        )
        .await;
    assert_eq!(r.status(), 200);
    let yaml = r.text().await.unwrap();
    assert!(yaml.contains("title: E-posten fungerar inte"), "{yaml}");
    let r = app
        .get(
            &format!("/api/v1/orgs/lillby/plans/{id}/plan.yaml?version=7"),
            &member,
        )
        .await;
    assert_eq!(r.status(), 404);
}
