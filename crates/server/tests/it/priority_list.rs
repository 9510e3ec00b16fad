//! The priority list in the pages and the API: an administrator imports it and names who
//! opens it without seeing it; a holder of the named position opens it (journaled), makes
//! an incident's calls and records what came of them; the lead starts them and sees them
//! counted; nobody else sees a name.

use crate::helpers::{expect_json, TestApp};
use crate::web::{hidden, location, page, signed_in};
use beredskap_core::register::{NewPosition, Role};
use beredskap_core::{Actor, Slug};

const LIST: &str = "name,address,phone,need,contact_person\n\
    Astrid Holm,Storgatan 12,070-174 06 94,Trygghetslarm,Lars Holm (son)\n\
    Gösta Ek,Byvägen 3,,Syrgas i hemmet,\n";

async fn upload(app: &TestApp, b: &reqwest::Client, csrf: &str, csv: &str) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(csv.as_bytes().to_vec())
                .file_name("prioritet.csv")
                .mime_str("text/csv")
                .unwrap(),
        );
    b.post(app.url("/priority-list/import"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_administrator_imports_a_holder_opens_and_calls_and_the_lead_sees_them_counted() {
    let app = TestApp::spawn().await;
    let admin = signed_in(&app, "sara@lillby.se", Role::Admin).await;
    let member = signed_in(&app, "mikael@lillby.se", Role::Member).await;
    let lead = signed_in(&app, "erik@lillby.se", Role::CrisisLead).await;
    let actor = Actor::cli("test");
    let position = app
        .store
        .create_position(
            &actor,
            app.org.id,
            NewPosition {
                slug: Slug::parse("hemtjanst").unwrap(),
                name: "Enhetschef hemtjänst".into(),
            },
        )
        .await
        .unwrap();
    let holder = app.account("mikael@lillby.se").await.person_id;
    app.store
        .set_position_holders(&actor, app.org.id, position.id, vec![holder])
        .await
        .unwrap();

    // The administrator: a bad file is refused by line and column, in Swedish, with
    // nothing applied; a good one replaces the list, which they still do not see.
    let (status, html) = page(&app, &admin, "/priority-list").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Ingen lista inläst ännu."), "{html}");
    let csrf = hidden(&html, "csrf");
    let r = upload(
        &app,
        &admin,
        &csrf,
        "name,address,need,personnummer\nA,B,C,1\n",
    )
    .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("Filen importerades inte"), "{html}");
    assert!(html.contains("Rad 1: personnummer"), "{html}");
    let r = upload(&app, &admin, &csrf, LIST).await;
    assert_eq!(r.status(), 303);
    let (_, html) = page(&app, &admin, "/priority-list").await;
    assert!(html.contains("2 personer på listan."), "{html}");
    assert!(
        !html.contains("Astrid"),
        "an administrator does not see who: {html}"
    );
    // …and names the position that opens it.
    let r = admin
        .post(app.url("/priority-list/access"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("positions", &position.id.to_string()),
            ("calls_days", "14"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, html) = page(&app, &admin, "/priority-list").await;
    assert!(html.contains("checked"), "{html}");

    // The holder opens it, with each number to call; the opening is journaled.
    let before = app.store.journal_head(app.org.id).await.unwrap().0;
    let (status, html) = page(&app, &member, "/priority-list").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Astrid Holm") && html.contains("href=\"tel:+46701740694\""),
        "{html}"
    );
    assert!(html.contains("Inget nummer – besök"), "{html}");
    let journal = app
        .store
        .journal_page(app.org.id, before, 10)
        .await
        .unwrap();
    assert!(journal.iter().any(|e| e.kind == "priority_list.opened"));
    // The lead holds no named position: refused, and no link to it in the directory.
    assert_eq!(page(&app, &lead, "/priority-list").await.0, 403);
    let (_, directory) = page(&app, &lead, "/directory").await;
    assert!(!directory.contains("href=\"/priority-list\""));
    let (_, directory) = page(&app, &member, "/directory").await;
    assert!(directory.contains("href=\"/priority-list\""));

    // An incident: the lead starts the calls and sees them counted, not named.
    let incident = beredskap_app::incidents::activate(
        &app.use_cases(),
        &beredskap_app::Caller::Operator(actor.clone()),
        &app.org,
        beredskap_app::incidents::Activation {
            plan: beredskap_app::plans::import_yaml(
                &app.use_cases(),
                &beredskap_app::Caller::Operator(actor.clone()),
                &app.org,
                &Slug::parse("it-avbrott").unwrap(),
                "title: Totalt IT-avbrott\n",
            )
            .await
            .unwrap()
            .id,
            severity: beredskap_core::alerting::Severity::Warning,
            exercise: true,
            via: beredskap_core::continuity::incidents::Via::Cli,
            on_behalf_of: Some(app.account("erik@lillby.se").await.id),
        },
    )
    .await
    .unwrap();
    let path = format!("/incidents/{}", incident.id);
    let (_, html) = page(&app, &lead, &path).await;
    assert!(html.contains("Börja ringa prioritetslistan"), "{html}");
    let r = lead
        .post(app.url(&format!("{path}/calls/start")))
        .form(&[("csrf", csrf_of(&html).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, html) = page(&app, &lead, &path).await;
    assert!(html.contains("0 av 2 ringda"), "{html}");
    assert!(!html.contains("Öppna samtalslistan") && !html.contains("Astrid"));
    assert_eq!(page(&app, &lead, &format!("{path}/calls")).await.0, 403);

    // The holder calls: not reached first, then handed to home care with a note.
    let (status, html) = page(&app, &member, &format!("{path}/calls")).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Astrid Holm") && html.contains("Att ringa"),
        "{html}"
    );
    let call = html
        .split("id=\"call-")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let csrf = csrf_of(&html);
    for (outcome, note) in [
        ("not_reached", ""),
        ("escalated", "Svarar inte, larmet tyst"),
    ] {
        let r = member
            .post(app.url(&format!("{path}/calls/{call}")))
            .form(&[
                ("csrf", csrf.as_str()),
                ("outcome", outcome),
                ("note", note),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert!(location(&r).ends_with(&format!("#call-{call}")));
    }
    let (_, html) = page(&app, &member, &format!("{path}/calls")).await;
    let escalated = html.split("id=\"escalated\"").nth(1).unwrap();
    assert!(
        escalated.contains("Astrid Holm")
            && escalated.contains("larmet tyst")
            && escalated.contains("2 försök"),
        "{html}"
    );
    // No outcome chosen: refused by field.
    let r = member
        .post(app.url(&format!("{path}/calls/{call}")))
        .form(&[("csrf", csrf.as_str()), ("outcome", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let (_, html) = page(&app, &lead, &path).await;
    assert!(
        html.contains("1 av 2 ringda: 0 nådda, 0 ej nådda, 1 till hemtjänsten"),
        "{html}"
    );
    assert!(
        html.contains("14 dagar efter att händelsen avslutats"),
        "{html}"
    );

    // The after-action report counts them too, without a name.
    let (_, report) = page(&app, &lead, &format!("{path}/after-action")).await;
    assert!(
        report.contains("Prioriterade samtal") && report.contains("1 av 2 ringda"),
        "{report}"
    );
    assert!(!report.contains("Astrid"));

    // The API: the same rule.
    let admin_token = app.admin_token.clone();
    let r = app
        .get("/api/v1/orgs/lillby/priority-list", &admin_token)
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .get(
            &format!("/api/v1/orgs/lillby/incidents/{}", incident.id),
            &admin_token,
        )
        .await;
    let sheet = expect_json(r, 200).await;
    assert_eq!(sheet["priority_calls"]["escalated"], 1);
    assert_eq!(sheet["priority_calls"]["total"], 2);
}

fn csrf_of(html: &str) -> String {
    hidden(html, "csrf")
}
