//! The public status site of an organisation: its page in each language, its Atom and JSON
//! feeds in each language, and its CAP 1.2 messages — all made at once from what the
//! status use case reads ([`beredskap_app::status::public_status`]), as bytes with their
//! `ETag` and `Last-Modified`. [`StatusSites`] keeps each organisation's site in memory
//! until something in the organisation changes, so a crowd reading the page costs no
//! database query; `beredskap export status-site` writes the same bytes to files.

use crate::web::i18n::PageTexts as _;
use crate::web::when;
use askama::Template;
use beredskap_app::status::PublicStatus;
use beredskap_core::continuity::notices::{Kind, Notice, NoticeUpdate, Phase};
use beredskap_core::domain::readable_number;
use beredskap_core::OrgId;
use beredskap_i18n::Lang;
use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use sha2::Digest as _;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How long a site is kept at most without a change: a safety net for a change that
/// reached the database some other way than through this server.
const KEPT_AT_MOST_SECONDS: i64 = 300;

/// One document of the site.
#[derive(Debug, Clone)]
pub struct Doc {
    pub bytes: Bytes,
    /// A hash of the bytes, quoted.
    pub etag: String,
    /// When these bytes were first made (an earlier site's time when they are the same).
    pub last_modified: DateTime<Utc>,
    pub content_type: &'static str,
    pub lang: Option<Lang>,
}

/// Which document of a site.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DocKey {
    Page(Lang),
    Atom(Lang),
    Json(Lang),
    /// The Atom index of the current CAP messages, each inline.
    CapIndex,
    /// One CAP message, by its identifier.
    Cap(String),
}

/// Everything of one organisation's status site.
#[derive(Debug)]
pub struct Site {
    pub org_id: OrgId,
    pub slug: String,
    /// The organisation's language: the feeds' and the page's when none is asked for.
    pub default_lang: Lang,
    pub docs: HashMap<DocKey, Doc>,
    /// After this the site is made again even if nothing was said to change.
    pub valid_until: DateTime<Utc>,
}

impl Site {
    pub fn doc(&self, key: &DocKey) -> Option<&Doc> {
        self.docs.get(key)
    }
}

fn doc(
    bytes: Vec<u8>,
    content_type: &'static str,
    lang: Option<Lang>,
    key: &DocKey,
    previous: Option<&Site>,
    now: DateTime<Utc>,
) -> Doc {
    let digest = sha2::Sha256::digest(&bytes);
    let etag = format!("\"{}\"", hex::encode(&digest[..16]));
    let last_modified = previous
        .and_then(|p| p.docs.get(key))
        .filter(|d| d.etag == etag)
        .map(|d| d.last_modified)
        .unwrap_or(now);
    Doc {
        bytes: Bytes::from(bytes),
        etag,
        last_modified,
        content_type,
        lang,
    }
}

struct ServiceRow {
    name: String,
    state: &'static str,
    state_label: &'static str,
}

struct UpdateView {
    at: String,
    phase_label: &'static str,
    title: String,
    body: Vec<String>,
}

struct PressView {
    id: String,
    exercise: bool,
    title: String,
    lang: String,
    at: String,
    body: Vec<String>,
}

struct NoticeView {
    id: String,
    exercise: bool,
    title: String,
    /// The text's language when it is not the page's (a notice written only in Swedish
    /// on the English page).
    text_lang: String,
    phase: &'static str,
    phase_label: &'static str,
    at: String,
    window: String,
    affects: String,
    body: Vec<String>,
    earlier: Vec<UpdateView>,
}

#[derive(Template)]
#[template(path = "status.html")]
struct PublicPage {
    lang: Lang,
    t: &'static crate::web::i18n::Texts,
    /// Each language and the link to the page in it.
    langs: Vec<(Lang, String)>,
    stylesheet: &'static str,
    atom_href: String,
    json_href: String,
    cap_href: String,
    subscribe_href: String,
    org: String,
    phone: String,
    phone_href: String,
    address: String,
    opening_hours: String,
    note: Vec<String>,
    disruptions: Vec<NoticeView>,
    maintenance: Vec<NoticeView>,
    ended: Vec<NoticeView>,
    press: Vec<PressView>,
    services: Vec<ServiceRow>,
    updated: String,
}

