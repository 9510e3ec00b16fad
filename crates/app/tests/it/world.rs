//! An organisation with one account per role, on an SQLite store in a temporary directory,
//! and wake-ups that are counted instead of delivered.

use beredskap_app::{App, Caller, Wakeups};
use beredskap_core::alerting::{Alert, AlertInput, Recipients, Severity};
use beredskap_core::clock::ManualClock;
use beredskap_core::conversation::{ChannelKind, NewChannel, NewMessage};
use beredskap_core::register::{
    Account, ContactKind, ContactLabel, ContactPoint, NewOrg, Org, PersonDraft, Role,
};
use beredskap_core::{Actor, ChannelId, MessageId, OrgId, Region, Store};
use chrono::TimeZone as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub struct CountedWakeups {
    pub deliveries: AtomicUsize,
    pub published: Mutex<Vec<OrgId>>,
}

#[async_trait::async_trait]
impl Wakeups for CountedWakeups {
    fn deliveries_due(&self) {
        self.deliveries.fetch_add(1, Ordering::SeqCst);
    }

    async fn published(&self, org: OrgId) {
        self.published.lock().unwrap().push(org);
    }

    fn search_due(&self) {}

    async fn redacted(&self, _unreferenced_files: Vec<String>) {}
}

/// Attachment bytes in memory.
#[derive(Default)]
pub struct MemoryFiles(Mutex<std::collections::HashMap<String, Vec<u8>>>);

#[async_trait::async_trait]
impl beredskap_app::attachments::Files for MemoryFiles {
    async fn put(&self, bytes: Vec<u8>) -> std::io::Result<String> {
        let key =
            format!("{:x}", bytes.len()) + &String::from_utf8_lossy(&bytes[..bytes.len().min(8)]);
        self.0.lock().unwrap().insert(key.clone(), bytes);
        Ok(key)
    }

    async fn get(&self, key: &str) -> std::io::Result<Vec<u8>> {
        self.0
            .lock()
            .unwrap()
            .get(key)
            .cloned()
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
    }
}

/// A search index that finds nothing and remembers which channels it was asked to search.
#[derive(Default)]
pub struct ChannelsAsked(pub Mutex<Vec<ChannelId>>);

#[async_trait::async_trait]
impl beredskap_app::conversation::MessageIndex for ChannelsAsked {
    async fn search(
        &self,
        _org: &Org,
        channels: Vec<ChannelId>,
        _words: String,
    ) -> Result<Vec<beredskap_app::conversation::Hit>, beredskap_app::Error> {
        *self.0.lock().unwrap() = channels;
        Ok(Vec::new())
    }
}

pub struct World {
    pub app: App,
    pub org: Org,
    pub accounts: Vec<Account>,
    /// An incident channel everyone is in.
    pub channel: ChannelId,
    pub wakeups: Arc<CountedWakeups>,
    _dir: tempfile::TempDir,
}

pub const ROLES: [Role; 4] = [Role::Guest, Role::Member, Role::CrisisLead, Role::Admin];

