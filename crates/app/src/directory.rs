//! The contact directory: the organisation's people by group and by position with their
//! numbers and addresses, and the external contacts (suppliers, utilities, partners, the
//! alarm centre) with what to call them for. Members read it; private numbers and
//! addresses are for crisis leads and administrators only. The external contacts are
//! replaced whole by an import.

use crate::policy::{allows, permit, Caller, UseCase};
use crate::{App, Error};
use beredskap_core::contacts::{parse_contacts_csv, ExternalContact};
use beredskap_core::import::ImportErrors;
use beredskap_core::register::{ContactLabel, Group, Org, Person, Position};
use beredskap_core::PersonId;

/// Everything the directory page and its print view show, for one reader.
#[derive(Debug, Clone)]
pub struct Directory {
    /// Everyone active, by name, with the contact points this reader may see.
    pub people: Vec<Person>,
    pub groups: Vec<Group>,
    pub positions: Vec<Position>,
    pub external: Vec<ExternalContact>,
    /// Whether private numbers and addresses were left out for this reader.
    pub private_hidden: bool,
}

impl Directory {
    pub fn person(&self, id: PersonId) -> Option<&Person> {
        self.people.iter().find(|p| p.id == id)
    }
}

/// The directory as `caller` may see it. With `words`, only what matches them (a name,
/// a title, a group, a position, an organisation, what to call for, a number), ignoring
/// case.
pub async fn directory(
    app: &App,
    caller: &Caller,
    org: &Org,
    words: Option<&str>,
) -> Result<Directory, Error> {
    permit(caller, UseCase::ReadRegister)?;
    let private_hidden = !allows(caller, UseCase::SeePrivateContacts);
    let mut people: Vec<Person> = app
        .store
        .list_people(org.id)
        .await?
        .into_iter()
        .filter(|p| p.active)
        .map(|p| match private_hidden {
            true => without_private(p),
            false => p,
        })
        .collect();
    people.sort_by_key(|p| p.name.to_lowercase());
    let mut directory = Directory {
        people,
        groups: app.store.list_groups(org.id).await?,
        positions: app.store.list_positions(org.id).await?,
        external: app.store.external_contacts(org.id).await?,
        private_hidden,
    };
    if let Some(words) = words.map(str::trim).filter(|w| !w.is_empty()) {
        narrow(&mut directory, words);
    }
    Ok(directory)
}

/// A person as someone who may not see private contact points sees them.
pub fn without_private(mut person: Person) -> Person {
    person
        .contact_points
        .retain(|cp| cp.label != ContactLabel::Private);
    person
}

/// Keeps what matches every word: a person by their name, title, numbers or a group or
/// position they are in; a group or position by its name or a member's match; an external
/// contact by any of its fields.
fn narrow(directory: &mut Directory, words: &str) {
    let words: Vec<String> = words.split_whitespace().map(str::to_lowercase).collect();
    let matches = |text: &str| {
        let text = text.to_lowercase();
        words.iter().all(|w| text.contains(w.as_str()))
    };
    let person_text = |p: &Person| {
        let mut text = format!("{} {}", p.name, p.title.as_deref().unwrap_or(""));
        for cp in &p.contact_points {
            text.push(' ');
            text.push_str(&cp.value);
        }
        text
    };
    let group_names = |id: PersonId| {
        let mut names = String::new();
        for g in directory.groups.iter().filter(|g| g.members.contains(&id)) {
            names.push(' ');
            names.push_str(&g.name);
        }
        for p in directory
            .positions
            .iter()
            .filter(|p| p.holders.contains(&id))
        {
            names.push(' ');
            names.push_str(&p.name);
        }
        names
    };
    let kept: Vec<Person> = directory
        .people
        .iter()
        .filter(|p| matches(&format!("{} {}", person_text(p), group_names(p.id))))
        .cloned()
        .collect();
    let kept_ids: Vec<PersonId> = kept.iter().map(|p| p.id).collect();
    directory
        .groups
        .retain(|g| matches(&g.name) || g.members.iter().any(|m| kept_ids.contains(m)));
    directory
        .positions
        .retain(|p| matches(&p.name) || p.holders.iter().any(|h| kept_ids.contains(h)));
    directory.external.retain(|c| {
        let c = &c.contact;
        let fields = [
            Some(c.name.as_str()),
            c.organisation.as_deref(),
            c.phone.as_deref(),
            c.email.as_deref(),
            Some(c.call_for.as_str()),
            c.category.as_deref(),
        ];
        matches(
            &fields
                .iter()
                .flatten()
                .copied()
                .collect::<Vec<_>>()
                .join(" "),
        )
    });
    directory.people = kept;
}

/// Why an import of external contacts was refused: every problem in the file, by line and
/// column. Nothing was applied.
#[derive(Debug, thiserror::Error)]
pub enum ImportRefused {
    #[error("{0}")]
    File(ImportErrors),
    #[error(transparent)]
    Use(#[from] Error),
}

/// Replaces the external contacts with the file's, all or nothing; how many there are.
pub async fn import_contacts(
    app: &App,
    caller: &Caller,
    org: &Org,
    csv: &[u8],
) -> Result<usize, ImportRefused> {
    permit(caller, UseCase::ChangeRegister)?;
    let rows = parse_contacts_csv(csv, org.region).map_err(ImportRefused::File)?;
    let contacts = rows.into_iter().map(|r| r.contact).collect();
    let count = app
        .store
        .replace_external_contacts(&caller.actor(), org.id, contacts)
        .await
        .map_err(Error::from)?;
    Ok(count)
}
