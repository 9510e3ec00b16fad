//! The overview of what is affected: the services page, its one-tap state changes and
//! forms, and the same in the API.

use crate::helpers::{error_fields, expect_json, TestApp};
use crate::web::{hidden, location, page, signed_in};
use beredskap_core::continuity::services::ServiceInput;
use beredskap_core::register::Role;
use beredskap_core::{Actor, ServiceId};

async fn add(app: &TestApp, name: &str, alternative: &str) -> ServiceId {
    beredskap_app::services::add_service(
        &app.use_cases(),
        &beredskap_app::Caller::Operator(Actor::cli("test")),
        &app.org,
        &ServiceInput {
            name: name.into(),
            owner: Some("IT-avdelningen".into()),
            alternative: Some(alternative.into()),
        },
    )
    .await
    .unwrap()
    .id
}

async fn post_form(
    app: &TestApp,
    b: &reqwest::Client,
    csrf: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = vec![("csrf", csrf)];
    form.extend_from_slice(fields);
    b.post(app.url(path)).form(&form).send().await.unwrap()
}

#[tokio::test]
async fn a_crisis_lead_sets_a_state_with_one_tap_and_everyone_sees_the_most_severe_first() {
    let app = TestApp::spawn().await;
    add(&app, "Telefoni", "Tjänstemobiler").await;
    let epost = add(&app, "E-post", "Ring i stället").await;
    let member = signed_in(&app, "mikael@lillby.se", Role::Member).await;
    let (status, html) = page(&app, &member, "/services").await;
    assert_eq!(status, 200);
    assert!(html.contains("Tjänsternas läge"), "{html}");
    assert!(
        html.contains("0 nere, 0 begränsade, 2 okända, 0 fungerar"),
        "{html}"
    );
    assert!(
        html.contains("Alternativ:</strong> Tjänstemobiler"),
        "{html}"
    );
    assert!(
        !html.contains("/status\""),
        "a member has no state buttons: {html}"
    );
    let member_csrf = hidden(&html, "csrf");
    let refused = post_form(
        &app,
        &member,
        &member_csrf,
        &format!("/services/{epost}/status"),
        &[("state", "down")],
    )
    .await;
    assert_eq!(refused.status(), 403);

    let lead = signed_in(&app, "erik@lillby.se", Role::CrisisLead).await;
    let (_, html) = page(&app, &lead, "/services").await;
    let csrf = hidden(&html, "csrf");
    // One tap: the state alone.
    let r = post_form(
        &app,
        &lead,
        &csrf,
        &format!("/services/{epost}/status"),
        &[("state", "down")],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), format!("/services#service-{epost}"));
    let (_, html) = page(&app, &member, "/services").await;
    assert!(html.contains("1 nere, 0 begränsade, 1 okänd"), "{html}");
    let first = html.find("E-post").unwrap();
    assert!(first < html.find("Telefoni").unwrap(), "down comes first");
    assert!(html.contains("state-badge state-down\">Nere"), "{html}");
    assert!(html.contains("av Anna Berg"), "who said so: {html}");

    // The service's own form describes impact and workaround; too long is refused at
    // its field with what was typed kept.
    let path = format!("/services/{epost}/status");
    let long = "x".repeat(1001);
    let r = post_form(
        &app,
        &lead,
        &csrf,
        &path,
        &[("state", "down"), ("impact", &long), ("workaround", "Ring")],
    )
    .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"impact-error\""), "{html}");
    assert!(html.contains("href=\"#impact\">Påverkan:"), "{html}");
    assert!(html.contains(">Ring</textarea>"), "kept: {html}");
    let r = post_form(
        &app,
        &lead,
        &csrf,
        &path,
        &[
            ("state", "degraded"),
            ("impact", "Bara intern e-post fungerar."),
            ("workaround", "Ring externa kontakter."),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, html) = page(&app, &member, "/services").await;
    assert!(
        html.contains("Påverkan:</strong> Bara intern e-post fungerar."),
        "{html}"
    );
    assert!(
        html.contains("Så gör vi under tiden:</strong> Ring externa kontakter."),
        "{html}"
    );
    // A tap on another state keeps the description…
    post_form(&app, &lead, &csrf, &path, &[("state", "down")]).await;
    let (_, html) = page(&app, &member, "/services").await;
    assert!(html.contains("Bara intern e-post fungerar."), "{html}");
    // …and "works" (whose button sends them empty) clears it.
    let (_, html) = page(&app, &lead, "/services").await;
    let works_button = html
        .split("</form>")
        .find(|f| f.contains(&format!("/services/{epost}/status")) && f.contains("value=\"works\""))
        .unwrap();
    assert!(
        works_button.contains("name=\"impact\" value=\"\"")
            && works_button.contains("name=\"workaround\" value=\"\""),
        "{works_button}"
    );
    post_form(
        &app,
        &lead,
        &csrf,
        &path,
        &[("state", "works"), ("impact", ""), ("workaround", "")],
    )
    .await;
    let (_, html) = page(&app, &member, "/services").await;
    assert!(!html.contains("Bara intern e-post"), "{html}");
    // A state that does not exist names the choices.
    let r = post_form(&app, &lead, &csrf, &path, &[("state", "broken")]).await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("works, degraded, down, unknown"));
    // Another organisation's service is not found.
    let r = post_form(
        &app,
        &lead,
        &csrf,
        &format!("/services/{}/status", ServiceId::new()),
        &[("state", "down")],
    )
    .await;
    assert_eq!(r.status(), 404);

    let journal = app.store.journal_page(app.org.id, 0, 500).await.unwrap();
    let states: Vec<String> = journal
        .iter()
        .filter(|e| e.kind == "service.status_set")
        .map(|e| {
            let v: serde_json::Value = serde_json::from_str(&e.payload).unwrap();
            format!(
                "{}->{}",
                v["from"].as_str().unwrap(),
                v["to"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            "unknown->down",
            "down->degraded",
            "degraded->down",
            "down->works"
        ]
    );
    // Guests do not see the organisation's services.
    let guest = signed_in(&app, "gast@partner.example", Role::Guest).await;
    assert_eq!(page(&app, &guest, "/services").await.0, 403);
}

#[tokio::test]
async fn crisis_leads_keep_the_list_and_a_taken_name_is_shown_at_its_field() {
    let app = TestApp::spawn().await;
    add(&app, "E-post", "Telefon").await;
    let lead = signed_in(&app, "erik@lillby.se", Role::CrisisLead).await;
    let (status, html) = page(&app, &lead, "/services/new").await;
    assert_eq!(status, 200);
    let csrf = hidden(&html, "csrf");
    let r = post_form(
        &app,
        &lead,
        &csrf,
        "/services/new",
        &[("name", "e-post"), ("owner", "IT"), ("alternative", "Fax")],
    )
    .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"name-error\""), "{html}");
    assert!(html.contains("value=\"e-post\""), "kept: {html}");
    let r = post_form(
        &app,
        &lead,
        &csrf,
        "/services/new",
        &[
            ("name", "Trygghetslarm"),
            ("owner", "Hemtjänsten"),
            ("alternative", "Extra hembesök"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let id = location(&r).rsplit("service-").next().unwrap().to_owned();
    let (_, html) = page(&app, &lead, &format!("/services/{id}/edit")).await;
    assert!(html.contains("value=\"Trygghetslarm\""), "{html}");
    let r = post_form(
        &app,
        &lead,
        &csrf,
        &format!("/services/{id}/edit"),
        &[
            ("name", "Trygghetslarm i hemtjänsten"),
            ("owner", ""),
            ("alternative", "Extra hembesök"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, html) = page(&app, &lead, "/services").await;
    assert!(html.contains("Trygghetslarm i hemtjänsten"), "{html}");
    assert!(
        !html.contains("Ansvarig:</strong> Hemtjänsten"),
        "owner cleared: {html}"
    );
    let r = post_form(&app, &lead, &csrf, &format!("/services/{id}/retire"), &[]).await;
    assert_eq!(r.status(), 303);
    let (_, html) = page(&app, &lead, "/services").await;
    assert!(!html.contains("Trygghetslarm"), "{html}");
    // Members may not keep the list.
    let member = signed_in(&app, "mikael@lillby.se", Role::Member).await;
    assert_eq!(page(&app, &member, "/services/new").await.0, 403);
}

#[tokio::test]
async fn the_api_keeps_services_and_sets_their_state() {
    let app = TestApp::spawn().await;
    let r = app
        .post(
            "/api/v1/orgs/lillby/services",
            &app.admin_token,
            serde_json::json!({"name": "Växeln", "owner": "Kontaktcenter", "alternative": "Webben"}),
        )
        .await;
    let created = expect_json(r, 201).await;
    assert_eq!(created["state"], "unknown");
    let id = created["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            "/api/v1/orgs/lillby/services",
            &app.admin_token,
            serde_json::json!({"name": "VÄXELN"}),
        )
        .await;
    let body = expect_json(r, 409).await;
    assert_eq!(error_fields(&body), ["name"]);
    let r = app
        .post(
            &format!("/api/v1/orgs/lillby/services/{id}/status"),
            &app.admin_token,
            serde_json::json!({"state": "down", "impact": "Ingen kommer fram"}),
        )
        .await;
    let set = expect_json(r, 200).await;
    assert_eq!(
        (set["state"].as_str(), set["impact"].as_str()),
        (Some("down"), Some("Ingen kommer fram"))
    );
    // Left out, the impact stays; a state must be one of the four.
    let r = app
        .post(
            &format!("/api/v1/orgs/lillby/services/{id}/status"),
            &app.admin_token,
            serde_json::json!({"state": "degraded"}),
        )
        .await;
    assert_eq!(expect_json(r, 200).await["impact"], "Ingen kommer fram");
    let r = app
        .post(
            &format!("/api/v1/orgs/lillby/services/{id}/status"),
            &app.admin_token,
            serde_json::json!({"state": "kaputt"}),
        )
        .await;
    let body = expect_json(r, 422).await;
    assert_eq!(error_fields(&body), ["state"]);
    // A member's token reads but does not set.
    let member = app.token_for(Role::Member, "mikael@lillby.se").await;
    let listed = expect_json(app.get("/api/v1/orgs/lillby/services", &member).await, 200).await;
    assert_eq!(listed[0]["name"], "Växeln");
    let r = app
        .post(
            &format!("/api/v1/orgs/lillby/services/{id}/status"),
            &member,
            serde_json::json!({"state": "works"}),
        )
        .await;
    let body = expect_json(r, 403).await;
    assert_eq!(body["args"]["use_case"], "set_service_state");
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/orgs/lillby/services/{id}")))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = app
        .get(
            &format!("/api/v1/orgs/lillby/services/{id}"),
            &app.admin_token,
        )
        .await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn anyone_reads_the_status_page_with_the_ways_to_reach_us_first() {
    let app = TestApp::spawn().await;
    let email = add(&app, "E-post", "Ring växeln").await;
    add(&app, "Växeln", "").await;
    beredskap_app::services::set_status(
        &app.use_cases(),
        &beredskap_app::Caller::Operator(Actor::cli("test")),
        &app.org,
        email,
        &beredskap_core::continuity::services::StatusInput {
            state: beredskap_core::continuity::services::ServiceState::Down,
            impact: Some("Interna detaljer: servern ex-01 är trasig".into()),
            workaround: None,
        },
    )
    .await
    .unwrap();
    // A crisis lead gives the ways to reach the municipality; a bad number is named at its
    // field, in Swedish, and nothing is saved.
    let lead = signed_in(&app, "erik@lillby.se", Role::CrisisLead).await;
    let (status, html) = page(&app, &lead, "/services").await;
    assert_eq!(status, 200);
    assert!(html.contains("href=\"/services/public\""), "{html}");
    let (_, html) = page(&app, &lead, "/services/public").await;
    let csrf = hidden(&html, "csrf");
    let r = post_form(
        &app,
        &lead,
        &csrf,
        "/services/public",
        &[("phone", "12"), ("address", "Stadshuset, Storgatan 1")],
    )
    .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"phone-error\""), "{html}");
    assert!(
        html.contains("value=\"Stadshuset, Storgatan 1\""),
        "what was typed stays"
    );
    let r = post_form(
        &app,
        &lead,
        &csrf,
        "/services/public",
        &[
            ("phone", "0480-45 00 00"),
            ("address", "Stadshuset, Storgatan 1"),
            ("opening_hours", "Vardagar 8–16"),
            ("note", "Lämna meddelanden i receptionen."),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);

    // Anyone, not signed in: the ways to reach us first, then each service and its state;
    // not the staff's impact text; no script.
    let anyone = reqwest::Client::new();
    let r = anyone.get(app.url("/status/lillby")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // No cookie is set, so the page may be cached; asked again with its ETag while
    // nothing changed, the answer is 304 with no body.
    assert!(r.headers().get("set-cookie").is_none(), "{:?}", r.headers());
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    assert!(r.headers()["cache-control"]
        .to_str()
        .unwrap()
        .starts_with("public"));
    assert!(r.headers().contains_key("content-security-policy"));
    let html = r.text().await.unwrap();
    let again = anyone
        .get(app.url("/status/lillby"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.text().await.unwrap().is_empty());
    let contact = html.find("Så når du oss").unwrap();
    let services = html.find("id=\"services\"").unwrap();
    assert!(contact < services, "the ways to reach us come first");
    assert!(html.contains("href=\"tel:+46480450000\""), "{html}");
    assert!(html.contains("Vardagar 8–16") && html.contains("Lämna meddelanden"));
    assert!(
        html.contains("E-post") && html.contains("state-down"),
        "{html}"
    );
    assert!(!html.contains("ex-01"), "the staff's own words stay inside");
    assert!(!html.contains("<script"), "no script");
    assert!(!html.contains("csrf"), "no form");
    // A change makes a new page: the old ETag no longer matches.
    beredskap_app::services::set_status(
        &app.use_cases(),
        &beredskap_app::Caller::Operator(Actor::cli("test")),
        &app.org,
        email,
        &beredskap_core::continuity::services::StatusInput {
            state: beredskap_core::continuity::services::ServiceState::Works,
            impact: None,
            workaround: None,
        },
    )
    .await
    .unwrap();
    let changed = anyone
        .get(app.url("/status/lillby"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    assert!(changed.text().await.unwrap().contains("state-works"));
    // In another language by a plain link; an unknown organisation is not found.
    let r = anyone
        .get(app.url("/status/lillby?lang=da"))
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("Sådan når du os"));
    for unknown in ["/status/storby", "/status/NOT%20A%20SLUG"] {
        let r = anyone.get(app.url(unknown)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{unknown}");
    }
}
