//! The contact directory's SQL shared by both backends: the child `directory` of each
//! backend's `ops` module.

use super::*;
use beredskap_core::contacts::{ContactDraft, ExternalContact};

pub async fn external_contacts(conn: &mut Conn, org: OrgId) -> StoreResult<Vec<ExternalContact>> {
    let rows = sqlx::query(
        "SELECT id, org_id, name, organisation, phone, email, call_for, category \
         FROM external_contacts WHERE org_id = $1 ORDER BY place",
    )
    .bind(org.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok(ExternalContact {
                id: col(r, "id")?,
                org_id: OrgId(col(r, "org_id")?),
                contact: ContactDraft {
                    name: col(r, "name")?,
                    organisation: col(r, "organisation")?,
                    phone: col(r, "phone")?,
                    email: col(r, "email")?,
                    call_for: col(r, "call_for")?,
                    category: col(r, "category")?,
                },
            })
        })
        .collect()
}

pub async fn replace_external_contacts(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    contacts: Vec<ContactDraft>,
) -> StoreResult<usize> {
    let before: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM external_contacts WHERE org_id = $1")
            .bind(org.0)
            .fetch_one(&mut *conn)
            .await
            .map_err(db)?;
    sqlx::query("DELETE FROM external_contacts WHERE org_id = $1")
        .bind(org.0)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    for (place, c) in contacts.iter().enumerate() {
        sqlx::query(
            "INSERT INTO external_contacts \
             (id, org_id, place, name, organisation, phone, email, call_for, category) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(Uuid::new_v4())
        .bind(org.0)
        .bind(i64::try_from(place).unwrap_or(i64::MAX))
        .bind(&c.name)
        .bind(&c.organisation)
        .bind(&c.phone)
        .bind(&c.email)
        .bind(&c.call_for)
        .bind(&c.category)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "contacts.replaced",
            format!("org:{org}"),
            serde_json::json!({ "before": before, "after": contacts.len() }),
        ),
    )
    .await?;
    Ok(contacts.len())
}
