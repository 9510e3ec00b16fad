use crate::support::TestEnv;

const PEOPLE_CSV: &str = "external_id,name,title,work_mobile,private_email,groups\n\
    1001,Anna Berg,Kommundirektör,070-111 11 11,anna@example.org,krisledning\n\
    1002,Bo Ek,,070-222 22 22,,krisledning;it-jour\n\
    1003,Cecilia Dahl,IT-tekniker,,cecilia@example.org,it-jour\n";

#[tokio::test]
async fn organisations_are_listed_slug_first() {
    let env = TestEnv::sqlite();
    env.ok(&[
        "admin",
        "create-org",
        "--slug",
        "norrby",
        "--name",
        "Norrby kommun",
        "--region",
        "dk",
    ])
    .await;
    env.ok(&[
        "admin",
        "create-org",
        "--slug",
        "lillby",
        "--name",
        "Lillby kommun",
    ])
    .await;
    let out = env.ok(&["admin", "list-orgs"]).await;
    let slugs: Vec<&str> = out.lines().map(|l| l.split('\t').next().unwrap()).collect();
    assert_eq!(slugs, ["lillby", "norrby"]);
    let (code, out) = env
        .run(&["admin", "create-org", "--slug", "lillby", "--name", "Again"])
        .await;
    assert_ne!(code, 0);
    assert!(out.contains("slug"), "{out}");
    let (code, out) = env
        .run(&["admin", "create-org", "--slug", "Bad Slug", "--name", "X"])
        .await;
    assert_ne!(code, 0);
    assert!(out.contains("slug"), "{out}");
}