impl World {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url =
            beredskap_store::DatabaseUrl::parse(&format!("sqlite://{}/t.db", dir.path().display()))
                .unwrap();
        let options = beredskap_store::OpenOptions {
            create: true,
            ..Default::default()
        };
        let store: Arc<dyn Store> = beredskap_store::open(&url, &options).await.unwrap();
        let setup = Actor::cli("test");
        let org = store
            .create_org(
                &setup,
                NewOrg::parse("lillby", "Lillby kommun", Region::Se).unwrap(),
            )
            .await
            .unwrap();
        let mut accounts = Vec::new();
        for (i, role) in ROLES.into_iter().enumerate() {
            let person = store
                .create_person(
                    &setup,
                    org.id,
                    PersonDraft {
                        external_id: None,
                        name: format!("Person {i}"),
                        title: None,
                        active: true,
                        contact_points: vec![
                            ContactPoint {
                                kind: ContactKind::Sms,
                                label: ContactLabel::Work,
                                value: format!("+4670100000{i}"),
                                verified: true,
                            },
                            ContactPoint {
                                kind: ContactKind::Email,
                                label: ContactLabel::Private,
                                value: format!("person{i}@privat.example"),
                                verified: true,
                            },
                        ],
                    },
                )
                .await
                .unwrap();
            let login = beredskap_core::EmailAddress::parse(&format!("p{i}@lillby.se")).unwrap();
            accounts.push(
                store
                    .create_account(&setup, org.id, person.id, login, role)
                    .await
                    .unwrap(),
            );
        }
        let admin = accounts[3].id;
        let channel = store
            .create_channel(
                &setup,
                org.id,
                admin,
                NewChannel {
                    kind: ChannelKind::Incident,
                    name: "Strömavbrott".into(),
                    classification: org.classifications[0].clone(),
                    group_id: None,
                    members: accounts.iter().map(|a| a.id).collect(),
                },
            )
            .await
            .unwrap()
            .id;
        let clock = ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap());
        let wakeups = Arc::new(CountedWakeups::default());
        Self {
            app: App::new(store, Arc::new(clock), wakeups.clone()),
            org,
            accounts,
            channel,
            wakeups,
            _dir: dir,
        }
    }

    pub fn caller(&self, role: Role) -> Caller {
        Caller::Account(
            self.accounts
                .iter()
                .find(|a| a.role == role)
                .cloned()
                .unwrap(),
        )
    }

    /// An alert to everyone, sent by the operator.
    pub fn alert_to_everyone(&self) -> AlertInput {
        AlertInput {
            message: "Strömavbrott i stadshuset.".into(),
            severity: Severity::Critical,
            recipients: Recipients {
                people: self.accounts.iter().map(|a| a.person_id).collect(),
                ..Default::default()
            },
            options: Vec::new(),
            exercise: false,
            step_minutes: 5,
            repeats: 0,
            repeat_minutes: 15,
            escalation: None,
        }
    }

    /// A plan with only a title, under a slug of its own, saved by Beredskap.
    pub async fn saved_plan(&self, title: &str) -> beredskap_core::continuity::plans::Plan {
        static N: AtomicUsize = AtomicUsize::new(0);
        let slug = format!("saved-plan-{}", N.fetch_add(1, Ordering::SeqCst));
        let save = beredskap_core::continuity::plans::PlanSave {
            slug: beredskap_core::Slug::parse(&slug).unwrap(),
            document: beredskap_core::continuity::plans::PlanDocument {
                title: title.into(),
                ..Default::default()
            },
            expected: None,
            by: None,
        };
        self.app
            .store
            .save_plan(&Actor::system(), self.org.id, save, self.app.clock.now())
            .await
            .unwrap()
    }

    /// An open incident (a drill) with one task, opened by the first account.
    pub async fn open_incident(&self) -> (beredskap_core::IncidentId, beredskap_core::TaskId) {
        use beredskap_core::continuity::incidents::{NewIncident, NewTask, Via};
        let now = self.app.clock.now();
        let opener = &self.accounts[0];
        let new = NewIncident {
            title: "Totalt IT-avbrott".into(),
            plan: None,
            severity: beredskap_core::alerting::Severity::Warning,
            exercise: true,
            via: Via::Web,
            opened_by: Some(opener.person_id),
            channel: NewChannel {
                kind: ChannelKind::Incident,
                name: "Totalt IT-avbrott".into(),
                classification: self.org.classifications[0].clone(),
                group_id: None,
                members: vec![],
            },
            creator: opener.id,
            alert: None,
            tasks: vec![NewTask {
                position: None,
                assignee: None,
                text: "Ring IT-beredskapen".into(),
                due_at: now,
            }],
            lead: Some(opener.person_id),
            report_every_minutes: Some(60),
        };
        let incident = self
            .app
            .store
            .open_incident(&beredskap_core::Actor::system(), self.org.id, new, now)
            .await
            .unwrap();
        let tasks = self
            .app
            .store
            .incident_tasks(self.org.id, incident.id)
            .await
            .unwrap();
        (incident.id, tasks[0].id)
    }

    pub async fn sent_alert(&self) -> Alert {
        beredskap_app::alerts::send(
            &self.app,
            &Caller::Operator(Actor::cli("test")),
            &self.org,
            self.alert_to_everyone(),
        )
        .await
        .unwrap()
    }

    /// A message by `role`'s account in the shared channel, written straight to the store.
    pub async fn message_by(&self, role: Role, announcement: bool) -> MessageId {
        let by = self.accounts.iter().find(|a| a.role == role).unwrap().id;
        self.app
            .store
            .post_message(
                &Actor::cli("test"),
                self.org.id,
                by,
                NewMessage {
                    channel: self.channel,
                    thread_root: None,
                    body: "Samling i matsalen kl 10.".into(),
                    announcement,
                    mentions: Vec::new(),
                    attachments: Vec::new(),
                    idempotency_key: None,
                    send_out: None,
                },
            )
            .await
            .unwrap()
            .message
            .id
    }

    /// The organisation's on-call position, made on first use.
    pub async fn position(&self) -> beredskap_core::register::Position {
        let store = &self.app.store;
        if let Some(p) = store.list_positions(self.org.id).await.unwrap().pop() {
            return p;
        }
        store
            .create_position(
                &Actor::cli("test"),
                self.org.id,
                beredskap_core::register::NewPosition {
                    slug: beredskap_core::Slug::parse("tib").unwrap(),
                    name: "Tjänsteperson i beredskap".into(),
                },
            )
            .await
            .unwrap()
    }

    /// A priority list of two citizens, opened by the holders of the position
    /// `hemtjanst`, which every account's person holds; made on first use.
    pub async fn priority_list(&self) -> beredskap_core::register::Position {
        let store = &self.app.store;
        let slug = beredskap_core::Slug::parse("hemtjanst").unwrap();
        if let Some(p) = store
            .list_positions(self.org.id)
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.slug == slug)
        {
            return p;
        }
        let setup = Actor::cli("test");
        let position = store
            .create_position(
                &setup,
                self.org.id,
                beredskap_core::register::NewPosition {
                    slug,
                    name: "Enhetschef hemtjänst".into(),
                },
            )
            .await
            .unwrap();
        let holders = self.accounts.iter().map(|a| a.person_id).collect();
        let position = store
            .set_position_holders(&setup, self.org.id, position.id, holders)
            .await
            .unwrap();
        let access = beredskap_core::continuity::priority::AccessInput {
            positions: vec![position.id],
            calls_days: 30,
        };
        store
            .set_priority_list_access(&setup, self.org.id, access)
            .await
            .unwrap();
        let csv = "name,address,phone,need\n\
                   Karin Öberg,Storgatan 4,0701234567,Trygghetslarm\n\
                   Erik Lund,Byvägen 2,,Syrgas\n";
        let citizens =
            beredskap_core::continuity::priority::parse_priority_csv(csv.as_bytes(), Region::Se)
                .unwrap();
        store
            .replace_priority_list(&setup, self.org.id, citizens, self.app.clock.now())
            .await
            .unwrap();
        position
    }

    /// The journal's head: moves with every write.
    pub async fn head(&self) -> i64 {
        self.app.store.journal_head(self.org.id).await.unwrap().0
    }
}
