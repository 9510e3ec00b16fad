//! `serve --demo`: a fictional municipality, Lillby, with about thirty people, the groups
//! and positions a crisis organisation has, and accounts to try it with; its texts come
//! from the catalogue in the demo's language (Swedish unless asked otherwise).
//! Phone numbers are from the range the Swedish regulator (PTS) reserves for fiction
//! (070-174 06 05 to 070-174 06 99); mail domains are reserved `.example` names.

use crate::error::AppError;
use beredskap_app::accounts;
use beredskap_core::conversation::{ChannelKind, NewChannel, NewMessage};
use beredskap_core::register::{
    ContactKind, ContactLabel, ContactPoint, NewGroup, NewOrg, NewPosition, Org, PersonDraft, Role,
    Scope,
};
use beredskap_core::{Actor, EmailAddress, PersonId, Region, Slug, Store};
use beredskap_i18n::Lang;
use std::collections::HashMap;

pub const DEMO_ORG: &str = "lillby";
const DEMO_ADMIN: &str = "sara.olsson@lillby.example";

/// Each demo person's name; the index gives their fictional phone number and their title
/// (`demo-title-{index + 1}` in the catalogue, in the demo's language).
const PEOPLE: [&str; 30] = [
    "Anna Lindqvist",
    "Erik Johansson",
    "Maria Karlsson",
    "Lars Nilsson",
    "Karin Andersson",
    "Johan Persson",
    "Eva Svensson",
    "Per Gustafsson",
    "Sara Olsson",
    "Mikael Larsson",
    "Lena Eriksson",
    "Anders Jonsson",
    "Ingrid Petersson",
    "Fredrik Berg",
    "Sofia Lund",
    "Magnus Holm",
    "Elin Sandberg",
    "Jonas Ström",
    "Helena Forsberg",
    "Olof Engström",
    "Camilla Nyström",
    "Daniel Åberg",
    "Linnea Hedlund",
    "Niklas Sjöberg",
    "Therese Björk",
    "Gustav Wikström",
    "Emma Lindberg",
    "Patrik Falk",
    "Malin Hellström",
    "Henrik Dahl",
];

/// Each group: slug (its name is `demo-group-{slug}`), then its members.
const GROUPS: [(&str, &[&str]); 5] = [
    (
        "krisledning",
        &[
            "Anna Lindqvist",
            "Erik Johansson",
            "Maria Karlsson",
            "Lars Nilsson",
            "Karin Andersson",
            "Johan Persson",
            "Sara Olsson",
            "Emma Lindberg",
        ],
    ),
    (
        "it-beredskap",
        &[
            "Lars Nilsson",
            "Mikael Larsson",
            "Lena Eriksson",
            "Anders Jonsson",
            "Daniel Åberg",
            "Linnea Hedlund",
            "Niklas Sjöberg",
        ],
    ),
    (
        "kommunikation",
        &["Maria Karlsson", "Ingrid Petersson", "Fredrik Berg"],
    ),
    (
        "vard-och-omsorg",
        &[
            "Karin Andersson",
            "Sofia Lund",
            "Magnus Holm",
            "Therese Björk",
        ],
    ),
    (
        "stab",
        &[
            "Erik Johansson",
            "Sara Olsson",
            "Patrik Falk",
            "Camilla Nyström",
            "Ingrid Petersson",
        ],
    ),
];

/// Each position: slug (its name is `demo-position-{slug}`), then the holder and deputies
/// in order.
const POSITIONS: [(&str, &[&str]); 5] = [
    ("tib", &["Sara Olsson", "Patrik Falk", "Erik Johansson"]),
    (
        "stabschef",
        &["Erik Johansson", "Camilla Nyström", "Sara Olsson"],
    ),
    (
        "it-jour",
        &["Mikael Larsson", "Anders Jonsson", "Lena Eriksson"],
    ),
    (
        "kommunikator-i-beredskap",
        &["Ingrid Petersson", "Fredrik Berg"],
    ),
    ("krisledningschef", &["Henrik Dahl", "Anna Lindqvist"]),
];