#[tokio::test]
async fn a_created_user_gets_an_enrolment_link_and_a_working_token() {
    let env = TestEnv::sqlite();
    env.ok(&[
        "admin",
        "create-org",
        "--slug",
        "lillby",
        "--name",
        "Lillby kommun",
    ])
    .await;
    let out = env
        .ok(&[
            "admin",
            "create-user",
            "--org",
            "lillby",
            "--email",
            "Anna@Lillby.se",
            "--name",
            "Anna Berg",
            "--role",
            "crisis_lead",
            "--mobile",
            "070-123 45 67",
        ])
        .await;
    let link = out
        .lines()
        .find(|l| l.contains("/enrol/"))
        .unwrap_or_else(|| panic!("no link in {out}"));
    assert_eq!(link.rsplit('/').next().unwrap().len(), 64);
    let (code, out) = env
        .run(&[
            "admin",
            "create-user",
            "--org",
            "lillby",
            "--email",
            "anna@lillby.se",
            "--name",
            "Anna",
        ])
        .await;
    assert_ne!(code, 0, "the same login twice: {out}");
    let (code, out) = env
        .run(&[
            "admin",
            "create-user",
            "--org",
            "lillby",
            "--email",
            "x@lillby.se",
            "--name",
            "X",
            "--role",
            "boss",
        ])
        .await;
    assert_ne!(code, 0);
    assert!(out.contains("--role"), "{out}");

    let token = env
        .ok(&[
            "admin",
            "token",
            "--org",
            "lillby",
            "--user",
            "anna@lillby.se",
        ])
        .await;
    let token = token.trim();
    assert!(token.starts_with("bsk_"));
    let server = env.serve().await;
    let r = reqwest::Client::new()
        .get(format!("{}/api/v1/orgs/lillby/people", server.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let people: serde_json::Value = r.json().await.unwrap();
    assert_eq!(people[0]["contact_points"][0]["value"], "+46701234567");
    let (code, out) = env.run(&["healthcheck", "--url", &server.base]).await;
    assert_eq!(code, 0, "{out}");
    server.kill_hard().await;
    let (code, _) = env
        .run(&["healthcheck", "--url", &server_base_gone()])
        .await;
    assert_ne!(code, 0);
    // A token that leaked is revoked by its text.
    let out = env
        .ok(&["admin", "revoke-token", "--org", "lillby", token])
        .await;
    assert!(
        out.contains("revoked token") && out.contains("anna@lillby.se"),
        "{out}"
    );
    let (code, out) = env
        .run(&["admin", "revoke-token", "--org", "lillby", token])
        .await;
    assert_ne!(code, 0, "already revoked: {out}");
    assert!(out.contains("no live token"), "{out}");
    // Tokens are read-only unless given more; the list shows scopes and revocation.
    env.ok(&[
        "admin",
        "token",
        "--org",
        "lillby",
        "--user",
        "anna@lillby.se",
        "--label",
        "sync",
        "--scope",
        "write,read",
    ])
    .await;
    let listed = env.ok(&["admin", "tokens", "--org", "lillby"]).await;
    let lines: Vec<_> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert!(
        lines[0].contains("\tread,write\tsync\t") && lines[0].ends_with("live"),
        "{listed}"
    );
    assert!(
        lines[1].contains("\tread\tcli\t") && lines[1].contains("revoked"),
        "{listed}"
    );
    let (code, out) = env
        .run(&[
            "admin",
            "token",
            "--org",
            "lillby",
            "--user",
            "anna@lillby.se",
            "--scope",
            "read,all",
        ])
        .await;
    assert_ne!(code, 0);
    assert!(out.contains("--scope"), "{out}");
    let (code, out) = env
        .run(&[
            "admin",
            "token",
            "--org",
            "lillby",
            "--user",
            "nobody@lillby.se",
        ])
        .await;
    assert_ne!(code, 0);
    assert!(out.contains("no account"), "{out}");
}

fn server_base_gone() -> String {
    // A port nothing listens on: bind one, then let it go.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

#[tokio::test]
async fn people_import_is_previewed_applied_and_idempotent() {
    let env = TestEnv::sqlite();
    env.ok(&[
        "admin",
        "create-org",
        "--slug",
        "lillby",
        "--name",
        "Lillby kommun",
    ])
    .await;
    let file = env.data_dir().join("people.csv");
    std::fs::write(&file, PEOPLE_CSV).unwrap();
    let file = file.to_str().unwrap();

    let out = env
        .ok(&["import", "people", "--org", "lillby", file, "--dry-run"])
        .await;
    assert!(out.contains("+ line 2: 1001 Anna Berg"), "{out}");
    assert!(
        out.contains("3 created, 0 updated, 0 unchanged; 2 new group(s) would be created"),
        "{out}"
    );
    assert!(out.contains("dry run: nothing was changed"));
    let verify = env.ok(&["journal", "verify"]).await;
    assert!(
        verify.contains("lillby: 1 entries"),
        "the dry run wrote nothing: {verify}"
    );

    let out = env.ok(&["import", "people", "--org", "lillby", file]).await;
    assert!(
        out.contains("3 created, 0 updated, 0 unchanged; 2 new group(s) were created"),
        "{out}"
    );
    let out = env.ok(&["import", "people", "--org", "lillby", file]).await;
    assert!(out.contains("0 created, 0 updated, 3 unchanged"), "{out}");

    std::fs::write(
        file,
        PEOPLE_CSV.replace("1002,Bo Ek,,", "1002,Bo Ek,Stabschef,"),
    )
    .unwrap();
    let out = env.ok(&["import", "people", "--org", "lillby", file]).await;
    assert!(out.contains("~ line 3: 1002 Bo Ek (title)"), "{out}");
}

#[tokio::test]
async fn a_bad_import_file_reports_lines_and_applies_nothing() {
    let env = TestEnv::sqlite();
    env.ok(&[
        "admin",
        "create-org",
        "--slug",
        "lillby",
        "--name",
        "Lillby kommun",
    ])
    .await;
    let file = env.data_dir().join("people.csv");
    let bad = format!("{PEOPLE_CSV}1004,David,,070-12,,\n1005,,,,,\n");
    std::fs::write(&file, bad).unwrap();
    let (code, out) = env
        .run(&[
            "import",
            "people",
            "--org",
            "lillby",
            file.to_str().unwrap(),
        ])
        .await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("line 5, column work_mobile"), "{out}");
    assert!(out.contains("line 6, column name"), "{out}");
    assert!(out.contains("nothing was imported"), "{out}");
    let verify = env.ok(&["journal", "verify"]).await;
    assert!(verify.contains("lillby: 1 entries"), "{verify}");
    let (code, out) = env
        .run(&[
            "import",
            "people",
            "--org",
            "nowhere",
            file.to_str().unwrap(),
        ])
        .await;
    assert_ne!(code, 0);
    assert!(out.contains("no organisation"), "{out}");
}

#[tokio::test]
async fn journal_verify_finds_an_edited_row() {
    use sqlx::{Connection, Executor};
    let env = TestEnv::sqlite();
    env.org_with_admin().await;
    let out = env.ok(&["journal", "verify"]).await;
    assert!(out.contains("chain intact"), "{out}");
    let mut db =
        sqlx::SqliteConnection::connect(&format!("sqlite://{}", env.sqlite_file().display()))
            .await
            .unwrap();
    db.execute("DROP TRIGGER journal_append_only_update")
        .await
        .unwrap();
    db.execute("UPDATE journal SET actor = 'cli:mallory' WHERE seq = 2")
        .await
        .unwrap();
    db.close().await.unwrap();
    let (code, out) = env.run(&["journal", "verify"]).await;
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("lillby: BROKEN at seq 2"), "{out}");
}

#[tokio::test]
async fn a_signed_checkpoint_catches_rows_cut_from_the_end_and_a_rewound_head() {
    use sqlx::{Connection, Executor, Row};
    let env = TestEnv::sqlite();
    env.org_with_admin().await;
    let out = env.ok(&["journal", "checkpoint"]).await;
    let path = out
        .lines()
        .find_map(|l| l.strip_prefix("checkpoint written to "))
        .unwrap_or_else(|| panic!("{out}"))
        .to_owned();
    let signed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let head = signed["heads"][0]["seq"].as_i64().unwrap();
    assert!(head >= 3, "{signed}");
    let out = env.ok(&["journal", "verify", "--checkpoint", &path]).await;
    assert!(out.contains("lillby: holds the checkpoint of"), "{out}");

    // Someone with the database file cuts the last two rows and moves the head back.
    let keep = head - 2;
    let mut db =
        sqlx::SqliteConnection::connect(&format!("sqlite://{}", env.sqlite_file().display()))
            .await
            .unwrap();
    db.execute("DROP TRIGGER journal_append_only_delete")
        .await
        .unwrap();
    db.execute(format!("DELETE FROM journal WHERE seq > {keep}").as_str())
        .await
        .unwrap();
    let hash: String = db
        .fetch_one(format!("SELECT hash FROM journal WHERE seq = {keep}").as_str())
        .await
        .unwrap()
        .get("hash");
    db.execute(format!("UPDATE journal_heads SET seq = {keep}, hash = '{hash}'").as_str())
        .await
        .unwrap();
    db.close().await.unwrap();
    // The chain alone cannot tell...
    let out = env.ok(&["journal", "verify"]).await;
    assert!(out.contains("chain intact"), "{out}");
    // ...the checkpoint can.
    let (code, out) = env.run(&["journal", "verify", "--checkpoint", &path]).await;
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("lillby: BROKEN against the checkpoint")
            && out.contains(&format!(
                "ends at seq {keep}, before the signed head at seq {head}"
            )),
        "{out}"
    );

    // New rows written over the cut: the row at the signed seq is another one.
    for login in ["a@lillby.se", "b@lillby.se", "c@lillby.se"] {
        env.ok(&[
            "admin",
            "create-user",
            "--org",
            "lillby",
            "--email",
            login,
            "--name",
            "X",
        ])
        .await;
    }
    let (code, out) = env.run(&["journal", "verify", "--checkpoint", &path]).await;
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("the journal was rewritten"), "{out}");

    // A checkpoint is believed only with this server's key.
    let (code, out) = env
        .run(&[
            "journal",
            "verify",
            "--checkpoint",
            &path,
            "--public-key",
            &"00".repeat(32),
        ])
        .await;
    assert_ne!(code, 0);
    assert!(out.contains("signed with another key"), "{out}");
    let mut forged = signed.clone();
    forged["heads"][0]["seq"] = serde_json::json!(keep);
    let forged_path = env.data_dir().join("forged.json");
    std::fs::write(&forged_path, forged.to_string()).unwrap();
    let (code, out) = env
        .run(&[
            "journal",
            "verify",
            "--checkpoint",
            forged_path.to_str().unwrap(),
        ])
        .await;
    assert_ne!(code, 0);
    assert!(out.contains("signature is not valid"), "{out}");
}

