//! Rotations over the API, and the calendar feed a calendar app subscribes to.

use crate::helpers::{error_fields, expect_json, TestApp};
use beredskap_core::register::{NewPosition, Role};
use beredskap_core::{Actor, Slug};
use serde_json::json;
use std::str::FromStr;

#[tokio::test]
async fn a_rotation_is_set_overridden_and_subscribed_to_as_a_calendar() {
    let app = TestApp::spawn().await;
    let anna = app.person("Anna Berg", vec![]).await;
    let bo = app.person("Bo Ek", vec![]).await;
    let position = app
        .store
        .create_position(
            &Actor::system(),
            app.org.id,
            NewPosition {
                slug: Slug::parse("tib").unwrap(),
                name: "TiB".into(),
            },
        )
        .await
        .unwrap();
    let lead = app.token_for(Role::CrisisLead, "lead@lillby.se").await;
    let member = app.token_for(Role::Member, "member@lillby.se").await;
    let path = format!("/api/v1/orgs/lillby/positions/{}/rotation", position.id);
    let now = chrono::Utc::now();
    let monday = now - chrono::Duration::days(2);
    let rotation = json!({"starts_at": monday, "members": [anna, bo]});
    let refused = app
        .client
        .put(app.url(&path))
        .bearer_auth(&member)
        .json(&rotation)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let bad = app
        .put(
            &path,
            &lead,
            json!({"starts_at": monday, "members": [], "period_days": 0}),
        )
        .await;
    assert_eq!(
        error_fields(&expect_json(bad, 422).await),
        ["members", "period_days"]
    );
    expect_json(app.put(&path, &lead, rotation).await, 200).await;
    let view = expect_json(app.get(&path, &member).await, 200).await;
    assert_eq!(view["holders_now"], json!([anna]));
    assert_eq!(view["shifts"][1]["person_id"], json!(bo));

    // Bo takes over Anna's week from now for a day.
    let overrides = format!("/api/v1/orgs/lillby/positions/{}/overrides", position.id);
    let o = json!({
        "person": bo,
        "from": now - chrono::Duration::minutes(1),
        "until": now + chrono::Duration::days(1),
        "reason": "Anna sjuk",
    });
    expect_json(app.post(&overrides, &lead, o).await, 201).await;
    let view = expect_json(app.get(&path, &member).await, 200).await;
    assert_eq!(view["holders_now"], json!([bo]));

    // The calendar address works without a token; an altered one does not.
    let url = view["calendar_url"].as_str().unwrap();
    let feed_path = url.trim_start_matches("http://localhost");
    let feed = app.client.get(app.url(feed_path)).send().await.unwrap();
    assert_eq!(
        feed.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    let text = feed.text().await.unwrap();
    let calendar = icalendar::Calendar::from_str(&text).unwrap();
    let summaries: Vec<String> = calendar
        .components
        .iter()
        .filter_map(|c| match c {
            icalendar::CalendarComponent::Event(e) => {
                use icalendar::Component;
                e.get_summary().map(str::to_owned)
            }
            _ => None,
        })
        .collect();
    assert!(
        summaries.len() >= 26,
        "half a year of weeks: {}",
        summaries.len()
    );
    assert!(summaries.contains(&"TiB: Anna Berg".to_owned()));
    assert!(summaries.contains(&"TiB: Bo Ek".to_owned()));
    // Anyone signed in sees who is on call, and can subscribe.
    let phone = crate::web::signed_in(&app, "anna.berg@lillby.se", Role::Member).await;
    let (status, html) = crate::web::page(&app, &phone, "/positions").await;
    assert_eq!(status, 200);
    assert!(html.contains("I beredskap nu</dt><dd>Bo Ek"), "{html}");
    assert!(html.contains(url), "the calendar address: {html}");
    let forged = feed_path.replacen("/calendar/", "/calendar/A", 1);
    assert_eq!(
        app.client
            .get(app.url(&forged))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}
