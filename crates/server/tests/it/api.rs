use crate::helpers::{error_fields, expect_json, TestApp};
use beredskap_core::register::{NewOrg, Role, Scope};
use beredskap_core::store::verify_journal;
use beredskap_core::{Actor, Region};
use serde_json::json;

fn anna() -> serde_json::Value {
    json!({
        "external_id": "1001",
        "name": "Anna Berg",
        "title": "Kommundirektör",
        "contact_points": [
            {"kind": "sms", "label": "work", "value": "070-123 45 67"},
            {"kind": "email", "label": "private", "value": "Anna@Example.org"}
        ]
    })
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = TestApp::spawn().await;
    let r = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "ok");
    let r = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn the_openapi_document_lists_every_api_route() {
    // With SMS set up, so its webhooks are on too.
    let gateway = beredskap_testkit::FakeSmsGateway::start().await.unwrap();
    let sms = gateway.config();
    let app = TestApp::spawn_with(move |c| c.sms = Some(sms)).await;
    let doc = expect_json(
        app.client
            .get(app.url("/api/v1/openapi.json"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let mut paths: Vec<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "/api/v1/hooks/sms/delivered",
            "/api/v1/hooks/sms/reply",
            "/api/v1/orgs",
            "/api/v1/orgs/{org}",
            "/api/v1/orgs/{org}/accounts",
            "/api/v1/orgs/{org}/accounts/{id}/sessions",
            "/api/v1/orgs/{org}/activations",
            "/api/v1/orgs/{org}/activations/preview",
            "/api/v1/orgs/{org}/activations/{id}",
            "/api/v1/orgs/{org}/alert-templates",
            "/api/v1/orgs/{org}/alert-templates/{id}",
            "/api/v1/orgs/{org}/alert-templates/{id}/send",
            "/api/v1/orgs/{org}/alerts",
            "/api/v1/orgs/{org}/alerts/open",
            "/api/v1/orgs/{org}/alerts/{id}",
            "/api/v1/orgs/{org}/alerts/{id}/answer",
            "/api/v1/orgs/{org}/alerts/{id}/close",
            "/api/v1/orgs/{org}/alerts/{id}/readiness",
            "/api/v1/orgs/{org}/alerts/{id}/roster.csv",
            "/api/v1/orgs/{org}/announcements/unconfirmed",
            "/api/v1/orgs/{org}/attachments",
            "/api/v1/orgs/{org}/attachments/{id}",
            "/api/v1/orgs/{org}/channels",
            "/api/v1/orgs/{org}/channels/{id}/members",
            "/api/v1/orgs/{org}/channels/{id}/messages",
            "/api/v1/orgs/{org}/contact-checks",
            "/api/v1/orgs/{org}/events",
            "/api/v1/orgs/{org}/groups",
            "/api/v1/orgs/{org}/groups/{id}/members",
            "/api/v1/orgs/{org}/incidents",
            "/api/v1/orgs/{org}/incidents/{id}",
            "/api/v1/orgs/{org}/incidents/{id}/cadence",
            "/api/v1/orgs/{org}/incidents/{id}/close",
            "/api/v1/orgs/{org}/incidents/{id}/decisions",
            "/api/v1/orgs/{org}/incidents/{id}/guests",
            "/api/v1/orgs/{org}/incidents/{id}/guests/{account}",
            "/api/v1/orgs/{org}/incidents/{id}/log",
            "/api/v1/orgs/{org}/incidents/{id}/log/{entry}/approve",
            "/api/v1/orgs/{org}/incidents/{id}/log/{entry}/decline",
            "/api/v1/orgs/{org}/incidents/{id}/priority-calls",
            "/api/v1/orgs/{org}/incidents/{id}/priority-calls/keep",
            "/api/v1/orgs/{org}/incidents/{id}/priority-calls/{call}",
            "/api/v1/orgs/{org}/incidents/{id}/reports",
            "/api/v1/orgs/{org}/incidents/{id}/roles",
            "/api/v1/orgs/{org}/incidents/{id}/tasks/{task}",
            "/api/v1/orgs/{org}/journal",
            "/api/v1/orgs/{org}/messages/{id}",
            "/api/v1/orgs/{org}/messages/{id}/confirm",
            "/api/v1/orgs/{org}/messages/{id}/reactions/{emoji}",
            "/api/v1/orgs/{org}/messages/{id}/receipts",
            "/api/v1/orgs/{org}/messages/{id}/redact",
            "/api/v1/orgs/{org}/messages/{id}/seen",
            "/api/v1/orgs/{org}/messages/{id}/thread",
            "/api/v1/orgs/{org}/messages/{id}/versions",
            "/api/v1/orgs/{org}/notices",
            "/api/v1/orgs/{org}/notices/{id}",
            "/api/v1/orgs/{org}/notices/{id}/updates",
            "/api/v1/orgs/{org}/people",
            "/api/v1/orgs/{org}/people/{id}",
            "/api/v1/orgs/{org}/plans",
            "/api/v1/orgs/{org}/plans/{id}",
            "/api/v1/orgs/{org}/plans/{id}/activate",
            "/api/v1/orgs/{org}/plans/{id}/plan.yaml",
            "/api/v1/orgs/{org}/positions",
            "/api/v1/orgs/{org}/positions/{id}/holders",
            "/api/v1/orgs/{org}/positions/{id}/overrides",
            "/api/v1/orgs/{org}/positions/{id}/rotation",
            "/api/v1/orgs/{org}/press-releases",
            "/api/v1/orgs/{org}/press-releases/draft",
            "/api/v1/orgs/{org}/priority-list",
            "/api/v1/orgs/{org}/priority-list/access",
            "/api/v1/orgs/{org}/search",
            "/api/v1/orgs/{org}/search/places",
            "/api/v1/orgs/{org}/services",
            "/api/v1/orgs/{org}/services/{id}",
            "/api/v1/orgs/{org}/services/{id}/status",
            "/api/v1/orgs/{org}/sessions/{id}",
            "/api/v1/orgs/{org}/subscribers",
            "/api/v1/orgs/{org}/subscribers/erase",
            "/api/v1/orgs/{org}/tokens",
            "/api/v1/orgs/{org}/tokens/{id}",
        ]
    );
    assert!(doc["components"]["schemas"]["Person"].is_object());
    // Two types of one name would share one schema: an incident's roles are their own.
    assert_eq!(
        doc["components"]["schemas"]["IncidentRole"]["enum"],
        json!(["lead", "scribe", "liaison"])
    );
    assert!(doc["components"]["schemas"]["Role"]["enum"]
        .as_array()
        .unwrap()
        .contains(&json!("admin")));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    // Every documented operation is served: none answers 404 or 405 for its method.
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            let url = app.url(
                &path
                    .replace("{org}", "lillby")
                    .replace("{id}", "00000000-0000-0000-0000-000000000000"),
            );
            let r = app
                .client
                .request(method.to_uppercase().parse().unwrap(), url)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 401, "{method} {path} is not routed");
            // And every answer it can give is documented, with the error body.
            let op = &ops[method];
            let documented =
                |code: &str| op["responses"][code]["content"]["application/json"].is_object();
            if path.starts_with("/api/v1/orgs/{org}") {
                for code in ["401", "403", "404", "422"] {
                    assert!(documented(code), "{method} {path}: {code} undocumented");
                }
                if method != "get" {
                    assert!(documented("409"), "{method} {path}: 409 undocumented");
                }
            }
        }
    }
    // Limits and the text rule are in the schema: a client knows what will be refused.
    let alert = &doc["components"]["schemas"]["AlertInput"]["properties"];
    assert_eq!(alert["step_minutes"]["maximum"], 240);
    assert_eq!(alert["repeats"]["maximum"], 10);
    assert!(alert["message"]["pattern"]
        .as_str()
        .unwrap()
        .contains("{0,598}"));
    let slug = doc["components"]["schemas"]["Slug"]["pattern"]
        .as_str()
        .unwrap();
    assert_eq!(slug, "^[a-z][a-z0-9-]{0,61}[a-z0-9]$");
}