#[tokio::test]
async fn databases_are_chosen_carefully() {
    let env = TestEnv::sqlite();
    let mut cmd = env.command(&["migrate"]);
    cmd.env("BEREDSKAP_DATABASE_URL", "mysql://root@localhost/b");
    let out = cmd.output().await.unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unsupported database URL scheme \"mysql\"")
    );

    let typo = env.data_dir().join("typo.db");
    let url = format!("sqlite://{}", typo.display());
    let out = env
        .command(&["migrate"])
        .env("BEREDSKAP_DATABASE_URL", &url)
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
    assert!(!typo.exists(), "a typo must not create a database");
    let out = env
        .command(&["migrate", "--create"])
        .env("BEREDSKAP_DATABASE_URL", &url)
        .output()
        .await
        .unwrap();
    assert!(out.status.success());
    assert!(typo.exists());

    // The default database in the data directory is created without asking.
    env.ok(&["migrate"]).await;
    assert!(env.sqlite_file().exists());
}

#[tokio::test]
async fn configuration_is_checked_and_explained() {
    let env = TestEnv::sqlite();
    let example = env.ok(&["config", "example"]).await;
    let file = env.data_dir().join("beredskap.toml");
    std::fs::write(&file, &example).unwrap();
    let out = env
        .ok(&["--config", file.to_str().unwrap(), "config", "check"])
        .await;
    assert!(out.contains("configuration is valid"), "{out}");
    std::fs::write(
        &file,
        "version = 1\nlisten = \"127.0.0.1:9\"\nlogfilter = \"debug\"\n",
    )
    .unwrap();
    let (code, out) = env
        .run(&["--config", file.to_str().unwrap(), "config", "check"])
        .await;
    assert_ne!(code, 0);
    assert!(out.contains("logfilter"), "{out}");
    let out = env
        .command(&["config", "check"])
        .env("BEREDSKAP_DATABASE_URL", "postgres://app:hunter2@db/b")
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("postgres://app:***@db/b") && !text.contains("hunter2"),
        "{text}"
    );
    let (code, out) = env
        .run(&["--config", "/nonexistent/beredskap.toml", "config", "check"])
        .await;
    assert_ne!(code, 0);
    assert!(out.contains("does not exist"), "{out}");
    // The file named in the environment, as the systemd unit names it, is read and is
    // not itself taken for a setting.
    std::fs::write(&file, "version = 1\ncheckpoint_minutes = 7\n").unwrap();
    let out = env
        .command(&["config", "check"])
        .env("BEREDSKAP_CONFIG", &file)
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("checkpoint_minutes = 7"), "{text}");
}

#[tokio::test]
async fn an_enrolment_link_is_sent_to_the_private_address_given() {
    let Some(sink) = beredskap_testkit::SmtpSink::start(
        "an_enrolment_link_is_sent_to_the_private_address_given",
    )
    .await
    else {
        return;
    };
    let env = TestEnv::sqlite();
    env.ok(&[
        "admin",
        "create-org",
        "--slug",
        "lillby",
        "--name",
        "Lillby kommun",
    ])
    .await;
    let mut cmd = env.command(&[
        "admin",
        "create-user",
        "--org",
        "lillby",
        "--email",
        "anna@lillby.se",
        "--name",
        "Anna Berg",
        "--private-email",
        "anna.privat@example.org",
        "--send",
    ]);
    cmd.env("BEREDSKAP_SMTP__HOST", "127.0.0.1")
        .env("BEREDSKAP_SMTP__PORT", sink.port.to_string())
        .env("BEREDSKAP_SMTP__SECURITY", "none")
        .env(
            "BEREDSKAP_SMTP__FROM",
            "Beredskap Lillby <beredskap@lillby.example>",
        );
    let out = cmd.output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("sent by email to an***@example.org"),
        "{stdout}"
    );
    let link = stdout
        .lines()
        .find(|l| l.contains("/enrol/"))
        .unwrap()
        .trim();
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    let mail = mailparse::parse_mail(&messages[0]).unwrap();
    assert!(mail.get_body().unwrap().contains(link));

    // Without a reachable address the account is still made, and the operator is told.
    let (code, out) = env
        .run(&[
            "admin",
            "create-user",
            "--org",
            "lillby",
            "--email",
            "bo@lillby.se",
            "--name",
            "Bo Ek",
            "--send",
        ])
        .await;
    assert_ne!(code, 0);
    assert!(
        out.contains("the account was created, but the link was not sent"),
        "{out}"
    );
}