struct AtomEntry {
    id: String,
    title: String,
    updated: String,
    published: String,
    link: String,
    phase: &'static str,
    phase_label: &'static str,
    text: String,
}

#[derive(Template)]
#[template(path = "status_feed.xml")]
struct AtomFeed {
    lang: &'static str,
    org_id: String,
    org: String,
    title: &'static str,
    updated: String,
    self_url: String,
    page_url: String,
    entries: Vec<AtomEntry>,
}

struct CapInfo {
    language: &'static str,
    event: &'static str,
    headline: String,
    description: String,
    instruction: String,
}

#[derive(Template)]
#[template(path = "status_cap.xml")]
struct CapAlert {
    identifier: String,
    sender: String,
    sent: String,
    status: &'static str,
    msg_type: &'static str,
    references: String,
    urgency: &'static str,
    severity: &'static str,
    certainty: &'static str,
    onset: String,
    expires: String,
    org: String,
    web: String,
    contact: String,
    infos: Vec<CapInfo>,
}

struct CapEntry {
    id: String,
    title: String,
    updated: String,
    link: String,
    alert: String,
}

#[derive(Template)]
#[template(path = "status_cap_index.xml")]
struct CapIndex {
    org: String,
    title: &'static str,
    updated: String,
    self_url: String,
    page_url: String,
    entries: Vec<CapEntry>,
}

/// The Atom and JSON Feed time: RFC 3339 in UTC.
fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// CAP's time: seconds and a numeric offset, never `Z` (the schema's pattern).
fn cap_time(t: DateTime<Utc>, zone: beredskap_core::TimeZone) -> String {
    zone.local(t).format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// How the site's documents link to each other: as this server serves them (`?lang=`),
/// or as files in a directory (`beredskap export status-site`), for any static host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Served,
    Files,
}

/// What a status site is made from, besides the status: where it is reached.
pub struct Addresses {
    /// `https://beredskap.example.se`, without a trailing slash.
    pub base: String,
    pub layout: Layout,
}

impl Addresses {
    /// A document's file in an exported site's directory for the organisation.
    pub fn file_name(key: &DocKey) -> String {
        match key {
            DocKey::Page(l) => format!("index.{}.html", l.code()),
            DocKey::Atom(l) => format!("feed.{}.atom", l.code()),
            DocKey::Json(l) => format!("feed.{}.json", l.code()),
            DocKey::CapIndex => "cap.xml".to_owned(),
            DocKey::Cap(id) => format!("cap/{id}.xml"),
        }
    }

    /// A link from one of the site's pages to a document.
    pub fn href(&self, slug: &str, key: &DocKey) -> String {
        match self.layout {
            Layout::Files => Self::file_name(key),
            Layout::Served => match key {
                DocKey::Page(l) => format!("/status/{slug}?lang={}", l.code()),
                DocKey::Atom(l) => format!("/status/{slug}/feed.atom?lang={}", l.code()),
                DocKey::Json(l) => format!("/status/{slug}/feed.json?lang={}", l.code()),
                DocKey::CapIndex => format!("/status/{slug}/cap.xml"),
                DocKey::Cap(id) => format!("/status/{slug}/cap/{id}.xml"),
            },
        }
    }

    /// A document's address, for feeds and CAP, which need them whole.
    pub fn url(&self, slug: &str, key: &DocKey) -> String {
        match self.layout {
            Layout::Served => format!("{}{}", self.base, self.href(slug, key)),
            Layout::Files => format!("{}/status/{slug}/{}", self.base, Self::file_name(key)),
        }
    }

    /// The subscription form: on the server, also from an exported copy elsewhere.
    fn subscribe(&self, slug: &str, lang: Lang) -> String {
        let path = format!("/status/{slug}/subscribe?lang={}", lang.code());
        match self.layout {
            Layout::Served => path,
            Layout::Files => format!("{}{path}", self.base),
        }
    }