/// What `serve --demo` prints for the person trying it.
pub struct DemoInfo {
    pub org: Org,
    pub admin_login: String,
    /// An API token for the demo administrator, issued when the demo is created (only a
    /// hash is kept, so a later start cannot show it again, and issues none).
    pub admin_token: Option<String>,
    /// A one-time enrolment link for the demo administrator, until they have enrolled.
    pub enrolment_link: Option<String>,
    pub seeded_now: bool,
}

fn ascii_mail_name(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .map(|c| match c {
            'å' | 'ä' => 'a',
            'ö' => 'o',
            'é' => 'e',
            ' ' => '.',
            c => c,
        })
        .collect()
}

fn demo_error(what: &str) -> AppError {
    AppError::Internal(format!("demo data is inconsistent: {what}"))
}

/// Seeds the demo organisation unless it exists, with a token for its administrator, and
/// issues an enrolment link until they have enrolled.
pub async fn seed(
    store: std::sync::Arc<dyn Store>,
    public_url: &str,
    link_hours: u32,
    now: chrono::DateTime<chrono::Utc>,
    lang: Lang,
) -> Result<DemoInfo, AppError> {
    let actor = Actor::system();
    // Beredskap seeds as its operator would at the command line; before the server runs
    // there is nobody to wake.
    let app = beredskap_app::App::new(
        store.clone(),
        std::sync::Arc::new(beredskap_core::clock::ManualClock::new(now)),
        std::sync::Arc::new(beredskap_app::NoWakeups),
    );
    let caller = beredskap_app::Caller::Operator(actor.clone());
    let store = store.as_ref();
    let slug = Slug::parse(DEMO_ORG).map_err(|_| demo_error("slug"))?;
    let admin_login = EmailAddress::parse(DEMO_ADMIN).map_err(|_| demo_error("login"))?;
    let (org, seeded_now) = match store.org_by_slug(&slug).await? {
        Some(org) => (org, false),
        None => (seed_org(store, &actor, lang, now).await?, true),
    };
    if seeded_now {
        seed_plans(&app, &caller, &org, lang).await?;
    }
    let admin = store
        .account_by_login(org.id, &admin_login)
        .await?
        .ok_or_else(|| demo_error("the demo administrator has no account"))?;
    let admin_token = match seeded_now {
        true => Some(
            accounts::issue_api_token(&app, &caller, &org, &admin, "demo", &Scope::ALL)
                .await?
                .1,
        ),
        false => None,
    };
    let enrolled = store
        .credentials(org.id, admin.id)
        .await?
        .password_hash
        .is_some();
    let enrolment_link = match enrolled {
        true => None,
        false => Some(
            accounts::issue_enrolment(&app, &caller, &org, &admin, public_url, link_hours).await?,
        ),
    };
    Ok(DemoInfo {
        org,
        admin_login: admin_login.to_string(),
        admin_token,
        enrolment_link,
        seeded_now,
    })
}

/// The example plans in the demo's language; the IT outage plan approved, the rest drafts.
async fn seed_plans(
    app: &beredskap_app::App,
    caller: &beredskap_app::Caller,
    org: &Org,
    lang: Lang,
) -> Result<(), AppError> {
    use beredskap_app::plans::{approve, import_yaml, PlanRefused};
    for example in beredskap_core::continuity::examples::examples(lang.code()) {
        let slug = Slug::parse(example.slug).map_err(|_| demo_error(example.slug))?;
        let plan = import_yaml(app, caller, org, &slug, example.yaml)
            .await
            .map_err(|e| match e {
                PlanRefused::Use(e) => AppError::from(e),
                PlanRefused::File(problems) => demo_error(&format!(
                    "plan {}: {}",
                    example.slug,
                    problems
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                )),
            })?;
        if example.slug == "it-outage" {
            approve(app, caller, org, plan.id, plan.version).await?;
        }
    }
    Ok(())
}

/// The region whose organisations speak `lang` (English: a Swedish municipality that
/// chose English).
fn region_of(lang: Lang) -> Region {
    match lang.code() {
        "da" => Region::Dk,
        "nb" => Region::No,
        _ => Region::Se,
    }
}

