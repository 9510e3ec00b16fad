//! The channel pages as a phone without JavaScript uses them.

use crate::helpers::TestApp;
use crate::web::{browser, hidden, location, page, signed_in};
use beredskap_core::conversation::{ChannelKind, NewChannel};
use beredskap_core::register::Role;
use beredskap_core::Actor;

async fn org_channel(app: &TestApp, creator: &str) -> String {
    let creator = app.account(creator).await;
    app.store
        .create_channel(
            &Actor::system(),
            app.org.id,
            creator.id,
            NewChannel {
                kind: ChannelKind::Org,
                name: "Alla i Lillby".into(),
                classification: "Intern".into(),
                group_id: None,
                members: vec![],
            },
        )
        .await
        .unwrap()
        .id
        .to_string()
}

/// Posts the channel page's form as it was rendered (same key if sent twice).
async fn send_form(
    app: &TestApp,
    b: &reqwest::Client,
    html: &str,
    channel: &str,
    body: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let csrf = hidden(html, "csrf");
    let key = hidden(html, "key");
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("key", key.as_str()),
        ("body", body),
    ];
    form.extend_from_slice(extra);
    b.post(app.url(&format!("/c/{channel}")))
        .form(&form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn people_talk_in_a_channel_with_plain_forms() {
    let app = TestApp::spawn().await;
    let anna = signed_in(&app, "anna@lillby.se", Role::Member).await;
    let bo = signed_in(&app, "bo@lillby.se", Role::Member).await;
    let c = org_channel(&app, "anna@lillby.se").await;

    let (_, home) = page(&app, &bo, "/").await;
    assert!(home.contains(&format!("href=\"/c/{c}\"")) && home.contains("Alla i Lillby"));
    let (status, html) = page(&app, &anna, &format!("/c/{c}")).await;
    assert_eq!(status, 200);
    let r = send_form(&app, &anna, &html, &c, "Mejlen är nere; vi ses här.", &[]).await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with(&format!("/c/{c}#m-")));
    // The phone sends the same form again (a retry on a bad connection): it lands once.
    let r = send_form(&app, &anna, &html, &c, "Mejlen är nere; vi ses här.", &[]).await;
    assert_eq!(r.status(), 303);
    let (_, seen) = page(&app, &bo, &format!("/c/{c}")).await;
    assert_eq!(
        seen.matches("Mejlen är nere; vi ses här.").count(),
        1,
        "{seen}"
    );
    assert!(
        seen.contains("<span class=\"label\">Intern</span>"),
        "the label on every message"
    );
    assert!(seen.contains("Anna Berg"));

    // An empty message is refused by name, and what was typed stays.
    let r = send_form(&app, &bo, &seen, &c, "   ", &[]).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    // What is wrong, in Swedish, not only that something is.
    let empty = beredskap_core::Problem::Empty.text(beredskap_i18n::Lang::parse("sv").unwrap());
    assert!(body.contains(&format!("Meddelande: {empty}")), "{body}");

    // Bo answers in the thread and reacts.
    let start = seen.find("id=\"m-").unwrap() + 6;
    let id: String = seen[start..].chars().take_while(|c| *c != '"').collect();
    let (_, thread) = page(&app, &bo, &format!("/c/{c}/t/{id}")).await;
    let r = send_form(
        &app,
        &bo,
        &thread,
        &c,
        "Bra, jag sprider det.",
        &[("thread", &id)],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with(&format!("/c/{c}/t/{id}#m-")));
    let r = bo
        .post(app.url(&format!("/m/{id}/react")))
        .form(&[("csrf", hidden(&thread, "csrf").as_str()), ("emoji", "👍")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, channel) = page(&app, &anna, &format!("/c/{c}")).await;
    assert!(channel.contains("(1 svar)"), "{channel}");
    assert!(channel.contains("👍 1"));
    assert!(
        !channel.contains("Bra, jag sprider det."),
        "answers stay in the thread"
    );

    // Only the author edits; every version is shown.
    assert_eq!(page(&app, &bo, &format!("/m/{id}/edit")).await.0, 403);
    let (status, edit) = page(&app, &anna, &format!("/m/{id}/edit")).await;
    assert_eq!(status, 200);
    let r = anna
        .post(app.url(&format!("/m/{id}/edit")))
        .form(&[
            ("csrf", hidden(&edit, "csrf").as_str()),
            ("body", "Mejlen är nere till i morgon; vi ses här."),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, edit) = page(&app, &anna, &format!("/m/{id}/edit")).await;
    assert!(edit.contains("Mejlen är nere; vi ses här.") && edit.contains("till i morgon"));

    // The fragment live updates use is the same message.
    let (status, fragment) = page(&app, &bo, &format!("/m/{id}")).await;
    assert_eq!(status, 200);
    assert!(
        fragment.starts_with(&format!("<li id=\"m-{id}\"")),
        "{fragment}"
    );
    assert!(fragment.contains("(redigerat)"));
}

#[tokio::test]
async fn an_announcement_is_confirmed_and_the_sender_sees_who_has_read_it() {
    let app = TestApp::spawn().await;
    let lead = signed_in(&app, "lead@lillby.se", Role::CrisisLead).await;
    let anna = signed_in(&app, "anna@lillby.se", Role::Member).await;
    let c = org_channel(&app, "lead@lillby.se").await;
    let (_, html) = page(&app, &lead, &format!("/c/{c}")).await;
    assert!(html.contains("name=\"announcement\""));
    let (_, member_view) = page(&app, &anna, &format!("/c/{c}")).await;
    assert!(
        !member_view.contains("name=\"announcement\""),
        "members cannot"
    );
    let r = send_form(
        &app,
        &lead,
        &html,
        &c,
        "Från och med nu: all kommunikation här.",
        &[("announcement", "on")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let id = location(&r).split("#m-").nth(1).unwrap().to_owned();

    let (_, home) = page(&app, &anna, "/").await;
    assert!(home.contains("Att bekräfta") && home.contains("Från och med nu"));
    let (_, roster) = page(&app, &lead, &format!("/m/{id}/roster")).await;
    assert!(roster.contains("Bekräftat: 0 / 2"), "{roster}");
    let (_, channel) = page(&app, &anna, &format!("/c/{c}")).await;
    assert!(channel.contains("Jag har läst"));
    let (_, roster) = page(&app, &lead, &format!("/m/{id}/roster")).await;
    // The test's administrator has neither seen nor confirmed; Anna has seen it.
    assert_eq!(roster.matches("<td>Inte än</td>").count(), 3, "{roster}");
    assert_eq!(page(&app, &anna, &format!("/m/{id}/roster")).await.0, 403);
    let r = anna
        .post(app.url(&format!("/m/{id}/confirm")))
        .form(&[("csrf", hidden(&channel, "csrf"))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, roster) = page(&app, &lead, &format!("/m/{id}/roster")).await;
    assert!(roster.contains("Bekräftat: 1 / 2"), "{roster}");
    let (_, home) = page(&app, &anna, "/").await;
    assert!(!home.contains("Att bekräfta"));
}

#[tokio::test]
async fn guests_and_strangers_do_not_see_channels_they_are_not_in() {
    let app = TestApp::spawn().await;
    let guest = signed_in(&app, "gast@partner.se", Role::Guest).await;
    signed_in(&app, "anna@lillby.se", Role::Member).await;
    let c = org_channel(&app, "anna@lillby.se").await;
    let (_, home) = page(&app, &guest, "/").await;
    assert!(!home.contains("Alla i Lillby"));
    assert!(!home.contains("/channels/new"), "guests create no channels");
    assert_eq!(page(&app, &guest, &format!("/c/{c}")).await.0, 404);
    assert_eq!(page(&app, &guest, "/channels/new").await.0, 403);
    let (_, any) = page(&app, &guest, "/").await;
    let r = guest
        .post(app.url(&format!("/c/{c}")))
        .form(&[
            ("csrf", hidden(&any, "csrf").as_str()),
            ("key", "k"),
            ("body", "hej"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        browser()
            .get(app.url(&format!("/c/{c}")))
            .send()
            .await
            .unwrap()
            .status(),
        303,
        "signed out: to the sign-in page"
    );
}

#[tokio::test]
async fn a_member_creates_a_channel_with_chosen_people() {
    let app = TestApp::spawn().await;
    let anna = signed_in(&app, "anna@lillby.se", Role::Member).await;
    let bo = signed_in(&app, "bo@lillby.se", Role::Member).await;
    signed_in(&app, "cecilia@lillby.se", Role::Member).await;
    let (status, form) = page(&app, &anna, "/channels/new").await;
    assert_eq!(status, 200);
    assert!(
        !form.contains("value=\"org\""),
        "only leads make organisation-wide channels"
    );
    let bo_id = app.account("bo@lillby.se").await.id.to_string();
    let r = anna
        .post(app.url("/channels/new"))
        .form(&[
            ("csrf", hidden(&form, "csrf").as_str()),
            ("name", "Vattenläckan"),
            ("kind", "incident"),
            ("classification", "Begränsad"),
            ("member", &bo_id),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let path = location(&r);
    let (status, html) = page(&app, &bo, &path).await;
    assert_eq!(status, 200);
    assert!(html.contains("Vattenläckan") && html.contains("Begränsad"));
    let cecilia = signed_in(&app, "dag@lillby.se", Role::Member).await;
    assert_eq!(page(&app, &cecilia, &path).await.0, 404);
    let r = anna
        .post(app.url("/channels/new"))
        .form(&[
            ("csrf", hidden(&form, "csrf").as_str()),
            ("name", "X"),
            ("kind", "direct"),
            ("classification", "Hemlig"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    // At the field and in the summary, with what was typed kept.
    let html = r.text().await.unwrap();
    assert!(
        html.contains("<a href=\"#classification\">Klassificering: måste vara ett av: ")
            && html.contains("id=\"classification-error\"")
            && html.contains("value=\"X\""),
        "{html}"
    );
}

#[tokio::test]
async fn the_page_stream_follows_the_session() {
    use beredskap_testkit::EventStream;
    let app = TestApp::spawn().await;
    let anna = signed_in(&app, "anna@lillby.se", Role::Member).await;
    let c = org_channel(&app, "anna@lillby.se").await;
    let (_, html) = page(&app, &anna, &format!("/c/{c}")).await;
    let start = html.find("data-after=\"").unwrap() + 12;
    let after: String = html[start..].chars().take_while(|c| *c != '"').collect();
    let stream = anna
        .get(app.url(&format!("/events?after={after}")))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let mut stream = EventStream::new(stream);
    send_form(&app, &anna, &html, &c, "Syns direkt", &[]).await;
    let e = stream
        .next(std::time::Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(e.data["data"]["body"], "Syns direkt");
    assert_eq!(
        browser()
            .get(app.url("/events"))
            .send()
            .await
            .unwrap()
            .status(),
        303,
        "no stream without a session"
    );
}

#[tokio::test]
async fn a_message_is_found_again_by_search() {
    let app = TestApp::spawn().await;
    let anna = signed_in(&app, "anna@lillby.se", Role::Member).await;
    let c = org_channel(&app, "anna@lillby.se").await;
    let (_, html) = page(&app, &anna, &format!("/c/{c}")).await;
    send_form(
        &app,
        &anna,
        &html,
        &c,
        "Reservkraften <testas> på torsdag.",
        &[],
    )
    .await;
    while app.search.run_once().await.unwrap() > 0 {}
    let (status, found) = page(&app, &anna, "/search?q=reservkraft").await;
    assert_eq!(status, 200);
    assert!(
        found.contains("<b>Reservkraften</b> &lt;testas&gt; på torsdag"),
        "highlighted and escaped: {found}"
    );
    // Where, by whom and when.
    assert!(
        found.contains("Alla i Lillby · Anna Berg · <time>20"),
        "{found}"
    );
    let start = found.find("/m/").unwrap();
    let link: String = found[start..].chars().take_while(|c| *c != '"').collect();
    let r = anna.get(app.url(&link)).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with(&format!("/c/{c}#m-")));
    let (_, nothing) = page(&app, &anna, "/search?q=solförmörkelse").await;
    assert!(nothing.contains("Inga träffar."));
}

#[tokio::test]
async fn a_file_is_attached_with_the_form_and_shown_to_the_channel() {
    let app = TestApp::spawn().await;
    let anna = signed_in(&app, "anna@lillby.se", Role::Member).await;
    let bo = signed_in(&app, "bo@lillby.se", Role::Member).await;
    let guest = signed_in(&app, "gast@partner.se", Role::Guest).await;
    let c = org_channel(&app, "anna@lillby.se").await;
    let (_, html) = page(&app, &anna, &format!("/c/{c}")).await;
    assert!(html.contains("enctype=\"multipart/form-data\""));
    let form = |file: reqwest::multipart::Part| {
        reqwest::multipart::Form::new()
            .text("csrf", hidden(&html, "csrf"))
            .text("key", hidden(&html, "key"))
            .text("body", "Listan över reservlokaler")
            .part("file", file)
    };
    let csv = reqwest::multipart::Part::bytes(b"lokal;adress\nSkolan;Storgatan 1\n".to_vec())
        .file_name("reservlokaler.csv");
    let r = anna
        .post(app.url(&format!("/c/{c}")))
        .multipart(form(csv))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, seen) = page(&app, &bo, &format!("/c/{c}")).await;
    assert!(seen.contains(">reservlokaler.csv</a>"), "{seen}");
    let start = seen.find("/files/").unwrap();
    let link: String = seen[start..].chars().take_while(|c| *c != '"').collect();
    let r = bo.get(app.url(&link)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    assert_eq!(
        r.text().await.unwrap(),
        "lokal;adress\nSkolan;Storgatan 1\n"
    );
    assert_eq!(
        guest.get(app.url(&link)).send().await.unwrap().status(),
        404
    );

    // A program is refused with a reason, and the text typed is kept.
    let exe =
        reqwest::multipart::Part::bytes(b"MZ\x90\0\x03\0\0\0".to_vec()).file_name("lista.pdf");
    let (_, html) = page(&app, &anna, &format!("/c/{c}")).await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", hidden(&html, "csrf"))
        .text("key", hidden(&html, "key"))
        .text("body", "Här är listan")
        .part("file", exe);
    let r = anna
        .post(app.url(&format!("/c/{c}")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("Den sortens fil kan inte bifogas.")
            && body.contains(">Här är listan</textarea>"),
        "{body}"
    );
}

#[tokio::test]
async fn a_group_channel_starts_with_the_group() {
    use beredskap_core::register::NewGroup;
    let app = TestApp::spawn().await;
    let anna = signed_in(&app, "anna@lillby.se", Role::Member).await;
    let bo = signed_in(&app, "bo@lillby.se", Role::Member).await;
    let bo_person = app.account("bo@lillby.se").await.person_id;
    let group = app
        .store
        .create_group(
            &Actor::system(),
            app.org.id,
            NewGroup {
                slug: beredskap_core::Slug::parse("it-jour").unwrap(),
                name: "IT-jouren".into(),
            },
        )
        .await
        .unwrap();
    app.store
        .set_group_members(&Actor::system(), app.org.id, group.id, vec![bo_person])
        .await
        .unwrap();
    let (_, form) = page(&app, &anna, "/channels/new").await;
    assert!(form.contains("IT-jouren"));
    let r = anna
        .post(app.url("/channels/new"))
        .form(&[
            ("csrf", hidden(&form, "csrf").as_str()),
            ("name", "IT-jouren"),
            ("kind", "group"),
            ("group", &group.id.to_string()),
            ("classification", "Intern"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        page(&app, &bo, &location(&r)).await.0,
        200,
        "Bo is in the group"
    );
}

#[tokio::test]
async fn a_persons_language_follows_them_to_a_new_device() {
    let app = TestApp::spawn().await;
    let person = crate::web::invite(&app, "anna@lillby.se", Role::Member).await;
    let phone = browser();
    let (secret, _) = app.enrol(&phone, &person).await;
    app.sign_in(&phone, &person.login, &secret).await;
    let (_, home) = page(&app, &phone, "/").await;
    assert!(home.contains("Inloggad som"), "Swedish by default");
    let chosen = phone
        .post(app.url("/language"))
        .form(&[("csrf", hidden(&home, "csrf").as_str()), ("lang", "da")])
        .send()
        .await
        .unwrap();
    assert_eq!(chosen.status(), 303);
    let (_, home) = page(&app, &phone, "/").await;
    assert!(home.contains("Logget ind som"), "{home}");
    assert_eq!(
        app.account("anna@lillby.se").await.language.as_deref(),
        Some("da")
    );

    // A laptop with no cookies: after signing in, the pages are in Danish.
    let laptop = browser();
    app.clock.advance(chrono::Duration::seconds(30));
    app.sign_in(&laptop, &person.login, &secret).await;
    let (_, home) = page(&app, &laptop, "/").await;
    assert!(home.contains("Logget ind som"), "{home}");
    let kinds = app.journal_kinds().await;
    assert_eq!(
        kinds
            .iter()
            .filter(|k| *k == "account.language_changed")
            .count(),
        1,
        "chosen once, journaled once"
    );
}

/// The organisation's language is what its people get until they choose one; a device that
/// chose a language keeps it.
#[tokio::test]
async fn people_get_the_organisations_language_until_they_choose_their_own() {
    let app = TestApp::spawn().await;
    let admin = signed_in(&app, "it@lillby.se", Role::Admin).await;
    let (_, settings) = page(&app, &admin, "/admin/settings").await;
    assert!(
        settings.contains(r#"<option value="nb" lang="nb">Norsk bokmål</option>"#),
        "{settings}"
    );
    let saved = admin
        .post(app.url("/admin/settings"))
        .form(&[
            ("csrf", hidden(&settings, "csrf").as_str()),
            ("members_need_second_factor", "on"),
            ("time_zone", ""),
            ("language", "nb"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 200);
    let refused = admin
        .post(app.url("/admin/settings"))
        .form(&[
            ("csrf", hidden(&settings, "csrf").as_str()),
            ("language", "de"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422, "not a language of the catalogue");
    let org = app.store.org(app.org.id).await.unwrap().unwrap();
    assert_eq!(org.language_code(), "nb");

    let person = crate::web::invite(&app, "bo@lillby.se", Role::Member).await;
    let phone = browser();
    let (secret, _) = app.enrol(&phone, &person).await;
    app.sign_in(&phone, &person.login, &secret).await;
    let (_, home) = page(&app, &phone, "/").await;
    assert!(
        home.contains("Logget inn som") && home.contains(r#"<html lang="nb">"#),
        "{home}"
    );
    assert!(!home.contains("Inloggad som"), "{home}");

    // A device where Swedish was chosen before signing in stays Swedish.
    let laptop = browser();
    let (_, form) = page(&app, &laptop, "/sign-in").await;
    laptop
        .post(app.url("/language"))
        .form(&[("csrf", hidden(&form, "csrf").as_str()), ("lang", "sv")])
        .send()
        .await
        .unwrap();
    app.clock.advance(chrono::Duration::seconds(30));
    app.sign_in(&laptop, &person.login, &secret).await;
    let (_, home) = page(&app, &laptop, "/").await;
    assert!(home.contains("Inloggad som"), "{home}");
}

#[tokio::test]
async fn a_stranger_cannot_send_a_big_body_but_a_member_can_attach_a_big_file() {
    let app = TestApp::spawn().await;
    // A sign-in form of 2 MiB: refused before it is read to the end.
    let padding = "a".repeat(2 * 1024 * 1024);
    let r = reqwest::Client::new()
        .post(app.url("/sign-in"))
        .form(&[
            ("csrf", "x"),
            ("email", "a@lillby.se"),
            ("password", &padding),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    // A 3 MB text file is an ordinary attachment, by the form and by the API.
    let text = "Reservlokal;Adress\n".repeat(3_000_000 / 19).into_bytes();
    let anna = signed_in(&app, "anna@lillby.se", Role::Member).await;
    let c = org_channel(&app, "anna@lillby.se").await;
    let (_, html) = page(&app, &anna, &format!("/c/{c}")).await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", hidden(&html, "csrf"))
        .text("key", hidden(&html, "key"))
        .text("body", "Hela listan")
        .part(
            "file",
            reqwest::multipart::Part::bytes(text.clone()).file_name("lokaler.csv"),
        );
    let r = anna
        .post(app.url(&format!("/c/{c}")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let token = app.token_for(Role::Member, "bo@lillby.se").await;
    let r = app
        .client
        .post(app.url("/api/v1/orgs/lillby/attachments?filename=lokaler.csv"))
        .bearer_auth(&token)
        .body(text)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn an_administrator_reads_a_deleted_message_and_redacts_it_from_the_page() {
    let app = TestApp::spawn().await;
    let anna = signed_in(&app, "anna@lillby.se", Role::Member).await;
    let admin = signed_in(&app, "chef@lillby.se", Role::Admin).await;
    let c = org_channel(&app, "anna@lillby.se").await;
    let (_, html) = page(&app, &anna, &format!("/c/{c}")).await;
    let r = send_form(&app, &anna, &html, &c, "Personnummer 19800101-1234", &[]).await;
    let id = location(&r).rsplit("#m-").next().unwrap().to_owned();
    let r = anna
        .post(app.url(&format!("/m/{id}/delete")))
        .form(&[("csrf", hidden(&html, "csrf").as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);

    // The author sees a deleted message and no way to its text; the administrator a link.
    let (_, seen) = page(&app, &anna, &format!("/c/{c}")).await;
    assert!(seen.contains("Meddelandet är borttaget.") && !seen.contains("19800101"));
    assert!(!seen.contains(&format!("/m/{id}/redact")));
    assert_eq!(page(&app, &anna, &format!("/m/{id}/redact")).await.0, 403);
    let (_, seen) = page(&app, &admin, &format!("/c/{c}")).await;
    assert!(seen.contains(&format!("href=\"/m/{id}/redact\"")), "{seen}");
    let (status, records) = page(&app, &admin, &format!("/m/{id}/redact")).await;
    assert_eq!(status, 200);
    assert!(
        records.contains("Personnummer 19800101-1234"),
        "the records view"
    );
    assert!(records.contains("Maskera för gott"));

    // No reason: refused, nothing redacted.
    let csrf = hidden(&records, "csrf");
    let r = admin
        .post(app.url(&format!("/m/{id}/redact")))
        .form(&[("csrf", csrf.as_str()), ("reason", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let refused = r.text().await.unwrap();
    assert!(refused.contains("aria-invalid=\"true\"") && refused.contains("19800101"));
    let r = admin
        .post(app.url(&format!("/m/{id}/redact")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("reason", "Personnummer i fel kanal"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, records) = page(&app, &admin, &format!("/m/{id}/redact")).await;
    assert!(!records.contains("19800101"), "{records}");
    let (_, seen) = page(&app, &anna, &format!("/c/{c}")).await;
    assert!(
        seen.contains("Texten är maskerad av en administratör."),
        "{seen}"
    );
}

#[tokio::test]
async fn an_announcement_sent_out_from_the_composer_is_followed_on_one_roster() {
    let app = TestApp::spawn().await;
    let lead = signed_in(&app, "lead@lillby.se", Role::CrisisLead).await;
    let anna = signed_in(&app, "anna@lillby.se", Role::Member).await;
    // Eva has no account: only the register knows her.
    app.person(
        "Eva Ek",
        vec![crate::helpers::point(
            beredskap_core::register::ContactKind::Sms,
            "+46701000001",
        )],
    )
    .await;
    let c = org_channel(&app, "lead@lillby.se").await;
    let (_, html) = page(&app, &lead, &format!("/c/{c}")).await;
    assert!(html.contains("name=\"send_out\""));
    assert!(html.contains("även dem utan konto"), "said in Swedish");
    // The composer posts to the channel's own address: the page that says what was wrong
    // with a post is one the language buttons (which go back to it) and a reload can reach.
    assert!(html.contains(&format!("action=\"/c/{c}\" class=\"stack post\"")));
    let r = send_form(&app, &lead, &html, &c, "Till ingen\u{7}", &[]).await;
    assert_eq!(r.status(), 422);
    assert_eq!(page(&app, &lead, &format!("/c/{c}")).await.0, 200);
    let (_, member_view) = page(&app, &anna, &format!("/c/{c}")).await;
    assert!(!member_view.contains("name=\"send_out\""), "members cannot");
    let r = send_form(
        &app,
        &lead,
        &html,
        &c,
        "Stadshuset är stängt i dag. Arbeta hemifrån.",
        &[("send_out", "on")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let id = location(&r).split("#m-").nth(1).unwrap().to_owned();
    // It is an announcement in the app: Anna is asked to confirm it.
    let (_, home) = page(&app, &anna, "/").await;
    assert!(home.contains("Att bekräfta") && home.contains("Stadshuset är stängt"));
    // Its roster is the alert's, with Eva on it beside those with accounts.
    let r = lead
        .get(app.url(&format!("/m/{id}/roster")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let alert_page = location(&r);
    assert!(alert_page.starts_with("/alerts/"), "{alert_page}");
    let (_, roster) = page(&app, &lead, &alert_page).await;
    assert!(roster.contains("Meddelande skickat till alla"), "{roster}");
    assert!(roster.contains("Stadshuset är stängt i dag."));
    assert!(
        roster.contains("Eva Ek") && roster.contains("Anna Berg"),
        "{roster}"
    );
    assert!(
        roster.contains(&format!("/c/{c}#m-{id}")),
        "back to the message"
    );
    // Anna confirms in the app; the roster says so, in words.
    let (_, channel) = page(&app, &anna, &format!("/c/{c}")).await;
    let r = anna
        .post(app.url(&format!("/m/{id}/confirm")))
        .form(&[("csrf", hidden(&channel, "csrf"))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, roster) = page(&app, &lead, &alert_page).await;
    assert!(roster.contains("i appen"), "{roster}");
}

#[tokio::test]
async fn people_are_added_to_a_channel_after_it_was_made() {
    let app = TestApp::spawn().await;
    let lead = signed_in(&app, "lead@lillby.se", Role::CrisisLead).await;
    let anna = signed_in(&app, "anna@lillby.se", Role::Member).await;
    let guest = signed_in(&app, "gast@partner.se", Role::Guest).await;
    let lead_account = app.account("lead@lillby.se").await;
    let c = app
        .store
        .create_channel(
            &Actor::account(lead_account.id),
            app.org.id,
            lead_account.id,
            NewChannel {
                kind: ChannelKind::Incident,
                name: "Vattenläckan".into(),
                classification: "Intern".into(),
                group_id: None,
                members: vec![],
            },
        )
        .await
        .unwrap()
        .id;
    assert_eq!(page(&app, &anna, &format!("/c/{c}")).await.0, 404);
    let (_, channel) = page(&app, &lead, &format!("/c/{c}")).await;
    assert!(channel.contains(&format!("/c/{c}/members")), "{channel}");
    let (_, form) = page(&app, &lead, &format!("/c/{c}/members")).await;
    assert!(form.contains("Lägg till personer i Vattenläckan"), "{form}");
    let anna_id = app.account("anna@lillby.se").await.id.to_string();
    let anna_box = format!("value=\"{anna_id}\"");
    assert!(form.contains(&anna_box));
    // Nothing chosen: said at the list, nothing changes.
    let r = lead
        .post(app.url(&format!("/c/{c}/members")))
        .form(&[("csrf", hidden(&form, "csrf"))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let shown = r.text().await.unwrap();
    assert!(shown.contains("members-error"), "{shown}");
    // Made-up input, and an account of another organisation: named at the list, and
    // nobody is added.
    let norrby = app
        .store
        .create_org(
            &Actor::system(),
            beredskap_core::register::NewOrg::parse(
                "norrby",
                "Norrby kommun",
                beredskap_core::Region::Se,
            )
            .unwrap(),
        )
        .await
        .unwrap();
    app.token_in(&norrby, Role::Member, "x@norrby.se").await;
    let outsider = app
        .store
        .account_by_login(
            norrby.id,
            &beredskap_core::EmailAddress::parse("x@norrby.se").unwrap(),
        )
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string();
    let huge = "x".repeat(100_000);
    for bad in [outsider.as_str(), "not-an-id", huge.as_str()] {
        let r = lead
            .post(app.url(&format!("/c/{c}/members")))
            .form(&[
                ("csrf", hidden(&form, "csrf")),
                ("member", anna_id.clone()),
                ("member", bad.to_owned()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{}", &bad[..bad.len().min(40)]);
        let shown = r.text().await.unwrap();
        assert!(shown.contains("members-error"));
        assert!(!shown.contains(&huge), "the input is not echoed");
    }
    assert_eq!(page(&app, &anna, &format!("/c/{c}")).await.0, 404);
    let r = lead
        .post(app.url(&format!("/c/{c}/members")))
        .form(&[("csrf", hidden(&form, "csrf")), ("member", anna_id.clone())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(page(&app, &anna, &format!("/c/{c}")).await.0, 200);
    let (_, form) = page(&app, &lead, &format!("/c/{c}/members")).await;
    assert!(!form.contains(&anna_box), "already in it: {form}");
    // A guest cannot add people.
    assert_eq!(page(&app, &guest, &format!("/c/{c}/members")).await.0, 403);
}

#[tokio::test]
async fn channel_names_and_incident_titles_are_found_in_their_other_forms() {
    let app = TestApp::spawn().await;
    let anna = signed_in(&app, "anna@lillby.se", Role::Member).await;
    let guest = signed_in(&app, "gast@partner.se", Role::Guest).await;
    signed_in(&app, "erik@lillby.se", Role::CrisisLead).await;
    let channel = |creator: &'static str, name: &'static str| {
        let app = &app;
        async move {
            let creator = app.account(creator).await;
            app.store
                .create_channel(
                    &Actor::system(),
                    app.org.id,
                    creator.id,
                    NewChannel {
                        kind: ChannelKind::Direct,
                        name: name.into(),
                        classification: "Intern".into(),
                        group_id: None,
                        members: vec![],
                    },
                )
                .await
                .unwrap()
                .id
        }
    };
    let hers = channel("anna@lillby.se", "Stabsrummet").await;
    channel("erik@lillby.se", "Stabschefens rum").await;
    let flood = crate::status::incident(&app, "Översvämmad serverhall", false).await;

    // A compound by its part, in another form; only channels she is in.
    let (status, html) = page(&app, &anna, "/search?q=stabsrum").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!("<a href=\"/c/{hers}\">Stabsrummet</a>")),
        "{html}"
    );
    assert!(!html.contains("Stabschefens"), "{html}");
    assert!(
        html.contains("<h2 id=\"found-channels\">Kanaler</h2>"),
        "{html}"
    );
    // An incident by another form of its title's words.
    let (_, html) = page(&app, &anna, "/search?q=serverhallen+%C3%B6versv%C3%A4mning").await;
    assert!(
        html.contains(&format!(
            "<a href=\"/incidents/{flood}\">Översvämmad serverhall</a>"
        )),
        "{html}"
    );
    // The start page lists it while it is under way; a guest not invited does not see it.
    let (_, start) = page(&app, &anna, "/").await;
    assert!(
        start.contains("Pågående händelser")
            && start.contains(&format!(
                "<a href=\"/incidents/{flood}\">Översvämmad serverhall</a>"
            )),
        "{start}"
    );
    let (_, start) = page(&app, &guest, "/").await;
    assert!(!start.contains("Översvämmad"), "{start}");
    // A guest not invited to it does not learn its title.
    let (_, html) = page(&app, &guest, "/search?q=serverhall").await;
    assert!(!html.contains("Översvämmad"), "{html}");
    // Words that are not there find nothing.
    let (_, html) = page(&app, &anna, "/search?q=solf%C3%B6rm%C3%B6rkelse").await;
    assert!(!html.contains("found-channels") && html.contains("Inga träffar."));
}

/// The composer's mention suggestions: people with an account whose name, or a word of
/// it, begins with what was typed; whole-name matches first. Guests, who do not see the
/// register, get none.
#[tokio::test]
async fn mention_suggestions_name_people_with_an_account_that_fit_what_is_typed() {
    let app = TestApp::spawn().await;
    let member = signed_in(&app, "anna@lillby.se", Role::Member).await;
    let guest = signed_in(&app, "gast@lillby.se", Role::Guest).await;
    for (name, login, active) in [
        ("Erik Johansson", Some("erik@lillby.se"), true),
        ("Bo Eriksson", Some("bo@lillby.se"), true),
        ("Erika Nord", None, true),
        ("Ester Slutat", Some("ester@lillby.se"), false),
    ] {
        let person = app
            .store
            .create_person(
                &Actor::system(),
                app.org.id,
                beredskap_core::register::PersonDraft {
                    external_id: None,
                    name: name.into(),
                    title: None,
                    active,
                    contact_points: vec![],
                },
            )
            .await
            .unwrap()
            .id;
        if let Some(login) = login {
            app.store
                .create_account(
                    &Actor::system(),
                    app.org.id,
                    person,
                    beredskap_core::EmailAddress::parse(login).unwrap(),
                    Role::Member,
                )
                .await
                .unwrap();
        }
    }
    let names = |b: reqwest::Client, q: &'static str| {
        let url = app.url(&format!("/mentions?q={}", urlencoding(q)));
        async move {
            let r = b.get(url).send().await.unwrap();
            assert_eq!(r.status(), 200);
            assert_eq!(r.headers()["cache-control"], "no-store");
            r.json::<Vec<String>>().await.unwrap()
        }
    };
    assert_eq!(
        names(member.clone(), "er").await,
        ["Erik Johansson", "Bo Eriksson"]
    );
    assert_eq!(names(member.clone(), "ERIK J").await, ["Erik Johansson"]);
    assert_eq!(names(member.clone(), "es").await, Vec::<String>::new());
    assert_eq!(names(member.clone(), "").await, Vec::<String>::new());
    assert_eq!(names(guest, "er").await, Vec::<String>::new());
    let stranger = browser()
        .get(app.url("/mentions?q=er"))
        .send()
        .await
        .unwrap();
    assert_ne!(stranger.status(), 200);
}

fn urlencoding(q: &str) -> String {
    q.replace(' ', "%20")
}