    /// The stylesheet, from a page.
    fn stylesheet(&self) -> &'static str {
        match self.layout {
            Layout::Served => "/static/app.css",
            Layout::Files => "../../static/app.css",
        }
    }

    /// The CAP `sender`: the organisation at this server's host, with no space or comma.
    fn sender(&self, slug: &str) -> String {
        let host = url::Url::parse(&self.base)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "localhost".into());
        format!("{slug}@{host}")
    }
}

/// A CAP message's identifier: the notice and the update's number.
pub fn cap_identifier(notice: &Notice, update: &NoticeUpdate) -> String {
    format!("{}.{}", notice.id, update.seq)
}

/// The services a notice's update is about, by name, in the overview's order.
fn affected(status: &PublicStatus, update: &NoticeUpdate) -> Vec<String> {
    status
        .services
        .iter()
        .filter(|s| update.services.contains(&s.id))
        .map(|s| s.name.clone())
        .collect()
}

/// Makes the whole site. `previous` is the site it replaces, whose documents keep their
/// `Last-Modified` where the bytes are the same.
pub fn render(
    status: &PublicStatus,
    addresses: &Addresses,
    previous: Option<&Site>,
) -> Result<Site, askama::Error> {
    let now = status.read_at;
    let slug = status.org.slug.to_string();
    let default_lang = status
        .org
        .language
        .as_deref()
        .and_then(Lang::parse)
        .or_else(|| Lang::parse(status.org.language_code()))
        .unwrap_or_else(Lang::fallback);
    let mut docs = HashMap::new();
    for lang in Lang::all() {
        let key = DocKey::Page(lang);
        let html = page(status, addresses, lang)?;
        docs.insert(
            key.clone(),
            doc(
                html.into_bytes(),
                "text/html; charset=utf-8",
                Some(lang),
                &key,
                previous,
                now,
            ),
        );
        let key = DocKey::Atom(lang);
        let atom = atom(status, addresses, lang)?;
        docs.insert(
            key.clone(),
            doc(
                atom.into_bytes(),
                "application/atom+xml; charset=utf-8",
                Some(lang),
                &key,
                previous,
                now,
            ),
        );
        let key = DocKey::Json(lang);
        let json = json_feed(status, addresses, lang);
        docs.insert(
            key.clone(),
            doc(
                json.into_bytes(),
                "application/feed+json; charset=utf-8",
                Some(lang),
                &key,
                previous,
                now,
            ),
        );
    }
    let (index, messages) = cap(status, addresses, default_lang)?;
    for (identifier, xml) in messages {
        let key = DocKey::Cap(identifier);
        let d = doc(
            xml.into_bytes(),
            "application/cap+xml; charset=utf-8",
            None,
            &key,
            previous,
            now,
        );
        docs.insert(key, d);
    }
    let key = DocKey::CapIndex;
    let d = doc(
        index.into_bytes(),
        "application/atom+xml; charset=utf-8",
        None,
        &key,
        previous,
        now,
    );
    docs.insert(key, d);
    let kept_at_most = now + Duration::seconds(KEPT_AT_MOST_SECONDS);
    Ok(Site {
        org_id: status.org.id,
        slug,
        default_lang,
        docs,
        valid_until: status
            .changes_by_itself_at
            .map_or(kept_at_most, |at| at.min(kept_at_most)),
    })
}

fn notice_view(status: &PublicStatus, notice: &Notice, lang: Lang) -> NoticeView {
    let t = lang.texts();
    let zone = status.org.zone();
    let latest = notice.latest();
    let text = latest.text(lang.code());
    let text_lang = text
        .map(|x| x.lang.clone())
        .filter(|l| l != lang.code())
        .unwrap_or_default();
    let window = match (notice.kind, notice.starts_at, notice.ends_at) {
        (Kind::Maintenance, Some(from), Some(to)) => {
            // The end's date only when it is another day than the start's.
            let same_day = zone.local(from).date_naive() == zone.local(to).date_naive();
            let to = match same_day {
                true => zone.local(to).format("%H:%M %Z").to_string(),
                false => when(to, zone),
            };
            lang.format(
                "status-window",
                &[("from", when(from, zone).into()), ("to", to.into())],
            )
        }
        _ => String::new(),
    };
    NoticeView {
        id: notice.id.to_string(),
        exercise: notice.exercise,
        title: text.map(|x| x.title.clone()).unwrap_or_default(),
        text_lang,
        phase: latest.phase.as_str(),
        phase_label: t.phase(latest.phase),
        at: when(latest.at, zone),
        window,
        affects: affected(status, latest).join(", "),
        body: text.map(|x| lines(&x.body)).unwrap_or_default(),
        earlier: notice.updates[..notice.updates.len() - 1]
            .iter()
            .rev()
            .map(|u| {
                let text = u.text(lang.code());
                UpdateView {
                    at: when(u.at, zone),
                    phase_label: t.phase(u.phase),
                    title: text.map(|x| x.title.clone()).unwrap_or_default(),
                    body: text.map(|x| lines(&x.body)).unwrap_or_default(),
                }
            })
            .collect(),
    }
}