async fn seed_org(
    store: &dyn Store,
    actor: &Actor,
    lang: Lang,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Org, AppError> {
    let region = region_of(lang);
    let name = lang.text("demo-org-name");
    let org = store
        .create_org(
            actor,
            NewOrg::parse(DEMO_ORG, name, region).map_err(AppError::Invalid)?,
        )
        .await?;
    let org = match lang.code() == region.language_code() {
        true => org,
        false => {
            let mut settings = org.settings();
            settings.language = Some(lang.code().to_owned());
            store.update_org_settings(actor, org.id, settings).await?
        }
    };
    let mut ids: HashMap<&str, PersonId> = HashMap::new();
    for (i, name) in PEOPLE.iter().enumerate() {
        let title = lang.text(&format!("demo-title-{}", i + 1));
        let mail = ascii_mail_name(name);
        let contact_points = vec![
            ContactPoint {
                kind: ContactKind::Sms,
                label: ContactLabel::Work,
                value: format!("+467017406{:02}", 5 + i),
                verified: true,
            },
            ContactPoint {
                kind: ContactKind::Email,
                label: ContactLabel::Private,
                value: format!("{mail}@privat.example"),
                verified: true,
            },
            ContactPoint {
                kind: ContactKind::Email,
                label: ContactLabel::Work,
                value: format!("{mail}@lillby.example"),
                verified: true,
            },
        ];
        let person = store
            .create_person(
                actor,
                org.id,
                PersonDraft {
                    external_id: Some(format!("{}", 1001 + i)),
                    name: (*name).to_owned(),
                    title: Some(title.to_owned()),
                    active: true,
                    contact_points,
                },
            )
            .await?;
        ids.insert(name, person.id);
    }
    let people = |names: &[&str]| -> Result<Vec<PersonId>, AppError> {
        names
            .iter()
            .map(|n| ids.get(n).copied().ok_or_else(|| demo_error(n)))
            .collect()
    };
    let mut groups = Vec::new();
    for (slug, members) in GROUPS {
        let name = lang.text(&format!("demo-group-{slug}"));
        let group = store
            .create_group(
                actor,
                org.id,
                NewGroup {
                    slug: Slug::parse(slug).map_err(|_| demo_error(slug))?,
                    name: name.to_owned(),
                },
            )
            .await?;
        store
            .set_group_members(actor, org.id, group.id, people(members)?)
            .await?;
        groups.push(group);
    }
    for (slug, holders) in POSITIONS {
        let name = lang.text(&format!("demo-position-{slug}"));
        let position = store
            .create_position(
                actor,
                org.id,
                NewPosition {
                    slug: Slug::parse(slug).map_err(|_| demo_error(slug))?,
                    name: name.to_owned(),
                },
            )
            .await?;
        store
            .set_position_holders(actor, org.id, position.id, people(holders)?)
            .await?;
    }
    let accounts = [
        ("Sara Olsson", Role::Admin),
        ("Erik Johansson", Role::CrisisLead),
        ("Mikael Larsson", Role::Member),
    ];
    let mut created = Vec::new();
    for (name, role) in accounts {
        let login = EmailAddress::parse(&format!("{}@lillby.example", ascii_mail_name(name)))
            .map_err(|_| demo_error(name))?;
        let person = people(&[name])?[0];
        created.push(
            store
                .create_account(actor, org.id, person, login, role)
                .await?,
        );
    }
    seed_conversation(store, &org, &created, lang).await?;
    // The crisis group's own channel: most of its people have no account, so an
    // announcement here sent out by SMS and email is what reaches them.
    if let (Some(group), Some(lead)) = (groups.first(), created.get(1)) {
        store
            .create_channel(
                &Actor::account(lead.id),
                org.id,
                lead.id,
                NewChannel {
                    kind: ChannelKind::Group,
                    name: group.name.clone(),
                    classification: org.classifications.get(1).cloned().unwrap_or_default(),
                    group_id: Some(group.id),
                    members: Vec::new(),
                },
            )
            .await?;
        // The call that starts most crises, written ahead: two taps from sending.
        let alert = beredskap_core::alerting::AlertInput {
            message: lang.text("demo-template-message").to_owned(),
            severity: beredskap_core::alerting::Severity::Critical,
            recipients: beredskap_core::alerting::Recipients {
                groups: vec![group.id],
                deputies: true,
                ..Default::default()
            },
            options: lang
                .text("demo-template-options")
                .split(',')
                .map(|o| o.trim().to_owned())
                .collect(),
            exercise: false,
            step_minutes: 5,
            repeats: 1,
            repeat_minutes: 15,
            escalation: None,
        };
        store
            .save_alert_template(
                &Actor::account(lead.id),
                org.id,
                beredskap_core::alert_templates::TemplateDraft {
                    id: None,
                    version: None,
                    name: lang.text("demo-template-name").to_owned(),
                    alert,
                    saved_by: Some(lead.id),
                },
                now,
            )
            .await?;
    }
    let contacts = lang.text("demo-contacts-csv");
    let rows = beredskap_core::contacts::parse_contacts_csv(contacts.as_bytes(), region)
        .map_err(|e| demo_error(&format!("demo-contacts-csv: {e}")))?;
    store
        .replace_external_contacts(actor, org.id, rows.into_iter().map(|r| r.contact).collect())
        .await?;
    seed_services(store, &org, actor, lang, now).await?;
    seed_priority_list(store, &org, actor, lang, now).await?;
    let ways = beredskap_core::continuity::status::PublicContactsInput {
        phone: lang.text("demo-status-phone").to_owned(),
        address: lang.text("demo-status-address").to_owned(),
        opening_hours: lang.text("demo-status-hours").to_owned(),
        note: lang.text("demo-status-note").to_owned(),
    }
    .validate(org.region)
    .map_err(|_| demo_error("demo-status"))?;
    store.set_public_contacts(actor, org.id, ways, now).await?;
    seed_notice(store, &org, actor, lang, now).await?;
    Ok(org)
}

/// Planned maintenance on the switchboard two days ahead, 18–22 on the organisation's
/// clock, in every language: so the status page and each feed have something to show.
async fn seed_notice(
    store: &dyn Store,
    org: &Org,
    actor: &Actor,
    lang: Lang,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    use beredskap_core::continuity::notices::{Kind, NewNotice, NoticeTextInput, UpdateInput};
    let zone = org.zone();
    let day = zone.local(now).date_naive() + chrono::Duration::days(2);
    let at = |hour: u32| day.and_hms_opt(hour, 0, 0).and_then(|t| zone.moment(t));
    let services = store.services(org.id).await?;
    let input = UpdateInput {
        phase: "planned".into(),
        // The organisation's language first: the one a page in another language falls
        // back to.
        texts: std::iter::once(lang)
            .chain(Lang::all().filter(|l| *l != lang))
            .map(|l| NoticeTextInput {
                lang: l.code().to_owned(),
                title: l.text("demo-notice-title").to_owned(),
                body: l.text("demo-notice-body").to_owned(),
            })
            .collect(),
        // The switchboard: the second service on the demo's list.
        services: services.iter().skip(1).take(1).map(|s| s.id).collect(),
        starts_at: at(18),
        ends_at: at(22),
    };
    let first = input
        .validate(Kind::Maintenance, now)
        .map_err(|e| demo_error(&format!("demo-notice: {e:?}")))?;
    let new = NewNotice {
        incident_id: None,
        kind: Kind::Maintenance,
        exercise: false,
        first,
    };
    store.publish_notice(actor, org.id, new, None, now).await?;
    Ok(())
}

/// A made-up priority list, opened by the chief of staff's holders (the demo's crisis
/// lead among them).
async fn seed_priority_list(
    store: &dyn Store,
    org: &Org,
    actor: &Actor,
    lang: Lang,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    let csv = lang.text("demo-priority-csv");
    let citizens =
        beredskap_core::continuity::priority::parse_priority_csv(csv.as_bytes(), org.region)
            .map_err(|p| demo_error(&format!("demo-priority-csv: {} problem(s)", p.len())))?;
    store
        .replace_priority_list(actor, org.id, citizens, now)
        .await?;
    let chief = Slug::parse("stabschef").map_err(|_| demo_error("stabschef"))?;
    let positions = store
        .list_positions(org.id)
        .await?
        .into_iter()
        .filter(|p| p.slug == chief)
        .map(|p| p.id)
        .collect();
    let access = beredskap_core::continuity::priority::AccessInput {
        positions,
        calls_days: beredskap_core::continuity::priority::DEFAULT_CALLS_DAYS,
    };
    store
        .set_priority_list_access(actor, org.id, access)
        .await?;
    Ok(())
}

/// The services of the overview, all working, so a crisis lead can try marking them down.
async fn seed_services(
    store: &dyn Store,
    org: &Org,
    actor: &Actor,
    lang: Lang,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    use beredskap_core::continuity::services::{ServiceInput, ServiceState, StatusChange};
    for line in lang.text("demo-services").lines() {
        let mut parts = line.split('|').map(str::trim);
        let mut next = || parts.next().map(str::to_owned);
        let input = ServiceInput {
            name: next().unwrap_or_default(),
            owner: next(),
            alternative: next(),
        };
        let draft = input
            .validate()
            .map_err(|e| demo_error(&format!("demo-services: {line}: {e:?}")))?;
        let service = store
            .create_service(actor, org.id, draft, None, now)
            .await?;
        let works = StatusChange {
            state: ServiceState::Works,
            impact: None,
            workaround: None,
            exercise: false,
        };
        store
            .set_service_status(actor, org.id, service.id, works, None, now)
            .await?;
    }
    Ok(())
}

/// A channel for everyone with a short exchange and an announcement to confirm, so the
/// demo shows a conversation in progress.
async fn seed_conversation(
    store: &dyn Store,
    org: &Org,
    accounts: &[beredskap_core::register::Account],
    lang: Lang,
) -> Result<(), AppError> {
    let [admin, lead, member] = accounts else {
        return Err(demo_error("three demo accounts"));
    };
    let channel = store
        .create_channel(
            &Actor::account(lead.id),
            org.id,
            lead.id,
            NewChannel {
                kind: ChannelKind::Org,
                name: lang.format(
                    "demo-channel-everyone",
                    &[("org", org.name.as_str().into())],
                ),
                classification: org
                    .classifications
                    .get(1)
                    .or(org.classifications.first())
                    .cloned()
                    .unwrap_or_default(),
                group_id: None,
                members: vec![admin.id, member.id],
            },
        )
        .await?;
    let messages = [
        (lead, "demo-message-1", true),
        (member, "demo-message-2", false),
        (admin, "demo-message-3", false),
    ];
    for (author, body, announcement) in messages {
        store
            .post_message(
                &Actor::account(author.id),
                org.id,
                author.id,
                NewMessage {
                    channel: channel.id,
                    thread_root: None,
                    body: lang.text(body).to_owned(),
                    announcement,
                    mentions: Vec::new(),
                    attachments: Vec::new(),
                    idempotency_key: None,
                    send_out: None,
                },
            )
            .await?;
    }
    Ok(())
}

/// The demo's people "answer" alerts by themselves: on a server without SMS or email
/// providers, the demo hands messages to these simulated phones and mailboxes instead.
/// A few seconds after a message arrives, its person answers the way a real person would:
/// by replying to the SMS (through the same path as the SMS gateway's webhook) or by
/// following the link in the email (verified like any answer link). Some prefer SMS, some
/// email; a few always say no; the demo administrator (the person trying the demo) and one
/// more stay silent, so escalation to a deputy can be seen.
pub struct SimulatedPeople {
    store: std::sync::Arc<dyn Store>,
    links: std::sync::Arc<crate::alerting::AnswerLinks>,
    channel: ContactKind,
    /// Answer after 3 to 20 seconds, as people do; or at once, for tests.
    human_pace: bool,
    /// When they answer.
    clock: std::sync::Arc<dyn crate::clock::Clock>,
}

/// People (by their place in `PEOPLE`) who never answer: the demo administrator, and the
/// IT chief.
const SILENT: [usize; 2] = [8, 3];

/// Where a demo address belongs in `PEOPLE`.
fn demo_index(address: &str) -> Option<usize> {
    if let Some(digits) = address.strip_prefix("+467017406") {
        return digits
            .parse::<usize>()
            .ok()?
            .checked_sub(5)
            .filter(|i| *i < PEOPLE.len());
    }
    let local = address.split('@').next()?;
    PEOPLE
        .iter()
        .position(|name| ascii_mail_name(name) == local)
}

impl SimulatedPeople {
    pub fn pair(
        store: std::sync::Arc<dyn Store>,
        links: std::sync::Arc<crate::alerting::AnswerLinks>,
        clock: std::sync::Arc<dyn crate::clock::Clock>,
        human_pace: bool,
    ) -> (
        std::sync::Arc<dyn crate::notify::Provider>,
        std::sync::Arc<dyn crate::notify::Provider>,
    ) {
        let make = |channel| {
            std::sync::Arc::new(SimulatedPeople {
                store: store.clone(),
                links: links.clone(),
                channel,
                human_pace,
                clock: clock.clone(),
            }) as std::sync::Arc<dyn crate::notify::Provider>
        };
        (make(ContactKind::Sms), make(ContactKind::Email))
    }

    async fn answer(
        store: std::sync::Arc<dyn Store>,
        links: std::sync::Arc<crate::alerting::AnswerLinks>,
        channel: ContactKind,
        address: String,
        body: String,
        index: usize,
        clock: std::sync::Arc<dyn crate::clock::Clock>,
    ) -> Result<(), crate::error::AppError> {
        let says_no = index % 5 == 3;
        let token = |prefix: &str| {
            body.find(prefix).map(|at| {
                body[at + prefix.len()..]
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            })
        };
        // A contact check is confirmed from any channel.
        if let Some(t) = token("/k/") {
            if let Some(delivery) = links.verify_check(&t) {
                store.confirm_contact_point(delivery, clock.now()).await?;
            }
            return Ok(());
        }
        // An activation link is not an alert: there is nothing to answer.
        if token("/enrol/").is_some() {
            return Ok(());
        }
        let prefers_sms = index.is_multiple_of(2);
        match channel {
            ContactKind::Sms if prefers_sms => {
                let reply = if says_no { "2" } else { "1, kommer" };
                store
                    .answer_by_reply(&address, None, reply, clock.now())
                    .await?;
            }
            ContactKind::Email if !prefers_sms => {
                let Some((alert, person)) = token("/a/").and_then(|t| links.verify(&t)) else {
                    return Ok(());
                };
                let found = store.alert_by_id(alert).await?;
                let now = clock.now();
                store
                    .mark_alert_seen(found.org_id, alert, person, now)
                    .await?;
                let choice = match (says_no, found.options.len()) {
                    (_, 0) => None,
                    (true, n) if n > 1 => found.options.get(1).cloned(),
                    _ => found.options.first().cloned(),
                };
                let answer = beredskap_core::alerting::Answer {
                    person,
                    choice,
                    via: "link".into(),
                    at: now,
                };
                store
                    .answer_alert(&Actor::system(), found.org_id, alert, answer)
                    .await?;
            }
            _ => {}
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl crate::notify::Provider for SimulatedPeople {
    fn name(&self) -> &'static str {
        match self.channel {
            ContactKind::Email => "demo-mailbox",
            _ => "demo-phone",
        }
    }

    async fn send(
        &self,
        message: &crate::notify::OutgoingMessage,
    ) -> Result<String, crate::notify::NotifyError> {
        let reference = format!("demo-{}", uuid::Uuid::new_v4().simple());
        // Only the demo's own people have simulated phones and mailboxes: a message to
        // anyone else is refused, so a link meant for a real person is handed over on the
        // page instead of vanishing.
        let Some(index) = demo_index(&message.to) else {
            return Err(crate::notify::NotifyError::Rejected(
                "not one of the demo's simulated people".into(),
            ));
        };
        if SILENT.contains(&index) {
            return Ok(reference);
        }
        let (store, links, channel) = (self.store.clone(), self.links.clone(), self.channel);
        let clock = self.clock.clone();
        let (address, body) = (message.to.clone(), message.body.clone());
        if !self.human_pace {
            if let Err(e) = Self::answer(store, links, channel, address, body, index, clock).await {
                tracing::debug!(error = %e, "a simulated person's answer was not taken");
            }
            return Ok(reference);
        }
        // Three to twenty seconds, different for each person and message.
        let spread = u64::from(uuid::Uuid::new_v4().as_bytes()[0]) % 18;
        let wait = std::time::Duration::from_secs(3 + spread);
        tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            if let Err(e) = Self::answer(store, links, channel, address, body, index, clock).await {
                tracing::debug!(error = %e, "a simulated person's answer was not taken");
            }
        });
        Ok(reference)
    }
}
