//! The contact directory page (`/directory`, searchable with `?q=`) and its print view
//! (`/directory/print`): people by position and group with their numbers, external
//! contacts by category. Works without JavaScript; kept for offline reading.

use super::session::SignedIn;
use super::{render, when, Page, Texts, WebContext, WebError};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use beredskap_app::directory::{self, Directory};
use beredskap_core::domain::readable_number;
use beredskap_core::register::{ContactKind, ContactLabel, Person};
use beredskap_core::{PersonId, Region};
use serde::Deserialize;

/// One way to reach someone.
pub(super) struct Reach {
    /// `tel:` or `mailto:` link.
    pub(super) href: String,
    pub(super) shown: String,
    /// "Mobil", "E-post privat".
    pub(super) label: String,
}

pub(super) struct PersonRow {
    pub(super) name: String,
    pub(super) title: String,
    pub(super) reach: Vec<Reach>,
}

pub(super) struct PositionRow {
    pub(super) name: String,
    /// The holder first, then the deputies in order.
    pub(super) holders: Vec<PersonRow>,
}

pub(super) struct GroupRow {
    pub(super) name: String,
    pub(super) members: Vec<PersonRow>,
}

pub(super) struct ExternalRow {
    pub(super) name: String,
    pub(super) organisation: String,
    pub(super) reach: Vec<Reach>,
    pub(super) call_for: String,
}

pub(super) struct Category {
    pub(super) name: String,
    pub(super) contacts: Vec<ExternalRow>,
}

#[derive(Template)]
#[template(path = "directory.html")]
struct DirectoryPage {
    page: Page,
    q: String,
    rows: Rows,
    private_hidden: bool,
    nothing_found: bool,
    no_external: bool,
    /// Whether the reader may open or keep the priority list (a link to it).
    may_priority: bool,
}

#[derive(Template)]
#[template(path = "directory_print.html")]
struct PrintPage {
    page: Page,
    org: String,
    printed: String,
    rows: Rows,
    private_hidden: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct DirectoryQuery {
    #[serde(default)]
    q: String,
}

/// The ways to reach a person this reader may see; push subscriptions are no number.
fn reach(t: &Texts, region: Region, person: &Person) -> Vec<Reach> {
    person
        .contact_points
        .iter()
        .filter_map(|cp| {
            let (scheme, kind, shown) = match cp.kind {
                ContactKind::Sms => (
                    "tel",
                    t.directory_mobile,
                    readable_number(&cp.value, region),
                ),
                ContactKind::Voice => {
                    ("tel", t.directory_phone, readable_number(&cp.value, region))
                }
                ContactKind::Email => ("mailto", t.directory_email, cp.value.clone()),
                ContactKind::Push => return None,
            };
            let label = match cp.label {
                ContactLabel::Private => format!("{kind} {}", t.directory_private),
                ContactLabel::Work => kind.to_owned(),
            };
            Some(Reach {
                href: format!("{scheme}:{}", cp.value),
                shown,
                label,
            })
        })
        .collect()
}

fn person_row(t: &Texts, region: Region, person: &Person) -> PersonRow {
    PersonRow {
        name: person.name.clone(),
        title: person.title.clone().unwrap_or_default(),
        reach: reach(t, region, person),
    }
}

/// What both the page and the print view list.
pub(super) struct Rows {
    pub(super) external: Vec<Category>,
    pub(super) positions: Vec<PositionRow>,
    pub(super) groups: Vec<GroupRow>,
    pub(super) people: Vec<PersonRow>,
}

pub(super) fn rows(t: &Texts, region: Region, d: &Directory) -> Rows {
    let rows_of = |ids: &[PersonId]| -> Vec<PersonRow> {
        ids.iter()
            .filter_map(|id| d.person(*id))
            .map(|p| person_row(t, region, p))
            .collect()
    };
    let mut external: Vec<Category> = Vec::new();
    for c in &d.external {
        let c = &c.contact;
        let category = c
            .category
            .clone()
            .unwrap_or_else(|| t.directory_other.to_owned());
        let mut reach = Vec::new();
        if let Some(phone) = &c.phone {
            reach.push(Reach {
                href: format!("tel:{phone}"),
                shown: readable_number(phone, region),
                label: t.directory_phone.to_owned(),
            });
        }
        if let Some(email) = &c.email {
            reach.push(Reach {
                href: format!("mailto:{email}"),
                shown: email.clone(),
                label: t.directory_email.to_owned(),
            });
        }
        let row = ExternalRow {
            name: c.name.clone(),
            organisation: c.organisation.clone().unwrap_or_default(),
            reach,
            call_for: c.call_for.clone(),
        };
        match external.iter_mut().find(|k| k.name == category) {
            Some(k) => k.contacts.push(row),
            None => external.push(Category {
                name: category,
                contacts: vec![row],
            }),
        }
    }
    Rows {
        external,
        positions: d
            .positions
            .iter()
            .map(|p| PositionRow {
                name: p.name.clone(),
                holders: rows_of(&p.holders),
            })
            .collect(),
        groups: d
            .groups
            .iter()
            .map(|g| GroupRow {
                name: g.name.clone(),
                members: rows_of(&g.members),
            })
            .collect(),
        people: d.people.iter().map(|p| person_row(t, region, p)).collect(),
    }
}

pub async fn page(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
    Query(query): Query<DirectoryQuery>,
) -> Result<Response, WebError> {
    let t = ctx.t();
    let q: String = query.q.chars().take(200).collect();
    let words = Some(q.as_str()).filter(|w| !w.trim().is_empty());
    let d = directory::directory(&state.app, &me.caller(), &me.org, words).await?;
    let nothing_found = words.is_some()
        && d.people.is_empty()
        && d.external.is_empty()
        && d.groups.is_empty()
        && d.positions.is_empty();
    let no_external = words.is_none() && d.external.is_empty();
    let may_priority = beredskap_app::priority_list::access(&state.app, &me.caller(), &me.org)
        .await
        .is_ok();
    render(
        StatusCode::OK,
        &DirectoryPage {
            page: Page::signed_in(&ctx, &me, t.directory_title),
            q,
            rows: rows(t, me.org.region, &d),
            private_hidden: d.private_hidden,
            nothing_found,
            no_external,
            may_priority,
        },
    )
}

/// Everything on a few sheets, for the binder by the phone.
pub async fn print(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
) -> Result<Response, WebError> {
    let t = ctx.t();
    let d = directory::directory(&state.app, &me.caller(), &me.org, None).await?;
    render(
        StatusCode::OK,
        &PrintPage {
            page: Page::signed_in(&ctx, &me, t.directory_title),
            org: me.org.name.clone(),
            printed: when(state.clock.now(), me.org.zone()),
            rows: rows(t, me.org.region, &d),
            private_hidden: d.private_hidden,
        },
    )
}