fn page(status: &PublicStatus, addresses: &Addresses, lang: Lang) -> Result<String, askama::Error> {
    let t = lang.texts();
    let slug = status.org.slug.to_string();
    let c = &status.contacts;
    let region = status.org.region;
    let mut disruptions = Vec::new();
    let mut maintenance = Vec::new();
    let mut ended = Vec::new();
    for notice in &status.notices {
        let view = notice_view(status, notice, lang);
        match (notice.is_open(), notice.kind) {
            (false, _) => ended.push(view),
            (true, Kind::Disruption) => disruptions.push(view),
            (true, Kind::Maintenance) => maintenance.push(view),
        }
    }
    PublicPage {
        lang,
        t,
        langs: Lang::all()
            .map(|l| (l, addresses.href(&slug, &DocKey::Page(l))))
            .collect(),
        stylesheet: addresses.stylesheet(),
        atom_href: addresses.href(&slug, &DocKey::Atom(lang)),
        json_href: addresses.href(&slug, &DocKey::Json(lang)),
        cap_href: addresses.href(&slug, &DocKey::CapIndex),
        subscribe_href: addresses.subscribe(&slug, lang),
        org: status.org.name.clone(),
        phone: c
            .phone
            .as_deref()
            .map(|p| readable_number(p, region))
            .unwrap_or_default(),
        phone_href: c
            .phone
            .as_deref()
            .map(|p| format!("tel:{p}"))
            .unwrap_or_default(),
        address: c.address.clone().unwrap_or_default(),
        opening_hours: c.opening_hours.clone().unwrap_or_default(),
        note: c
            .note
            .as_deref()
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect(),
        disruptions,
        maintenance,
        ended,
        press: status
            .press_releases
            .iter()
            .map(|p| PressView {
                id: p.id.to_string(),
                exercise: p.exercise,
                title: p.title.clone(),
                lang: p.lang.clone(),
                at: when(p.published_at, status.org.zone()),
                body: p.body.lines().map(str::to_owned).collect(),
            })
            .collect(),
        services: status
            .services
            .iter()
            .map(|s| ServiceRow {
                name: s.name.clone(),
                state: s.public_state.as_str(),
                state_label: t.service_state(s.public_state),
            })
            .collect(),
        updated: status
            .changed_at
            .map(|at| {
                t.lang.format(
                    "status-updated",
                    &[("when", when(at, status.org.zone()).into())],
                )
            })
            .unwrap_or_default(),
    }
    .render()
}