#[tokio::test]
async fn sign_in_settings_are_shown_and_changed_per_organisation() {
    let env = TestEnv::sqlite();
    env.ok(&[
        "admin",
        "create-org",
        "--slug",
        "lillby",
        "--name",
        "Lillby kommun",
    ])
    .await;
    let out = env.ok(&["admin", "org-settings", "--org", "lillby"]).await;
    assert!(
        out.contains("fallback-sign-in = off") && out.contains("second-factor = required"),
        "{out}"
    );
    assert!(
        out.contains("classifications = Öppen,Intern,Begränsad"),
        "Swedish labels by default: {out}"
    );
    let out = env
        .ok(&[
            "admin",
            "org-settings",
            "--org",
            "lillby",
            "--classifications",
            "Öppen, Intern,Begränsad,Sekretess",
        ])
        .await;
    assert!(
        out.contains("classifications = Öppen,Intern,Begränsad,Sekretess"),
        "{out}"
    );
    let (code, out) = env
        .run(&[
            "admin",
            "org-settings",
            "--org",
            "lillby",
            "--classifications",
            "Intern,Intern",
        ])
        .await;
    assert_ne!(code, 0);
    assert!(out.contains("classifications[1]"), "names the label: {out}");
    let out = env
        .ok(&[
            "admin",
            "org-settings",
            "--org",
            "lillby",
            "--fallback-sign-in",
            "on",
            "--second-factor",
            "optional",
        ])
        .await;
    assert!(
        out.contains("fallback-sign-in = on") && out.contains("second-factor = optional"),
        "{out}"
    );
    let out = env
        .ok(&[
            "admin",
            "org-settings",
            "--org",
            "lillby",
            "--second-factor",
            "required",
        ])
        .await;
    assert!(
        out.contains("fallback-sign-in = on") && out.contains("second-factor = required"),
        "{out}"
    );
    let (code, _) = env
        .run(&[
            "admin",
            "org-settings",
            "--org",
            "lillby",
            "--second-factor",
            "maybe",
        ])
        .await;
    assert_ne!(code, 0);
    let out = env.ok(&["admin", "org-settings", "--org", "lillby"]).await;
    assert!(out.contains("language = sv (the region's)"), "{out}");
    let out = env
        .ok(&[
            "admin",
            "org-settings",
            "--org",
            "lillby",
            "--language",
            "nb",
        ])
        .await;
    assert!(
        out.contains("language = nb\n") || out.ends_with("language = nb"),
        "{out}"
    );
    let (code, out) = env
        .run(&[
            "admin",
            "org-settings",
            "--org",
            "lillby",
            "--language",
            "de",
        ])
        .await;
    assert_ne!(code, 0);
    assert!(
        out.contains("--language: must be one of da, en, nb, sv"),
        "{out}"
    );
    // Created, three settings changes and one change of labels; refusals leave no entry.
    let verify = env.ok(&["journal", "verify"]).await;
    assert!(
        verify.contains("lillby: 5 entries, chain intact"),
        "{verify}"
    );
}

