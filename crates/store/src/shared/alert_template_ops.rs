//! Alert templates' SQL shared by both backends: the child `alert_templates` of each
//! backend's `ops` module. A template is journaled whole when saved or deleted.

use super::*;
use beredskap_core::alert_templates::{AlertTemplate, TemplateDraft, MAX_TEMPLATES};
use beredskap_core::alerting::AlertInput;
use beredskap_core::Problem;
use beredskap_core::{AccountId, AlertTemplateId};

const COLUMNS: &str = "id, org_id, name, version, alert, saved_at, saved_by";

fn template_of(r: &DbRow) -> StoreResult<AlertTemplate> {
    let alert: String = col(r, "alert")?;
    Ok(AlertTemplate {
        id: AlertTemplateId(col(r, "id")?),
        org_id: OrgId(col(r, "org_id")?),
        name: col(r, "name")?,
        version: col(r, "version")?,
        alert: serde_json::from_str::<AlertInput>(&alert)
            .map_err(|e| corrupt("alert template", e))?,
        saved_at: col(r, "saved_at")?,
        saved_by: col::<Option<Uuid>>(r, "saved_by")?.map(AccountId),
    })
}

pub async fn alert_templates(conn: &mut Conn, org: OrgId) -> StoreResult<Vec<AlertTemplate>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM alert_templates WHERE org_id = $1 ORDER BY name_key, id"
    ))
    .bind(org.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter().map(template_of).collect()
}

pub async fn alert_template(
    conn: &mut Conn,
    org: OrgId,
    id: AlertTemplateId,
) -> StoreResult<AlertTemplate> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM alert_templates WHERE org_id = $1 AND id = $2"
    ))
    .bind(org.0)
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    template_of(&row)
}

pub async fn save_alert_template(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    draft: TemplateDraft,
    now: DateTime<Utc>,
) -> StoreResult<AlertTemplate> {
    // The recipients must be the organisation's now, as sending will require.
    let new = draft
        .alert
        .clone()
        .validate(draft.saved_by)
        .map_err(|e| StoreError::Invalid(e.within("alert")))?;
    super::alerting::alert_audience(conn, org, &new, now)
        .await
        .map_err(|e| match e {
            StoreError::Invalid(fields) => StoreError::Invalid(fields.within("alert")),
            other => other,
        })?;
    let json =
        serde_json::to_string(&draft.alert).map_err(|e| StoreError::Backend(e.to_string()))?;
    let key = draft.name.to_lowercase();
    let (id, version) = match draft.id {
        Some(id) => {
            let current = alert_template(conn, org, id).await?;
            if draft.version.is_some_and(|v| v != current.version) {
                return Err(StoreError::Conflict(Conflict::AlertTemplateChanged));
            }
            sqlx::query(
                "UPDATE alert_templates SET name = $3, name_key = $4, version = $5, alert = $6, \
                 saved_at = $7, saved_by = $8 WHERE org_id = $1 AND id = $2",
            )
            .bind(org.0)
            .bind(id.0)
            .bind(&draft.name)
            .bind(&key)
            .bind(current.version + 1)
            .bind(&json)
            .bind(now)
            .bind(draft.saved_by.map(|a| a.0))
            .execute(&mut *conn)
            .await
            .map_err(db)?;
            (id, current.version + 1)
        }
        None => {
            let count: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM alert_templates WHERE org_id = $1")
                    .bind(org.0)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(db)?;
            if usize::try_from(count).unwrap_or(usize::MAX) >= MAX_TEMPLATES {
                return Err(StoreError::invalid(
                    "name",
                    Problem::TooMany { max: MAX_TEMPLATES },
                ));
            }
            let id = AlertTemplateId::new();
            sqlx::query(
                "INSERT INTO alert_templates (id, org_id, name, name_key, version, alert, \
                 saved_at, saved_by) VALUES ($1, $2, $3, $4, 1, $5, $6, $7)",
            )
            .bind(id.0)
            .bind(org.0)
            .bind(&draft.name)
            .bind(&key)
            .bind(&json)
            .bind(now)
            .bind(draft.saved_by.map(|a| a.0))
            .execute(&mut *conn)
            .await
            .map_err(db)?;
            (id, 1)
        }
    };
    let saved = alert_template(conn, org, id).await?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            if version == 1 {
                "alert_template.created"
            } else {
                "alert_template.saved"
            },
            format!("alert_template:{id}"),
            serde_json::json!({ "template": &saved }),
        ),
    )
    .await?;
    Ok(saved)
}

pub async fn delete_alert_template(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    id: AlertTemplateId,
) -> StoreResult<()> {
    let template = alert_template(conn, org, id).await?;
    sqlx::query("DELETE FROM alert_templates WHERE org_id = $1 AND id = $2")
        .bind(org.0)
        .bind(id.0)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "alert_template.deleted",
            format!("alert_template:{id}"),
            serde_json::json!({ "name": template.name, "version": template.version }),
        ),
    )
    .await?;
    Ok(())
}