/// The newest time anything shown changed: the feeds' `updated`.
fn newest(status: &PublicStatus) -> DateTime<Utc> {
    status
        .notices
        .iter()
        .map(|n| n.latest().at)
        .chain(status.press_releases.iter().map(|p| p.published_at))
        .chain(status.changed_at)
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

/// A notice's latest update as plain text, for feeds: its phase, what it affects, its
/// window, its text.
fn plain_text(status: &PublicStatus, notice: &Notice, lang: Lang) -> (String, String) {
    let t = lang.texts();
    let view = notice_view(status, notice, lang);
    let title = match notice.exercise {
        true => format!("{}: {}", t.status_exercise, view.title),
        false => view.title.clone(),
    };
    let mut text = vec![view.phase_label.to_owned()];
    if notice.exercise {
        text.push(t.status_exercise_note.to_owned());
    }
    if !view.affects.is_empty() {
        text.push(format!("{}: {}", t.status_affects, view.affects));
    }
    if !view.window.is_empty() {
        text.push(view.window.clone());
    }
    text.extend(view.body);
    (title, text.join("\n"))
}

fn atom(status: &PublicStatus, addresses: &Addresses, lang: Lang) -> Result<String, askama::Error> {
    let t = lang.texts();
    let slug = status.org.slug.to_string();
    let page_url = addresses.url(&slug, &DocKey::Page(lang));
    AtomFeed {
        lang: lang.code(),
        org_id: status.org.id.to_string(),
        org: status.org.name.clone(),
        title: t.status_title,
        updated: rfc3339(newest(status)),
        self_url: addresses.url(&slug, &DocKey::Atom(lang)),
        entries: status
            .notices
            .iter()
            .map(|n| {
                let (title, text) = plain_text(status, n, lang);
                AtomEntry {
                    id: format!("urn:uuid:{}", n.id),
                    title,
                    updated: rfc3339(n.latest().at),
                    published: rfc3339(n.published_at()),
                    link: format!("{page_url}#notice-{}", n.id),
                    phase: n.latest().phase.as_str(),
                    phase_label: t.phase(n.latest().phase),
                    text,
                }
            })
            .chain(status.press_releases.iter().map(|p| AtomEntry {
                id: format!("urn:uuid:{}", p.id),
                title: press_title(p, lang),
                updated: rfc3339(p.published_at),
                published: rfc3339(p.published_at),
                link: format!("{page_url}#press-{}", p.id),
                phase: "press_release",
                phase_label: t.status_press,
                text: p.body.clone(),
            }))
            .collect(),
        page_url,
    }
    .render()
}

/// A press release's title as the feeds give it: marked when from an exercise.
fn press_title(p: &beredskap_core::continuity::press::PressRelease, lang: Lang) -> String {
    match p.exercise {
        true => format!("{}: {}", lang.texts().status_exercise, p.title),
        false => p.title.clone(),
    }
}

fn json_feed(status: &PublicStatus, addresses: &Addresses, lang: Lang) -> String {
    let t = lang.texts();
    let slug = status.org.slug.to_string();
    let page_url = addresses.url(&slug, &DocKey::Page(lang));
    let items: Vec<serde_json::Value> = status
        .notices
        .iter()
        .map(|n| {
            let (title, text) = plain_text(status, n, lang);
            let latest = n.latest();
            let mut tags = vec![n.kind.as_str(), latest.phase.as_str()];
            if n.exercise {
                tags.push("exercise");
            }
            serde_json::json!({
                "id": format!("urn:uuid:{}", n.id),
                "url": format!("{page_url}#notice-{}", n.id),
                "title": title,
                "content_text": text,
                "date_published": rfc3339(n.published_at()),
                "date_modified": rfc3339(latest.at),
                "language": latest.text(lang.code()).map(|x| x.lang.clone()),
                "tags": tags,
                "_beredskap": {
                    "kind": n.kind.as_str(),
                    "phase": latest.phase.as_str(),
                    "exercise": n.exercise,
                    "services": affected(status, latest),
                    "starts_at": n.starts_at.map(rfc3339),
                    "ends_at": n.ends_at.map(rfc3339),
                },
            })
        })
        .chain(status.press_releases.iter().map(|p| {
            let mut tags = vec!["press_release"];
            if p.exercise {
                tags.push("exercise");
            }
            serde_json::json!({
                "id": format!("urn:uuid:{}", p.id),
                "url": format!("{page_url}#press-{}", p.id),
                "title": press_title(p, lang),
                "content_text": p.body,
                "date_published": rfc3339(p.published_at),
                "language": p.lang,
                "tags": tags,
            })
        }))
        .collect();
    let feed = serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": format!("{}: {}", status.org.name, t.status_title),
        "home_page_url": page_url,
        "feed_url": addresses.url(&slug, &DocKey::Json(lang)),
        "language": lang.code(),
        "authors": [{ "name": status.org.name }],
        "items": items,
    });
    // A `Value` always serialises.
    serde_json::to_string_pretty(&feed).unwrap_or_default()
}