#[tokio::test]
async fn the_search_index_is_rebuilt_from_the_journal() {
    use serde_json::json;
    let env = TestEnv::sqlite();
    let token = env.org_with_admin().await;
    let server = env.serve().await;
    let client = reqwest::Client::new();
    let channel: serde_json::Value = client
        .post(format!("{}/api/v1/orgs/lillby/channels", server.base))
        .bearer_auth(&token)
        .json(&json!({"kind": "org", "name": "Alla", "classification": "Intern"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let messages = format!(
        "{}/api/v1/orgs/lillby/channels/{}/messages",
        server.base,
        channel["id"].as_str().unwrap()
    );
    for body in ["Reservkraften startade kl. 03.10.", "Alla larm fungerar."] {
        let r = client
            .post(&messages)
            .bearer_auth(&token)
            .json(&json!({ "body": body }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    // While the server holds the index, a rebuild is refused and changes nothing.
    let (code, out) = env.run(&["search", "rebuild"]).await;
    assert_ne!(code, 0);
    assert!(out.contains("stop the server first"), "{out}");
    server.kill_hard().await;

    let out = env.ok(&["search", "rebuild"]).await;
    assert!(out.contains("search index rebuilt"), "{out}");
    let server = env.serve().await;
    let hits: serde_json::Value = client
        .get(format!(
            "{}/api/v1/orgs/lillby/search?q=reservkraft",
            server.base
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(hits.as_array().unwrap().len(), 1, "{hits}");
    server.kill_hard().await;
}

#[tokio::test]
async fn journal_verify_reports_who_redacted_what_and_when() {
    use serde_json::json;
    let env = TestEnv::sqlite();
    let token = env.org_with_admin().await;
    let server = env.serve().await;
    let client = reqwest::Client::new();
    let api = |path: &str| format!("{}/api/v1/orgs/lillby/{path}", server.base);
    let channel: serde_json::Value = client
        .post(api("channels"))
        .bearer_auth(&token)
        .json(&json!({"kind": "org", "name": "Alla", "classification": "Intern"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let posted: serde_json::Value = client
        .post(api(&format!(
            "channels/{}/messages",
            channel["id"].as_str().unwrap()
        )))
        .bearer_auth(&token)
        .json(&json!({"body": "Personnummer 19800101-1234"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r = client
        .post(api(&format!(
            "messages/{}/redact",
            posted["id"].as_str().unwrap()
        )))
        .bearer_auth(&token)
        .json(&json!({"reason": "Personnummer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    server.kill_hard().await;
    let out = env.ok(&["journal", "verify"]).await;
    assert!(out.contains("chain intact"), "{out}");
    let seq = posted["seq"].as_i64().unwrap();
    let line = out
        .lines()
        .find(|l| l.contains(&format!("seq {seq} redacted by account:")))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains(" at 20"), "with the time: {line}");
}

#[tokio::test]
async fn notify_test_sends_through_the_configured_sms_provider() {
    use beredskap_testkit::FakeSmsGateway;
    let env = TestEnv::sqlite();
    let (code, out) = env.run(&["notify", "test", "--to", "070-174 06 05"]).await;
    assert_ne!(code, 0);
    assert!(out.contains("no [sms] is configured"), "{out}");
    let gateway = FakeSmsGateway::start().await.unwrap();
    let password = gateway.password.clone();
    let mut cmd = env.command(&["notify", "test", "--to", "070-174 06 05"]);
    cmd.env("BEREDSKAP_SMS__PROVIDER", "46elks")
        .env("BEREDSKAP_SMS__URL", &gateway.url)
        .env("BEREDSKAP_SMS__USERNAME", &gateway.username)
        .env("BEREDSKAP_SMS__PASSWORD", &password)
        .env("BEREDSKAP_SMS__SENDER", "Beredskap");
    let out = cmd.output().await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("sent by 46elks"), "{text}");
    assert!(
        !text.contains("+46701740605"),
        "the number is masked: {text}"
    );
    let sent = gateway.received();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, "+46701740605");
    let (code, out) = env.run(&["notify", "test", "--to", "12"]).await;
    assert_ne!(code, 0);
    assert!(out.contains("--to"), "{out}");
}

#[tokio::test]
async fn an_operator_sends_follows_and_closes_an_alert() {
    let env = TestEnv::sqlite();
    env.ok(&[
        "admin",
        "create-org",
        "--slug",
        "lillby",
        "--name",
        "Lillby kommun",
    ])
    .await;
    env.import_people(PEOPLE_CSV).await;
    let send = |extra: &[&'static str]| {
        let mut args = vec![
            "alert",
            "send",
            "--org",
            "lillby",
            "--message",
            "Strömavbrott. Kan du komma?",
            "--option",
            "Ja",
            "--option",
            "Nej",
        ];
        args.extend_from_slice(extra);
        args
    };
    let (code, out) = env.run(&send(&["--group", "ingen"])).await;
    assert_ne!(code, 0);
    assert!(out.contains("--group \"ingen\": no such group"), "{out}");
    let (code, out) = env.run(&send(&[])).await;
    assert_ne!(code, 0);
    assert!(
        out.contains("--group/--position/--person: must name"),
        "{out}"
    );
    let (code, out) = env
        .run(&send(&["--group", "krisledning", "--repeats", "11"]))
        .await;
    assert_ne!(code, 0);
    assert!(out.contains("--repeats: must be 0 to 10"), "{out}");

    let out = env
        .ok(&send(&["--group", "krisledning", "--exercise"]))
        .await;
    assert!(
        out.contains("sent to 2 people (0 cannot be reached)"),
        "{out}"
    );
    let id = out.split_whitespace().nth(1).unwrap().to_owned();
    assert!(out.contains(&format!("/alerts/{id}")));
    let list = env.ok(&["alert", "list", "--org", "lillby"]).await;
    assert!(
        list.contains(&id) && list.contains("EXERCISE  0/2 answered"),
        "{list}"
    );
    let show = env.ok(&["alert", "show", "--org", "lillby", &id]).await;
    assert!(
        show.contains("Anna Berg") && show.contains("waiting"),
        "{show}"
    );
    let csv = env
        .ok(&["alert", "show", "--org", "lillby", &id, "--csv"])
        .await;
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.contains(",Bo Ek,group:krisledning,waiting,"), "{csv}");
    let closed = env.ok(&["alert", "close", "--org", "lillby", &id]).await;
    assert!(closed.contains("is Resolved"), "{closed}");
    let (code, out) = env.run(&["alert", "close", "--org", "lillby", &id]).await;
    assert_ne!(code, 0);
    assert!(out.contains("already closed"), "{out}");
    let verify = env.ok(&["journal", "verify"]).await;
    assert!(verify.contains("chain intact"), "{verify}");
}

#[tokio::test]
async fn an_operator_puts_a_position_on_a_rotation_and_sees_the_weeks_ahead() {
    let env = TestEnv::sqlite();
    env.ok(&[
        "admin",
        "create-org",
        "--slug",
        "lillby",
        "--name",
        "Lillby kommun",
    ])
    .await;
    env.import_people(PEOPLE_CSV).await;
    {
        let store = beredskap_store::open(
            &beredskap_store::DatabaseUrl::Sqlite(env.sqlite_file()),
            &beredskap_store::OpenOptions::default(),
        )
        .await
        .unwrap();
        let org = store
            .org_by_slug(&beredskap_core::Slug::parse("lillby").unwrap())
            .await
            .unwrap()
            .unwrap();
        store
            .create_position(
                &beredskap_core::Actor::system(),
                org.id,
                beredskap_core::register::NewPosition {
                    slug: beredskap_core::Slug::parse("tib").unwrap(),
                    name: "TiB".into(),
                },
            )
            .await
            .unwrap();
    }
    let starts = (chrono::Utc::now() - chrono::Duration::days(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (code, out) = env
        .run(&[
            "rotation",
            "set",
            "--org",
            "lillby",
            "--position",
            "tib",
            "--starts",
            "måndag",
            "--member",
            "1001",
        ])
        .await;
    assert_ne!(code, 0);
    assert!(out.contains("--starts \"måndag\""), "{out}");
    let (code, out) = env
        .run(&[
            "rotation",
            "set",
            "--org",
            "lillby",
            "--position",
            "tib",
            "--starts",
            &starts,
            "--member",
            "9999",
        ])
        .await;
    assert_ne!(code, 0);
    assert!(out.contains("--member \"9999\": no such person"), "{out}");
    env.ok(&[
        "rotation",
        "set",
        "--org",
        "lillby",
        "--position",
        "tib",
        "--starts",
        &starts,
        "--member",
        "1001",
        "--member",
        "1002",
    ])
    .await;
    let show = env
        .ok(&[
            "rotation",
            "show",
            "--org",
            "lillby",
            "--position",
            "tib",
            "--weeks",
            "2",
        ])
        .await;
    assert!(show.contains("TiB now: Anna Berg"), "{show}");
    assert!(show.contains("Bo Ek"), "next week: {show}");
    assert!(show.contains("/calendar/"), "{show}");
}

#[tokio::test]
async fn a_second_server_on_the_same_data_directory_is_refused_and_names_the_first() {
    let env = TestEnv::sqlite();
    env.org_with_admin().await;
    let first = env.serve().await;
    let pid = first.child.id().unwrap();
    let (code, out) = env.run(&["serve"]).await;
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains(&format!("process {pid}")) && out.contains("data directory"),
        "{out}"
    );
    // Once the first is gone (even by kill -9), the directory is free again.
    first.kill_hard().await;
    let second = env.serve().await;
    second.kill_hard().await;
}

/// `healthcheck` without `--url` asks the configured address, over HTTPS with the
/// certificate's name when the server terminates TLS (it spoke plain HTTP to it before).
#[tokio::test]
async fn the_healthcheck_follows_the_configured_scheme_and_address() {
    let env = TestEnv::sqlite();
    env.org_with_admin().await;
    let certified =
        rcgen::generate_simple_self_signed(vec!["beredskap.lillby.se".to_string()]).unwrap();
    let (cert, key) = (
        env.dir.path().join("cert.pem"),
        env.dir.path().join("key.pem"),
    );
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    let tls = [
        ("BEREDSKAP_TLS_CERT_FILE", cert.display().to_string()),
        ("BEREDSKAP_TLS_KEY_FILE", key.display().to_string()),
        (
            "BEREDSKAP_PUBLIC_URL",
            "https://beredskap.lillby.se".to_owned(),
        ),
    ];
    let server = env.serve_with(&tls).await;
    assert!(
        server.base.starts_with("https://127.0.0.1:"),
        "{}",
        server.base
    );
    let port = server.base.rsplit(':').next().unwrap().to_owned();
    let listen = ("BEREDSKAP_LISTEN", format!("0.0.0.0:{port}"));
    let mut settings = tls.to_vec();
    settings.push(listen.clone());
    let (code, out) = env.run_with(&["healthcheck"], &settings).await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("ready: https://beredskap.lillby.se:{port}/readyz")),
        "{out}"
    );
    // Without the TLS settings it speaks plain HTTP to the TLS port, and says so.
    let (code, out) = env.run_with(&["healthcheck"], &[listen]).await;
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains(&format!("not ready: http://127.0.0.1:{port}/readyz")),
        "{out}"
    );
    server.kill_hard().await;

    let server = env.serve().await;
    let port = server.base.rsplit(':').next().unwrap().to_owned();
    let (code, out) = env
        .run_with(
            &["healthcheck"],
            &[("BEREDSKAP_LISTEN", format!("127.0.0.1:{port}"))],
        )
        .await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("ready: http://127.0.0.1:{port}/readyz")),
        "{out}"
    );
    server.kill_hard().await;
}

/// An alert sent at the command line wakes the running server's delivery worker, as one sent
/// through the API does: with the worker's round set to an hour, both reach the SMS gateway
/// within seconds, so neither waited for a poll.
#[tokio::test]
async fn an_alert_sent_at_the_command_line_goes_out_as_fast_as_one_sent_through_the_api() {
    command_line_alerts_wake_the_server(TestEnv::sqlite()).await;
}

#[tokio::test]
async fn an_alert_sent_at_the_command_line_wakes_a_server_on_postgres() {
    let Some(env) = TestEnv::postgres("command_line_alerts_wake_the_server").await else {
        return;
    };
    command_line_alerts_wake_the_server(env).await;
}

async fn command_line_alerts_wake_the_server(env: TestEnv) {
    use beredskap_testkit::FakeSmsGateway;
    use std::time::{Duration, Instant};
    let token = env.org_with_admin().await;
    env.import_people(PEOPLE_CSV).await;
    let gateway = FakeSmsGateway::start().await.unwrap();
    let mut settings = TestEnv::webhook_sms(&gateway);
    // A round an hour apart: only a wake-up gets a message out within the test.
    settings.push(("BEREDSKAP_DELIVERY_WORKER_SECONDS", "3600".to_owned()));
    let server = env.serve_with(&settings).await;
    // The worker's first round runs at start; let it pass so it cannot carry what follows.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let reached = |to: &'static str| {
        let gateway = &gateway;
        async move {
            let start = Instant::now();
            tokio::time::timeout(Duration::from_secs(20), async {
                while !gateway.received().iter().any(|m| m.to == to) {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
            .await
            .unwrap_or_else(|_| panic!("nothing reached {to} within 20 s"));
            start.elapsed()
        }
    };

    env.ok(&[
        "alert",
        "send",
        "--org",
        "lillby",
        "--message",
        "Strömavbrott i stadshuset.",
        "--person",
        "1001",
    ])
    .await;
    let by_command_line = reached("+46701111111").await;

    let client = reqwest::Client::new();
    let people: serde_json::Value = client
        .get(format!("{}/api/v1/orgs/lillby/people", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bo = people
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["external_id"] == "1002")
        .unwrap()["id"]
        .clone();
    let sent = client
        .post(format!("{}/api/v1/orgs/lillby/alerts", server.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "message": "Strömavbrott i stadshuset.",
            "severity": "critical",
            "recipients": {"people": [bo]},
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 201);
    let by_api = reached("+46702222222").await;
    // Seconds at most either way on a loaded machine; an hour if either waited for a round.
    assert!(
        by_command_line < Duration::from_secs(10) && by_api < Duration::from_secs(10),
        "command line {by_command_line:?}, API {by_api:?}"
    );
    server.kill_hard().await;
    env.cleanup().await;
}

#[tokio::test]
async fn a_demo_language_the_catalogue_lacks_is_refused_by_name() {
    let env = TestEnv::sqlite();
    let (code, out) = env
        .run(&["serve", "--demo", "--demo-language", "no", "--create"])
        .await;
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("--demo-language \"no\"") && out.contains("sv, da, nb, en"),
        "{out}"
    );
}

#[tokio::test]
async fn external_contacts_are_imported_whole_or_not_at_all() {
    let env = TestEnv::sqlite();
    env.create_lillby().await;
    let file = env.data_dir().join("contacts.csv");
    let path = file.to_str().unwrap();
    std::fs::write(
        &file,
        "name,organisation,phone,email,call_for,category\n\
         SOS Alarm,,112,,livshotande läge,Myndigheter\n\
         Driftstörning,Telia,020-20 20 20,,fiberavbrott,Leverantörer\n",
    )
    .unwrap();
    let out = env
        .ok(&["import", "contacts", "--org", "lillby", path])
        .await;
    assert!(out.contains("2 external contact(s)"), "{out}");
    std::fs::write(&file, "name,phone,call_for\nVattenfall,070-1,elavbrott\n").unwrap();
    let (code, out) = env
        .run(&["import", "contacts", "--org", "lillby", path])
        .await;
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("line 2, column phone") && out.contains("nothing was imported"),
        "{out}"
    );
    // The first import and nothing of the second is in the journal.
    let verify = env.ok(&["journal", "verify"]).await;
    assert!(verify.contains("lillby: 2 entries"), "{verify}");
}

#[tokio::test]
async fn the_priority_list_is_imported_whole_and_problems_never_show_a_citizen() {
    let env = TestEnv::sqlite();
    env.create_lillby().await;
    let file = env.data_dir().join("prioritet.csv");
    let path = file.to_str().unwrap();
    std::fs::write(
        &file,
        "name,address,phone,need,contact_person\n\
         Astrid Holm,Storgatan 12,070-174 06 94,Trygghetslarm,Lars Holm\n\
         Gösta Ek,Byvägen 3,,Syrgas,\n",
    )
    .unwrap();
    let out = env
        .ok(&["import", "priority-list", "--org", "lillby", path])
        .await;
    assert!(
        out.contains("2 citizen(s) on the priority list of lillby")
            && out.contains("nobody opens it yet"),
        "{out}"
    );
    // A column beyond the five, and a bad number: refused by line and column, and the
    // details on those lines are not repeated.
    std::fs::write(
        &file,
        "name,address,need,personnummer\nAstrid Holm,Storgatan 12,Larm,19400101-1234\n",
    )
    .unwrap();
    let (code, out) = env
        .run(&["import", "priority-list", "--org", "lillby", path])
        .await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(":1: personnummer:"), "{out}");
    assert!(
        !out.contains("19400101") && !out.contains("Astrid"),
        "{out}"
    );
    std::fs::write(
        &file,
        "name,address,phone,need\nAstrid Holm,Storgatan 12,12,Larm\n",
    )
    .unwrap();
    let (code, out) = env
        .run(&["import", "priority-list", "--org", "lillby", path])
        .await;
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(":2: phone:") && !out.contains("Astrid"),
        "{out}"
    );
    // The first import and nothing of the others is in the journal.
    let verify = env.ok(&["journal", "verify"]).await;
    assert!(verify.contains("lillby: 2 entries"), "{verify}");
}

#[tokio::test]
async fn a_plan_file_is_imported_as_a_new_version_and_exported_back() {
    let env = TestEnv::sqlite();
    env.create_lillby().await;
    let file = env.data_dir().join("e-post.yaml");
    let path = file.to_str().unwrap();
    std::fs::write(
        &file,
        "title: E-posten fungerar inte\nactivation:\n  criteria:\n    - Två timmar utan e-post.\n",
    )
    .unwrap();
    let out = env.ok(&["import", "plan", "--org", "lillby", path]).await;
    assert!(
        out.contains("plan e-post of lillby") && out.contains("version 1"),
        "{out}"
    );
    // The same file again changes nothing; a changed one is version 2.
    let out = env.ok(&["import", "plan", "--org", "lillby", path]).await;
    assert!(out.contains("version 1"), "{out}");
    std::fs::write(
        &file,
        "title: E-posten fungerar inte\nalarm:\n  positions: [tib]\n  message: Nere\n  severity: akut\n",
    )
    .unwrap();
    let (code, out) = env.run(&["import", "plan", "--org", "lillby", path]).await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("e-post.yaml:3: alarm.positions[0]"), "{out}");
    assert!(out.contains("e-post.yaml:5: alarm.severity"), "{out}");
    assert!(
        out.contains("2 problem(s) found; nothing was imported"),
        "{out}"
    );
    let out = env
        .ok(&["export", "plan", "--org", "lillby", "--slug", "e-post"])
        .await;
    assert!(
        out.contains("title: E-posten fungerar inte") && out.contains("Två timmar utan e-post."),
        "{out}"
    );
}

#[tokio::test]
async fn the_status_site_is_exported_as_files_and_again_after_every_change() {
    use beredskap_core::continuity::status::PublicContacts;
    let env = TestEnv::sqlite();
    env.create_lillby().await;
    let site = env.dir.path().join("site");
    let out = site.to_str().unwrap();
    let said = env
        .ok(&[
            "export",
            "status-site",
            "--org",
            "lillby",
            "--out",
            out,
            "--base-url",
            "https://status.lillby.se/",
        ])
        .await;
    assert!(said.contains("files under"), "{said}");
    let dir = site.join("status/lillby");
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    // The organisation's language at the plain names, each language at its own, linked
    // as files; the feeds' addresses are the second host's.
    let page = read("index.html");
    assert_eq!(page, read("index.sv.html"));
    assert!(page.contains("Lillby kommun: Driftläge"), "{page}");
    assert!(page.contains("href=\"index.da.html\"") && page.contains("href=\"feed.sv.atom\""));
    assert!(page.contains("href=\"../../static/app.css\""));
    assert!(read("index.da.html").contains("Driftstatus"));
    assert!(read("feed.atom").contains("https://status.lillby.se/status/lillby/feed.sv.atom"));
    assert!(read("feed.en.json").contains("\"https://jsonfeed.org/version/1.1\""));
    assert!(read("cap.xml").contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">"));
    assert!(site.join("static/app.css").exists());

    // Kept up to date: a change made meanwhile is in the files within seconds.
    let mut follower = env
        .command(&[
            "export",
            "status-site",
            "--org",
            "lillby",
            "--out",
            out,
            "--every-change",
        ])
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let store = beredskap_store::open(
        &beredskap_store::DatabaseUrl::Sqlite(env.sqlite_file()),
        &beredskap_store::OpenOptions::default(),
    )
    .await
    .unwrap();
    let org = store
        .org_by_slug(&beredskap_core::Slug::parse("lillby").unwrap())
        .await
        .unwrap()
        .unwrap();
    let ways = PublicContacts {
        phone: Some("+46480450000".into()),
        ..Default::default()
    };
    store
        .set_public_contacts(
            &beredskap_core::Actor::cli("test"),
            org.id,
            ways,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let mut found = false;
    for _ in 0..100 {
        if read("index.html").contains("tel:+46480450000") {
            found = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    follower.kill().await.unwrap();
    assert!(
        found,
        "the change reached the files: {}",
        read("index.html")
    );
}

#[tokio::test]
async fn subscribers_are_counted_without_addresses_and_erased_on_request() {
    use beredskap_core::continuity::subscriptions::NewSubscriptionRequest;
    use beredskap_core::register::ContactKind;
    let env = TestEnv::sqlite();
    env.create_lillby().await;
    let store = env.store().await;
    let org = store
        .org_by_slug(&beredskap_core::Slug::parse("lillby").unwrap())
        .await
        .unwrap()
        .unwrap();
    let now = chrono::Utc::now();
    for (channel, address) in [
        (ContactKind::Sms, "+46701234567"),
        (ContactKind::Email, "anna@example.org"),
    ] {
        let request = store
            .request_subscription(
                org.id,
                NewSubscriptionRequest {
                    channel,
                    address: address.into(),
                    services: vec![],
                    lang: "sv".into(),
                },
                now,
            )
            .await
            .unwrap();
        store
            .confirm_subscription(&beredskap_core::Actor::public(), org.id, request.id, now)
            .await
            .unwrap();
    }
    let counts = env.ok(&["subscribers", "count", "--org", "lillby"]).await;
    assert!(
        counts.contains("email\t1") && counts.contains("sms\t1"),
        "{counts}"
    );
    assert!(
        !counts.contains("4670") && !counts.contains("anna"),
        "{counts}"
    );
    // A number as its owner says it; a wrong one names its flag.
    let (code, out) = env
        .run(&[
            "subscribers",
            "erase",
            "--org",
            "lillby",
            "--channel",
            "sms",
            "--address",
            "070-12",
        ])
        .await;
    assert_ne!(code, 0);
    assert!(out.contains("--address"), "{out}");
    let out = env
        .ok(&[
            "subscribers",
            "erase",
            "--org",
            "lillby",
            "--channel",
            "sms",
            "--address",
            "070-123 45 67",
        ])
        .await;
    assert!(out.contains("erased 1"), "{out}");
    let counts = env.ok(&["subscribers", "count", "--org", "lillby"]).await;
    assert!(counts.contains("sms\t0"), "{counts}");
}

/// Starts `serve` with `args` and returns what it printed up to "listening", and the
/// running server (killed when dropped).
async fn serve_printing(env: &TestEnv, args: &[&str]) -> (String, tokio::process::Child) {
    use tokio::io::AsyncBufReadExt;
    let mut child = env
        .command(args)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = String::new();
    tokio::time::timeout(std::time::Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            printed.push_str(&line);
            printed.push('\n');
            if line.starts_with("Beredskap is listening on ") {
                return;
            }
        }
        panic!("the server exited: {printed}");
    })
    .await
    .expect("the server did not start listening");
    (printed, child)
}

#[tokio::test]
async fn an_it_administrator_lists_the_register_and_a_restarted_demo_issues_no_new_token() {
    let env = TestEnv::sqlite();
    let (first, mut server) = serve_printing(&env, &["serve", "--demo"]).await;
    let port = first
        .lines()
        .find_map(|l| l.strip_prefix("Beredskap is listening on http://127.0.0.1:"))
        .unwrap()
        .to_owned();
    assert!(
        first.contains("bsk_"),
        "a token when the demo is made: {first}"
    );
    // The enrolment link names the port the server listens on (port 0 was asked for).
    let link = first.lines().find(|l| l.contains("/enrol/")).unwrap();
    assert!(
        link.trim()
            .starts_with(&format!("http://localhost:{port}/enrol/")),
        "{link}"
    );
    server.kill().await.unwrap();
    server.wait().await.unwrap();
    let (again, mut server) = serve_printing(&env, &["serve", "--demo"]).await;
    assert!(!again.contains("bsk_"), "no second token: {again}");
    assert!(
        again.contains("beredskap admin token --org lillby --user"),
        "{again}"
    );
    server.kill().await.unwrap();
    server.wait().await.unwrap();
    let tokens = env.ok(&["admin", "tokens", "--org", "lillby"]).await;
    assert_eq!(tokens.lines().count(), 1, "{tokens}");

    // The register, slug or id first, one per line.
    let people = env.ok(&["admin", "list-people", "--org", "lillby"]).await;
    assert_eq!(people.lines().count(), 30, "{people}");
    let sara = people.lines().find(|l| l.contains("Sara Olsson")).unwrap();
    let fields: Vec<&str> = sara.split('\t').collect();
    assert_eq!(fields[0].len(), 36, "the id first: {sara}");
    assert!(
        fields[5].ends_with(" admin"),
        "her account and role: {sara}"
    );
    assert!(
        people.lines().any(|l| l.contains("\tno account")),
        "{people}"
    );
    let groups = env.ok(&["admin", "list-groups", "--org", "lillby"]).await;
    assert!(
        groups.lines().any(|l| l.starts_with("krisledning\t")),
        "{groups}"
    );
    let positions = env
        .ok(&["admin", "list-positions", "--org", "lillby"])
        .await;
    assert_eq!(positions.lines().count(), 5, "{positions}");
    assert!(
        positions.lines().all(|l| l.split('\t').count() == 4),
        "{positions}"
    );

    // Bulk activation says first whom it would reach; with no provider set up, nobody, and
    // why, by name.
    let out = env
        .ok(&[
            "admin",
            "activate",
            "--org",
            "lillby",
            "--group",
            "krisledning",
        ])
        .await;
    assert!(out.starts_with("links: 0 (0 by SMS, 0 by email)"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("cannot be reached\t") && l.ends_with("\tno_provider")),
        "{out}"
    );
    let (code, out) = env
        .run(&["admin", "activate", "--org", "lillby", "--group", "ingen"])
        .await;
    assert_ne!(code, 0);
    assert!(
        out.contains("--group") && out.contains("list-groups"),
        "{out}"
    );

    // Help says what a file's columns are, not where to read about them.
    let help = env.ok(&["import", "people", "--help"]).await;
    assert!(
        help.contains("external_id") && help.contains("private_mobile") && !help.contains("README"),
        "{help}"
    );
    let help = env.ok(&["import", "contacts", "--help"]).await;
    assert!(help.contains("call_for"), "{help}");
    // A wrong number is answered with the form a right one takes.
    let (code, out) = env
        .run(&[
            "admin",
            "create-user",
            "--org",
            "lillby",
            "--email",
            "ny@lillby.example",
            "--name",
            "Ny Person",
            "--mobile",
            "12",
        ])
        .await;
    assert_ne!(code, 0);
    assert!(
        out.contains("--mobile") && out.contains("+46701234567"),
        "{out}"
    );
}