#[tokio::test]
async fn parameters_that_do_not_hold_are_answered_with_the_json_error() {
    let app = TestApp::spawn().await;
    let token = &app.admin_token;
    for (path, field) in [
        ("/api/v1/orgs/lillby/journal?limit=many", "limit"),
        ("/api/v1/orgs/lillby/journal?after=-", "after"),
        ("/api/v1/orgs/lillby/search?q=", "q"),
    ] {
        let r = app.get(path, token).await;
        let status = r.status().as_u16();
        if field == "q" {
            // An empty search finds nothing; it is not an error.
            assert_eq!(status, 200, "{path}");
            continue;
        }
        let body = expect_json(r, 422).await;
        assert_eq!(error_fields(&body), [field], "{path}: {body}");
    }
    let long = format!("/api/v1/orgs/lillby/search?q={}", "a".repeat(501));
    let body = expect_json(app.get(&long, token).await, 422).await;
    assert_eq!(error_fields(&body), ["q"]);
    // A path that is not text once decoded names nothing: not found, as JSON.
    let body = expect_json(app.get("/api/v1/orgs/%FF%FE/people", token).await, 404).await;
    assert_eq!(body["error"], "not_found");
    // A whole number written as 30.0 is the number 30, as JSON Schema counts it.
    let group = app
        .post(
            "/api/v1/orgs/lillby/positions",
            token,
            serde_json::json!({"slug": "it-jour", "name": "IT-jour"}),
        )
        .await;
    let position = expect_json(group, 201).await;
    let person = app.person("Anna Berg", vec![]).await;
    let r = app
        .put(
            &format!(
                "/api/v1/orgs/lillby/positions/{}/rotation",
                position["id"].as_str().unwrap()
            ),
            token,
            serde_json::json!({
                "starts_at": "2026-12-07T08:00:00Z",
                "period_days": 7.0,
                "members": [person],
            }),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

#[tokio::test]
async fn requests_without_a_valid_token_are_refused() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .get(app.url("/api/v1/orgs/lillby/people"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    let body = expect_json(app.get("/api/v1/orgs/lillby/people", "bsk_0000").await, 401).await;
    assert_eq!(body["error"], "unauthorized");
    let r = app
        .get("/api/v1/orgs/lillby/people", "not-even-a-token")
        .await;
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn roles_decide_who_reads_and_who_writes() {
    let app = TestApp::spawn().await;
    let member = app.token_for(Role::Member, "member@lillby.se").await;
    let lead = app.token_for(Role::CrisisLead, "lead@lillby.se").await;
    let guest = app.token_for(Role::Guest, "guest@partner.se").await;
    for (token, read, write) in [
        (&app.admin_token, 200, 201),
        (&lead, 200, 403),
        (&member, 200, 403),
        (&guest, 403, 403),
    ] {
        assert_eq!(
            app.get("/api/v1/orgs/lillby/people", token).await.status(),
            read
        );
        assert_eq!(
            app.get("/api/v1/orgs/lillby/groups", token).await.status(),
            read
        );
        assert_eq!(
            app.get("/api/v1/orgs/lillby/positions", token)
                .await
                .status(),
            read
        );
        let body = json!({"slug": format!("g-{write}-{read}-{}", &token[4..12]), "name": "G"});
        assert_eq!(
            app.post("/api/v1/orgs/lillby/groups", token, body)
                .await
                .status(),
            write
        );
        let journal = app.get("/api/v1/orgs/lillby/journal", token).await.status();
        assert_eq!(journal, if write == 201 { 200 } else { 403 });
    }
}

#[tokio::test]
async fn another_organisation_is_not_found() {
    let app = TestApp::spawn().await;
    let other = app
        .store
        .create_org(
            &Actor::system(),
            NewOrg::parse("norrby", "Norrby kommun", Region::Se).unwrap(),
        )
        .await
        .unwrap();
    let other_admin = app.token_in(&other, Role::Admin, "admin@norrby.se").await;
    let created = expect_json(
        app.post("/api/v1/orgs/lillby/people", &app.admin_token, anna())
            .await,
        201,
    )
    .await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        app.get("/api/v1/orgs/lillby/people", &other_admin)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get(&format!("/api/v1/orgs/lillby/people/{id}"), &other_admin)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get(&format!("/api/v1/orgs/norrby/people/{id}"), &other_admin)
            .await
            .status(),
        404
    );
    let orgs = expect_json(app.get("/api/v1/orgs", &other_admin).await, 200).await;
    assert_eq!(orgs.as_array().unwrap().len(), 1);
    assert_eq!(orgs[0]["slug"], "norrby");
}

#[tokio::test]
async fn people_are_created_read_and_replaced() {
    let app = TestApp::spawn().await;
    let r = app
        .post("/api/v1/orgs/lillby/people", &app.admin_token, anna())
        .await;
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let created = expect_json(r, 201).await;
    assert_eq!(created["contact_points"][0]["value"], "+46701234567");
    assert_eq!(created["contact_points"][1]["value"], "anna@example.org");
    let read = expect_json(app.get(&location, &app.admin_token).await, 200).await;
    assert_eq!(read, created);

    let mut changed = anna();
    changed["name"] = json!("Anna Berg-Lund");
    changed["active"] = json!(false);
    let replaced = expect_json(app.put(&location, &app.admin_token, changed).await, 200).await;
    assert_eq!(replaced["name"], "Anna Berg-Lund");
    assert_eq!(replaced["active"], false);
    assert_eq!(replaced["created_at"], created["created_at"]);

    let list = expect_json(
        app.get("/api/v1/orgs/lillby/people", &app.admin_token)
            .await,
        200,
    )
    .await;
    assert_eq!(
        list.as_array().unwrap().len(),
        2,
        "the admin's own person and Anna"
    );
    let missing = "/api/v1/orgs/lillby/people/00000000-0000-0000-0000-000000000000";
    assert_eq!(app.get(missing, &app.admin_token).await.status(), 404);
    assert_eq!(
        app.get("/api/v1/orgs/lillby/people/not-a-uuid", &app.admin_token)
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn bad_input_names_the_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let people_before = app.store.list_people(app.org.id).await.unwrap().len();
    let journal_before = app.store.journal_head(app.org.id).await.unwrap().0;
    let bad = json!({
        "name": "",
        "contact_points": [
            {"kind": "sms", "label": "work", "value": "070-123 45 67"},
            {"kind": "sms", "label": "work", "value": "12"}
        ]
    });
    let body = expect_json(
        app.post("/api/v1/orgs/lillby/people", &app.admin_token, bad)
            .await,
        422,
    )
    .await;
    assert_eq!(body["error"], "invalid");
    assert_eq!(error_fields(&body), ["name", "contact_points[1].value"]);

    let wrong_kind =
        json!({"name": "A", "contact_points": [{"kind": "fax", "label": "work", "value": "1"}]});
    let body = expect_json(
        app.post("/api/v1/orgs/lillby/people", &app.admin_token, wrong_kind)
            .await,
        422,
    )
    .await;
    assert_eq!(error_fields(&body), ["contact_points[0].kind"]);

    let unknown = json!({"name": "A", "shoe_size": 42});
    let body = expect_json(
        app.post("/api/v1/orgs/lillby/people", &app.admin_token, unknown)
            .await,
        422,
    )
    .await;
    assert!(
        body["message"].as_str().unwrap().contains("shoe_size"),
        "{body}"
    );

    let bad_slug = json!({"slug": "Kris Ledning", "name": "K"});
    let body = expect_json(
        app.post("/api/v1/orgs/lillby/groups", &app.admin_token, bad_slug)
            .await,
        422,
    )
    .await;
    assert_eq!(error_fields(&body), ["slug"]);

    let r = app
        .client
        .post(app.url("/api/v1/orgs/lillby/people"))
        .bearer_auth(&app.admin_token)
        .body("name=A")
        .send()
        .await
        .unwrap();
    let body = expect_json(r, 422).await;
    assert_eq!(error_fields(&body), ["body"]);

    assert_eq!(
        app.store.list_people(app.org.id).await.unwrap().len(),
        people_before
    );
    assert_eq!(
        app.store.journal_head(app.org.id).await.unwrap().0,
        journal_before
    );
}

#[tokio::test]
async fn conflicts_name_the_field() {
    let app = TestApp::spawn().await;
    expect_json(
        app.post("/api/v1/orgs/lillby/people", &app.admin_token, anna())
            .await,
        201,
    )
    .await;
    let body = expect_json(
        app.post("/api/v1/orgs/lillby/people", &app.admin_token, anna())
            .await,
        409,
    )
    .await;
    assert_eq!(body["error"], "conflict");
    assert_eq!(error_fields(&body), ["external_id"]);
    let group = json!({"slug": "krisledning", "name": "Krisledning"});
    expect_json(
        app.post(
            "/api/v1/orgs/lillby/groups",
            &app.admin_token,
            group.clone(),
        )
        .await,
        201,
    )
    .await;
    let body = expect_json(
        app.post("/api/v1/orgs/lillby/groups", &app.admin_token, group)
            .await,
        409,
    )
    .await;
    assert_eq!(error_fields(&body), ["slug"]);
}

#[tokio::test]
async fn groups_and_positions_are_managed_through_the_api() {
    let app = TestApp::spawn().await;
    let a = expect_json(
        app.post("/api/v1/orgs/lillby/people", &app.admin_token, anna())
            .await,
        201,
    )
    .await;
    let b = expect_json(
        app.post(
            "/api/v1/orgs/lillby/people",
            &app.admin_token,
            json!({"name": "Bo Ek"}),
        )
        .await,
        201,
    )
    .await;
    let g = expect_json(
        app.post(
            "/api/v1/orgs/lillby/groups",
            &app.admin_token,
            json!({"slug": "krisledning", "name": "Krisledningsgrupp"}),
        )
        .await,
        201,
    )
    .await;
    let members_url = format!(
        "/api/v1/orgs/lillby/groups/{}/members",
        g["id"].as_str().unwrap()
    );
    let g = expect_json(
        app.put(
            &members_url,
            &app.admin_token,
            json!({"members": [b["id"], a["id"]]}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(g["members"], json!([a["id"], b["id"]]));
    let body = expect_json(
        app.put(
            &members_url,
            &app.admin_token,
            json!({"members": [a["id"], "00000000-0000-0000-0000-000000000000"]}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(error_fields(&body), ["members[1]"]);

    let p = expect_json(
        app.post(
            "/api/v1/orgs/lillby/positions",
            &app.admin_token,
            json!({"slug": "stabschef", "name": "Stabschef"}),
        )
        .await,
        201,
    )
    .await;
    let holders_url = format!(
        "/api/v1/orgs/lillby/positions/{}/holders",
        p["id"].as_str().unwrap()
    );
    let p = expect_json(
        app.put(
            &holders_url,
            &app.admin_token,
            json!({"holders": [b["id"], a["id"]]}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        p["holders"],
        json!([b["id"], a["id"]]),
        "holder first, then deputies"
    );
    let listed = expect_json(
        app.get("/api/v1/orgs/lillby/positions", &app.admin_token)
            .await,
        200,
    )
    .await;
    assert_eq!(listed[0]["holders"], p["holders"]);
}

#[tokio::test]
async fn every_change_is_in_a_verifiable_journal() {
    let app = TestApp::spawn().await;
    let created = expect_json(
        app.post("/api/v1/orgs/lillby/people", &app.admin_token, anna())
            .await,
        201,
    )
    .await;
    let entries = expect_json(
        app.get(
            "/api/v1/orgs/lillby/journal?after=0&limit=1000",
            &app.admin_token,
        )
        .await,
        200,
    )
    .await;
    let last = entries.as_array().unwrap().last().unwrap();
    assert_eq!(last["kind"], "person.created");
    assert_eq!(
        last["subject"],
        format!("person:{}", created["id"].as_str().unwrap())
    );
    assert!(last["actor"].as_str().unwrap().starts_with("account:"));
    let seqs: Vec<i64> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());
    let page = expect_json(
        app.get(
            "/api/v1/orgs/lillby/journal?after=2&limit=1",
            &app.admin_token,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(page[0]["seq"], 3);
    let body = expect_json(
        app.get("/api/v1/orgs/lillby/journal?limit=5000", &app.admin_token)
            .await,
        422,
    )
    .await;
    assert_eq!(error_fields(&body), ["limit"]);
    assert!(verify_journal(app.store.as_ref(), app.org.id)
        .await
        .unwrap()
        .is_ok());
}

#[tokio::test]
async fn errors_carry_the_request_id() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .get(app.url("/api/v1/orgs/lillby/people"))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "trace-me-42");
    let body = expect_json(r, 401).await;
    assert_eq!(body["request_id"], "trace-me-42");
    let r = app
        .client
        .get(app.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body = expect_json(r, 404).await;
    assert_eq!(body["request_id"], id.as_str());
}

#[tokio::test]
async fn a_token_does_only_what_its_scopes_allow() {
    let app = TestApp::spawn().await;
    let reader = app
        .scoped_token_in(&app.org, Role::Admin, "reader@lillby.se", &[Scope::Read])
        .await;
    let writer = app
        .scoped_token_in(
            &app.org,
            Role::Admin,
            "writer@lillby.se",
            &[Scope::Read, Scope::Write],
        )
        .await;
    // Both may read the register.
    for token in [&reader, &writer] {
        assert_eq!(
            app.get("/api/v1/orgs/lillby/people", token).await.status(),
            200
        );
    }
    // Only the writer may change it, although both accounts are administrators.
    let refused = app
        .post("/api/v1/orgs/lillby/people", &reader, anna())
        .await;
    let body = expect_json(refused, 403).await;
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("\"write\" scope"),
        "{body}"
    );
    assert_eq!(
        app.post("/api/v1/orgs/lillby/people", &writer, anna())
            .await
            .status(),
        201
    );
    // Neither may touch accounts, tokens or the journal without the admin scope.
    for path in ["accounts", "tokens", "journal"] {
        let url = format!("/api/v1/orgs/lillby/{path}");
        assert_eq!(app.get(&url, &writer).await.status(), 403, "{path}");
        assert_eq!(
            app.get(&url, &app.admin_token).await.status(),
            200,
            "{path}"
        );
    }
    // The token list shows each token's scopes, and never a secret.
    let tokens = expect_json(
        app.get("/api/v1/orgs/lillby/tokens", &app.admin_token)
            .await,
        200,
    )
    .await;
    let scopes: Vec<_> = tokens
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["scopes"].clone())
        .collect();
    assert!(scopes.contains(&json!(["read"])), "{tokens}");
    assert!(scopes.contains(&json!(["read", "write"])), "{tokens}");
    assert!(!tokens.to_string().contains("bsk_"), "{tokens}");
}

#[tokio::test]
async fn administrators_revoke_tokens_and_others_only_their_own() {
    let app = TestApp::spawn().await;
    let member = app.token_for(Role::Member, "member@lillby.se").await;
    let accounts = expect_json(
        app.get("/api/v1/orgs/lillby/accounts", &app.admin_token)
            .await,
        200,
    )
    .await;
    assert_eq!(accounts.as_array().unwrap().len(), 2);
    assert_eq!(
        app.get("/api/v1/orgs/lillby/accounts", &member)
            .await
            .status(),
        403
    );
    let grant = app
        .store
        .token_grant(&beredskap_app::accounts::secret_hash(&member))
        .await
        .unwrap()
        .unwrap();
    let admin_grant = app
        .store
        .token_grant(&beredskap_app::accounts::secret_hash(&app.admin_token))
        .await
        .unwrap()
        .unwrap();
    // A member cannot revoke someone else's token.
    let url = format!("/api/v1/orgs/lillby/tokens/{}", admin_grant.token.id);
    let r = app
        .client
        .delete(app.url(&url))
        .bearer_auth(&member)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // A member revokes the token they call with; it stops working at once.
    let url = format!("/api/v1/orgs/lillby/tokens/{}", grant.token.id);
    let r = app
        .client
        .delete(app.url(&url))
        .bearer_auth(&member)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        app.get("/api/v1/orgs/lillby/people", &member)
            .await
            .status(),
        401
    );
    let r = app
        .client
        .delete(app.url(&url))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "already revoked");
    let journal = app.store.journal_page(app.org.id, 0, 1000).await.unwrap();
    assert!(journal.iter().any(|e| e.kind == "api_token.revoked"));
}

#[tokio::test]
async fn the_server_can_terminate_tls_and_then_asks_for_https_only() {
    let dir = tempfile::tempdir().unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    let app = TestApp::spawn_with(|c| {
        c.tls_cert_file = Some(cert.clone());
        c.tls_key_file = Some(key.clone());
        c.public_url = Some("https://localhost".into());
    })
    .await;
    assert!(app.base.starts_with("https://"));
    let client = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(certified.cert.pem().as_bytes()).unwrap(),
        )
        .build()
        .unwrap();
    let r = client.get(app.url("/sign-in")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["strict-transport-security"], "max-age=31536000");
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("; Secure"), "{cookie}");
    // No other host (a sibling subdomain) can set a cookie this server trusts.
    assert!(
        cookie.starts_with("__Host-beredskap_csrf=") && cookie.contains("Path=/;"),
        "{cookie}"
    );
    // A form with the plain-named cookie another host could have planted is refused.
    let page = r.text().await.unwrap();
    let token = crate::web::hidden(&page, "csrf");
    let device = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("__Host-");
    let planted = client
        .post(app.url("/sign-in"))
        .header("cookie", device)
        .form(&[
            ("csrf", token.as_str()),
            ("org", "lillby"),
            ("email", "a@lillby.se"),
            ("password", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(planted.status(), 403);
    let plain = app.base.replace("https://", "http://");
    assert!(
        reqwest::get(format!("{plain}/healthz")).await.is_err(),
        "no plain HTTP on the TLS port"
    );

    // Without TLS (and an http:// address) there is no HSTS, which would lock browsers out.
    let plain_app = TestApp::spawn().await;
    let r = plain_app
        .client
        .get(plain_app.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("strict-transport-security").is_none());
}

/// Every operation of the API, read from the OpenAPI document, tried by another
/// organisation's administrator on this organisation's real things: each answer is the
/// one a thing that does not exist gets, and nothing changes here.
#[tokio::test]
async fn another_organisations_things_are_indistinguishable_from_none_on_every_route() {
    let app = TestApp::spawn().await;
    let token = &app.admin_token;
    let other = app
        .store
        .create_org(
            &Actor::system(),
            NewOrg::parse("norrby", "Norrby kommun", Region::Se).unwrap(),
        )
        .await
        .unwrap();
    let stranger = app.token_in(&other, Role::Admin, "admin@norrby.se").await;
    // Real things of Lillby, one of each kind a path can name.
    let id_of = |v: serde_json::Value| v["id"].as_str().unwrap().to_owned();
    let base = "/api/v1/orgs/lillby";
    let person = id_of(
        expect_json(
            app.post(&format!("{base}/people"), token, anna()).await,
            201,
        )
        .await,
    );
    let group = json!({"slug": "stab", "name": "Stab"});
    let group =
        id_of(expect_json(app.post(&format!("{base}/groups"), token, group).await, 201).await);
    let position = json!({"slug": "tib", "name": "TiB"});
    let position = id_of(
        expect_json(
            app.post(&format!("{base}/positions"), token, position)
                .await,
            201,
        )
        .await,
    );
    let channel = json!({"kind": "org", "name": "Alla", "classification": "Intern"});
    let channel = id_of(
        expect_json(
            app.post(&format!("{base}/channels"), token, channel).await,
            201,
        )
        .await,
    );
    let message = json!({"body": "Hej"});
    let message = id_of(
        expect_json(
            app.post(
                &format!("{base}/channels/{channel}/messages"),
                token,
                message,
            )
            .await,
            201,
        )
        .await,
    );
    let alert =
        json!({"message": "Kom", "severity": "critical", "recipients": {"people": [person]}});
    let alert =
        id_of(expect_json(app.post(&format!("{base}/alerts"), token, alert).await, 201).await);
    let upload = app
        .client
        .post(app.url(&format!("{base}/attachments?filename=lista.txt")))
        .bearer_auth(token)
        .body("namn;telefon\n")
        .send()
        .await
        .unwrap();
    let attachment = id_of(expect_json(upload, 201).await);
    let accounts = expect_json(app.get(&format!("{base}/accounts"), token).await, 200).await;
    let account = accounts[0]["id"].as_str().unwrap().to_owned();
    let tokens = expect_json(app.get(&format!("{base}/tokens"), token).await, 200).await;
    let token_id = tokens[0]["id"].as_str().unwrap().to_owned();
    let (head, _) = app.store.journal_head(app.org.id).await.unwrap();

    let doc = expect_json(
        app.client
            .get(app.url("/api/v1/openapi.json"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let nothing = "00000000-0000-7000-8000-000000000000";
    let real_id = |path: &str| -> String {
        let kinds = [
            ("/people/", &person),
            ("/groups/", &group),
            ("/positions/", &position),
            ("/channels/", &channel),
            ("/messages/", &message),
            ("/alerts/", &alert),
            ("/attachments/", &attachment),
            ("/accounts/", &account),
            ("/tokens/", &token_id),
        ];
        kinds
            .iter()
            .find(|(k, _)| path.contains(&format!("{k}{{id}}")))
            .map(|(_, id)| (*id).clone())
            .unwrap_or_else(|| nothing.to_owned())
    };
    // Status, error kind and fields: everything but the request id.
    let answer = |method: &str, url: String| {
        let app = &app;
        let stranger = stranger.clone();
        let method: reqwest::Method = method.to_uppercase().parse().unwrap();
        async move {
            let mut request = app
                .client
                .request(method.clone(), app.url(&url))
                .bearer_auth(&stranger);
            if url.ends_with("/attachments") {
                request = request.body("x");
            } else if method != reqwest::Method::GET && method != reqwest::Method::DELETE {
                request = request.json(&json!({}));
            }
            let r = request.send().await.unwrap();
            let status = r.status().as_u16();
            if status < 400 {
                return (status, json!(null));
            }
            let mut body: serde_json::Value = r.json().await.unwrap();
            body.as_object_mut().unwrap().remove("request_id");
            (status, body)
        }
    };
    let mut tried = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/orgs/{org}") || path.ends_with("/events") {
            continue;
        }
        for method in ops.as_object().unwrap().keys() {
            let fill = |org: &str, id: &str| {
                path.replace("{org}", org)
                    .replace("{id}", id)
                    .replace("{emoji}", "👍")
            };
            // Their own organisation's name in the path: Lillby's things are none of theirs.
            let theirs = answer(method, fill("lillby", &real_id(path))).await;
            let missing = answer(method, fill("nowhere", &real_id(path))).await;
            assert_eq!(theirs, missing, "{method} {path} in Lillby");
            assert!(matches!(theirs.0, 404 | 422), "{method} {path}: {theirs:?}");
            // Lillby's ids under their own organisation: as if the thing did not exist.
            if path.contains("{id}") {
                let borrowed = answer(method, fill("norrby", &real_id(path))).await;
                let unknown = answer(method, fill("norrby", nothing)).await;
                assert_eq!(borrowed, unknown, "{method} {path} with a Lillby id");
            }
            tried += 1;
        }
    }
    assert!(tried >= 45, "only {tried} operations tried");
    assert_eq!(
        app.store.journal_head(app.org.id).await.unwrap().0,
        head,
        "nothing changed in Lillby"
    );
}

#[tokio::test]
async fn every_body_is_an_object_and_an_array_of_its_fields_is_refused() {
    let app = TestApp::spawn().await;
    let doc = expect_json(
        app.client
            .get(app.url("/api/v1/openapi.json"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let schemas = &doc["components"]["schemas"];
    let mut bodies = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Some(content) = operation["requestBody"]["content"].as_object() else {
                continue;
            };
            let Some(json) = content.get("application/json") else {
                continue;
            };
            let reference = json["schema"]["$ref"].as_str().unwrap_or_default();
            let name = reference.trim_start_matches("#/components/schemas/");
            assert_eq!(
                schemas[name]["type"], "object",
                "{method} {path}: its body is {}",
                json["schema"]
            );
            bodies += 1;
        }
    }
    assert!(bodies > 30, "{bodies} bodies");
    // serde would read a struct from an array of its fields; the API does not.
    let r = app
        .post(
            "/api/v1/orgs/lillby/services",
            &app.admin_token,
            json!([["Växeln"]]),
        )
        .await;
    let body = expect_json(r, 422).await;
    assert_eq!(error_fields(&body), ["body"]);
}