/// CAP's urgency, severity and certainty for an update of a notice of a kind.
fn cap_levels(kind: Kind, phase: Phase) -> (&'static str, &'static str, &'static str) {
    match (kind, phase) {
        (_, p) if p.ends() => ("Past", "Minor", "Observed"),
        (Kind::Maintenance, Phase::Planned) => ("Future", "Minor", "Likely"),
        (Kind::Maintenance, _) => ("Immediate", "Minor", "Observed"),
        (Kind::Disruption, _) => ("Immediate", "Moderate", "Observed"),
    }
}

/// Every CAP message of the notices shown (one per update: the first an `Alert`, later
/// ones an `Update`, the one that ends it a `Cancel`, each referring to those before) and
/// the Atom index of each notice's latest, inline.
fn cap(
    status: &PublicStatus,
    addresses: &Addresses,
    default_lang: Lang,
) -> Result<(String, Vec<(String, String)>), askama::Error> {
    let zone = status.org.zone();
    let slug = status.org.slug.to_string();
    let page_url = addresses.url(&slug, &DocKey::Page(default_lang));
    let sender = addresses.sender(&slug);
    let c = &status.contacts;
    let mut messages = Vec::new();
    let mut entries = Vec::new();
    for notice in &status.notices {
        let mut references: Vec<String> = Vec::new();
        for update in &notice.updates {
            let identifier = cap_identifier(notice, update);
            let sent = cap_time(update.at, zone);
            let msg_type = match (update.seq, update.phase.ends()) {
                (1, _) => "Alert",
                (_, true) => "Cancel",
                (_, false) => "Update",
            };
            let (urgency, severity, certainty) = cap_levels(notice.kind, update.phase);
            let infos = update
                .texts
                .iter()
                .filter_map(|text| {
                    let lang = Lang::parse(&text.lang)?;
                    let t = lang.texts();
                    let mut description = vec![t.phase(update.phase).to_owned()];
                    let affects = affected(status, update);
                    if !affects.is_empty() {
                        description.push(format!("{}: {}", t.status_affects, affects.join(", ")));
                    }
                    if !text.body.is_empty() {
                        description.push(text.body.clone());
                    }
                    let mut instruction = Vec::new();
                    if let Some(phone) = &c.phone {
                        let number = readable_number(phone, status.org.region);
                        instruction.push(format!("{}: {number}", t.status_phone));
                    }
                    if let Some(address) = &c.address {
                        instruction.push(format!("{}: {address}", t.status_address));
                    }
                    if let Some(hours) = &c.opening_hours {
                        instruction.push(format!("{}: {hours}", t.status_hours));
                    }
                    Some(CapInfo {
                        language: lang.code(),
                        event: match notice.kind {
                            Kind::Disruption => t.cap_event_disruption,
                            Kind::Maintenance => t.cap_event_maintenance,
                        },
                        headline: match notice.exercise {
                            true => format!("{}: {}", t.status_exercise, text.title),
                            false => text.title.clone(),
                        },
                        description: description.join("\n"),
                        instruction: instruction.join("\n"),
                    })
                })
                .collect();
            let alert = CapAlert {
                identifier: identifier.clone(),
                sender: sender.clone(),
                sent: sent.clone(),
                status: if notice.exercise {
                    "Exercise"
                } else {
                    "Actual"
                },
                msg_type,
                references: references.join(" "),
                urgency,
                severity,
                certainty,
                onset: notice
                    .starts_at
                    .map(|t| cap_time(t, zone))
                    .unwrap_or_default(),
                expires: notice
                    .ends_at
                    .map(|t| cap_time(t, zone))
                    .unwrap_or_default(),
                org: status.org.name.clone(),
                web: page_url.clone(),
                contact: c
                    .phone
                    .as_deref()
                    .map(|p| readable_number(p, status.org.region))
                    .unwrap_or_default(),
                infos,
            }
            .render()?;
            references.push(format!("{sender},{identifier},{sent}"));
            if update.seq == notice.latest().seq {
                let t = default_lang.texts();
                let title = notice
                    .latest()
                    .text(default_lang.code())
                    .map(|x| x.title.clone())
                    .unwrap_or_default();
                entries.push(CapEntry {
                    id: format!("urn:uuid:{}", notice.id),
                    title: match notice.exercise {
                        true => format!("{}: {title}", t.status_exercise),
                        false => title,
                    },
                    updated: rfc3339(update.at),
                    link: addresses.url(&slug, &DocKey::Cap(identifier.clone())),
                    alert: alert.clone(),
                });
            }
            messages.push((
                identifier,
                format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{alert}"),
            ));
        }
    }
    let index = CapIndex {
        org: status.org.name.clone(),
        title: default_lang.texts().status_title,
        updated: rfc3339(newest(status)),
        self_url: addresses.url(&slug, &DocKey::CapIndex),
        page_url,
        entries,
    }
    .render()?;
    Ok((index, messages))
}

/// Writes the site as files under `dir`, for any static web server to serve as this one
/// does: `status/{slug}/` with each document (`index.html`, `feed.atom` and `feed.json` in
/// the organisation's language, the same with the language in their names, `cap.xml`,
/// `cap/{identifier}.xml`) and the stylesheet at `static/app.css`. Each file is replaced
/// whole, so a server reading one mid-write reads the old or the new. Returns how many.
pub fn write_files(site: &Site, dir: &std::path::Path) -> std::io::Result<usize> {
    let org_dir = dir.join("status").join(&site.slug);
    let mut written = 0;
    let mut write = |path: std::path::PathBuf, bytes: &[u8]| {
        written += 1;
        crate::files::write_durably(&path, bytes)
    };
    for (key, doc) in &site.docs {
        write(org_dir.join(Addresses::file_name(key)), &doc.bytes)?;
        let default_copy = match key {
            DocKey::Page(l) if *l == site.default_lang => Some("index.html"),
            DocKey::Atom(l) if *l == site.default_lang => Some("feed.atom"),
            DocKey::Json(l) if *l == site.default_lang => Some("feed.json"),
            _ => None,
        };
        if let Some(name) = default_copy {
            write(org_dir.join(name), &doc.bytes)?;
        }
    }
    write(
        dir.join("static").join("app.css"),
        crate::web::STYLESHEET.as_bytes(),
    )?;
    Ok(written)
}

/// The sites in memory, by organisation slug; each made on the first request after a
/// change, once, however many ask at the same moment.
#[derive(Default)]
pub struct StatusSites {
    slots: Mutex<HashMap<String, Arc<Slot>>>,
}

#[derive(Default)]
struct Slot {
    site: tokio::sync::OnceCell<Arc<Site>>,
    previous: Option<Arc<Site>>,
}

impl StatusSites {
    /// The site of the organisation with the slug: the one in memory while it holds,
    /// else made now (by `make`, given the site it replaces).
    pub async fn site<F, Fut, E>(
        &self,
        slug: &str,
        now: DateTime<Utc>,
        make: F,
    ) -> Result<Arc<Site>, E>
    where
        F: FnOnce(Option<Arc<Site>>) -> Fut,
        Fut: std::future::Future<Output = Result<Site, E>>,
    {
        let slot = {
            let mut slots = self.lock();
            match slots.get(slug) {
                Some(slot) if slot.site.get().is_none_or(|s| s.valid_until > now) => slot.clone(),
                existing => {
                    let previous = existing.and_then(|s| s.site.get().cloned());
                    let slot = Arc::new(Slot {
                        site: tokio::sync::OnceCell::new(),
                        previous,
                    });
                    slots.insert(slug.to_owned(), slot.clone());
                    slot
                }
            }
        };
        let made = slot
            .site
            .get_or_try_init(|| async { make(slot.previous.clone()).await.map(Arc::new) })
            .await;
        match made {
            Ok(site) => Ok(site.clone()),
            Err(e) => {
                // An unknown slug (or a failed read) leaves nothing behind.
                let mut slots = self.lock();
                if slots.get(slug).is_some_and(|s| Arc::ptr_eq(s, &slot)) {
                    slots.remove(slug);
                }
                Err(e)
            }
        }
    }

    /// Something of the organisation changed: its site is made again on the next request.
    /// A site still being made is dropped too, since it may have read before the change.
    pub fn changed(&self, org: OrgId) {
        let mut slots = self.lock();
        let stale: Vec<String> = slots
            .iter()
            .filter(|(_, slot)| slot.site.get().is_none_or(|s| s.org_id == org))
            .map(|(slug, _)| slug.clone())
            .collect();
        for slug in stale {
            Self::replace(&mut slots, &slug);
        }
    }

    /// Anything may have changed (a wake-up from the command line names no organisation).
    pub fn all_changed(&self) {
        let mut slots = self.lock();
        let all: Vec<String> = slots.keys().cloned().collect();
        for slug in all {
            Self::replace(&mut slots, &slug);
        }
    }

    fn replace(slots: &mut HashMap<String, Arc<Slot>>, slug: &str) {
        let previous = slots
            .get(slug)
            .and_then(|s| s.site.get().cloned().or_else(|| s.previous.clone()));
        slots.insert(
            slug.to_owned(),
            Arc::new(Slot {
                site: tokio::sync::OnceCell::new(),
                previous,
            }),
        );
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Slot>>> {
        // A panic while holding the lock leaves a map that is still whole.
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn site(org: OrgId, bytes: &str, previous: Option<&Site>, now: DateTime<Utc>) -> Site {
        let key = DocKey::CapIndex;
        let d = doc(
            bytes.as_bytes().to_vec(),
            "text/plain",
            None,
            &key,
            previous,
            now,
        );
        Site {
            org_id: org,
            slug: "lillby".into(),
            default_lang: Lang::fallback(),
            docs: HashMap::from([(key, d)]),
            valid_until: now + Duration::seconds(KEPT_AT_MOST_SECONDS),
        }
    }

    #[tokio::test]
    async fn a_crowd_asking_at_once_has_the_site_made_once_and_a_change_makes_it_again() {
        let sites = Arc::new(StatusSites::default());
        let made = Arc::new(AtomicUsize::new(0));
        let org = OrgId::new();
        let t0: DateTime<Utc> = "2026-12-02T10:00:00Z".parse().unwrap();
        let ask = |sites: Arc<StatusSites>, made: Arc<AtomicUsize>, bytes: &'static str, now| async move {
            sites
                .site("lillby", now, |previous| async move {
                    made.fetch_add(1, Ordering::SeqCst);
                    // Slow enough that the others ask while it is being made.
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    Ok::<_, ()>(site(org, bytes, previous.as_deref(), now))
                })
                .await
                .unwrap()
        };
        let crowd: Vec<_> = (0..50)
            .map(|_| tokio::spawn(ask(sites.clone(), made.clone(), "v1", t0)))
            .collect();
        for asked in crowd {
            asked.await.unwrap();
        }
        assert_eq!(made.load(Ordering::SeqCst), 1);
        // Another organisation's change leaves it; this one's makes it again, and bytes
        // that did not change keep their time.
        sites.changed(OrgId::new());
        ask(sites.clone(), made.clone(), "v1", t0).await;
        assert_eq!(made.load(Ordering::SeqCst), 1);
        sites.changed(org);
        let t1 = t0 + Duration::seconds(30);
        let same = ask(sites.clone(), made.clone(), "v1", t1).await;
        assert_eq!(made.load(Ordering::SeqCst), 2);
        assert_eq!(same.docs[&DocKey::CapIndex].last_modified, t0);
        sites.all_changed();
        let t2 = t0 + Duration::seconds(60);
        let new = ask(sites.clone(), made.clone(), "v2", t2).await;
        assert_eq!(new.docs[&DocKey::CapIndex].last_modified, t2);
        // Kept at most a while, even with nothing said to change.
        let later = t2 + Duration::seconds(KEPT_AT_MOST_SECONDS + 1);
        ask(sites.clone(), made.clone(), "v2", later).await;
        assert_eq!(made.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn an_unknown_organisation_leaves_nothing_behind() {
        let sites = StatusSites::default();
        let t0: DateTime<Utc> = "2026-12-02T10:00:00Z".parse().unwrap();
        for n in 0..100 {
            let slug = format!("okand-{n}");
            let refused = sites
                .site(&slug, t0, |_| async { Err::<Site, _>("not found") })
                .await;
            assert!(refused.is_err());
        }
        assert!(sites.lock().is_empty());
    }
}
