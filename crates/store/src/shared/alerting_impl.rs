//! `AlertStore` for each backend: a module of it, as `store_impl.rs` is.

use super::{ops, Backend};
use beredskap_core::store::StoreResult;
use beredskap_core::{Actor, OrgId, PersonId, PositionId};

use beredskap_core::alert_templates::{AlertTemplate, TemplateDraft};
use beredskap_core::alerting::PlanRecipient;
use beredskap_core::alerting::{
    Alert, AlertStatus, AlertStore, AlertSummary, Answer, Delivery, DeliveryOutcome, NewAlert,
    ReplyOutcome, RosterCounts, RosterEntry, RosterQuery,
};
use beredskap_core::{AlertId, AlertTemplateId, DeliveryId};

#[async_trait::async_trait]
impl AlertStore for Backend {
    async fn alert_audience(
        &self,
        org: OrgId,
        new: &NewAlert,
        now: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<Vec<PlanRecipient>> {
        let new = new.clone();
        self.read(move |c| {
            Box::pin(async move { ops::alerting::alert_audience(c, org, &new, now).await })
        })
        .await
    }

    async fn alert_templates(&self, org: OrgId) -> StoreResult<Vec<AlertTemplate>> {
        self.read(move |c| {
            Box::pin(async move { ops::alert_templates::alert_templates(c, org).await })
        })
        .await
    }

    async fn alert_template(&self, org: OrgId, id: AlertTemplateId) -> StoreResult<AlertTemplate> {
        self.read(move |c| {
            Box::pin(async move { ops::alert_templates::alert_template(c, org, id).await })
        })
        .await
    }

    async fn save_alert_template(
        &self,
        actor: &Actor,
        org: OrgId,
        template: TemplateDraft,
        now: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<AlertTemplate> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move {
                ops::alert_templates::save_alert_template(c, &actor, org, template, now).await
            })
        })
        .await
    }

    async fn delete_alert_template(
        &self,
        actor: &Actor,
        org: OrgId,
        id: AlertTemplateId,
    ) -> StoreResult<()> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move {
                ops::alert_templates::delete_alert_template(c, &actor, org, id).await
            })
        })
        .await
    }

    async fn create_alert(
        &self,
        actor: &Actor,
        org: OrgId,
        new: NewAlert,
        now: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<Alert> {
        // An alert to many people writes thousands of rows. Written in a transaction of
        // its own, they do not hold the organisation's turn on its journal: the turn comes
        // at the end, with the journal entry, so chat and answers go on meanwhile. If that
        // meets a writer holding the turn and waiting for one of the alert's people
        // (PostgreSQL reports a deadlock and rolls the alert back), it is written again
        // with the turn from the start.
        let (first_actor, first_new) = (actor.clone(), new.clone());
        let first = self
            .write(move |c| {
                Box::pin(async move {
                    ops::alerting::create_alert(c, &first_actor, org, first_new, now).await
                })
            })
            .await;
        match first {
            Err(e) if crate::is_deadlock(&e) => {
                let actor = actor.clone();
                self.write_in(org, move |c| {
                    Box::pin(
                        async move { ops::alerting::create_alert(c, &actor, org, new, now).await },
                    )
                })
                .await
            }
            other => other,
        }
    }

    async fn announcement_alert(
        &self,
        org: OrgId,
        message: beredskap_core::MessageId,
    ) -> StoreResult<Option<AlertId>> {
        self.read(move |c| {
            Box::pin(async move { ops::alerting::announcement_alert(c, org, message).await })
        })
        .await
    }

    async fn answer_alert(
        &self,
        actor: &Actor,
        org: OrgId,
        alert: AlertId,
        answer: Answer,
    ) -> StoreResult<bool> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(
                async move { ops::alerting::answer_alert(c, &actor, org, alert, answer).await },
            )
        })
        .await
    }

    async fn claim_deliveries(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: u32,
        lease: chrono::Duration,
    ) -> StoreResult<Vec<Delivery>> {
        let node = self.node.0;
        self.write(move |c| {
            Box::pin(
                async move { ops::alerting::claim_deliveries(c, now, limit, lease, node).await },
            )
        })
        .await
    }

    async fn alert(&self, org: OrgId, id: AlertId) -> StoreResult<Alert> {
        self.read(move |c| Box::pin(async move { ops::alerting::alert(c, org, id).await }))
            .await
    }

    async fn deliveries_wanted(
        &self,
        ids: Vec<DeliveryId>,
    ) -> StoreResult<std::collections::HashSet<DeliveryId>> {
        let node = self.node.0;
        self.read(move |c| {
            Box::pin(async move { ops::alerting::deliveries_wanted(c, &ids, node).await })
        })
        .await
    }

    async fn finish_deliveries(
        &self,
        finished: Vec<(DeliveryId, DeliveryOutcome, chrono::DateTime<chrono::Utc>)>,
    ) -> StoreResult<()> {
        self.write(move |c| {
            Box::pin(async move { ops::alerting::finish_deliveries(c, finished).await })
        })
        .await
    }

    async fn alert_roster(&self, org: OrgId, alert: AlertId) -> StoreResult<Vec<RosterEntry>> {
        self.read(move |c| {
            Box::pin(async move { ops::alerting::alert_roster(c, org, alert).await })
        })
        .await
    }

    async fn alert_roster_page(
        &self,
        org: OrgId,
        alert: AlertId,
        query: RosterQuery,
    ) -> StoreResult<Vec<RosterEntry>> {
        self.read(move |c| {
            Box::pin(async move { ops::alerting::alert_roster_page(c, org, alert, &query).await })
        })
        .await
    }

    async fn alert_roster_after(
        &self,
        org: OrgId,
        alert: AlertId,
        after: Option<PersonId>,
        limit: u32,
    ) -> StoreResult<Vec<RosterEntry>> {
        self.read(move |c| {
            Box::pin(
                async move { ops::alerting::alert_roster_after(c, org, alert, after, limit).await },
            )
        })
        .await
    }

    async fn alert_roster_counts(&self, org: OrgId, alert: AlertId) -> StoreResult<RosterCounts> {
        self.read(move |c| {
            Box::pin(async move { ops::alerting::alert_roster_counts(c, org, alert).await })
        })
        .await
    }

    async fn close_alert(
        &self,
        actor: &Actor,
        org: OrgId,
        alert: AlertId,
        status: AlertStatus,
        now: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<Alert> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(
                async move { ops::alerting::close_alert(c, &actor, org, alert, status, now).await },
            )
        })
        .await
    }

    async fn list_alerts(&self, org: OrgId, limit: u32) -> StoreResult<Vec<AlertSummary>> {
        self.read(move |c| Box::pin(async move { ops::alerting::list_alerts(c, org, limit).await }))
            .await
    }

    async fn open_alerts_for(&self, org: OrgId, person: PersonId) -> StoreResult<Vec<Alert>> {
        self.read(move |c| {
            Box::pin(async move { ops::alerting::open_alerts_for(c, org, person).await })
        })
        .await
    }

    async fn escalate_due(&self, now: chrono::DateTime<chrono::Utc>) -> StoreResult<u32> {
        let due = self
            .read(move |c| Box::pin(async move { ops::alerting::escalations_due(c, now).await }))
            .await?;
        let mut escalated = 0;
        // One transaction per alert: each is checked again under its organisation's lock.
        for (org, alert) in due {
            let done = self
                .write_in(org, move |c| {
                    Box::pin(async move { ops::alerting::escalate(c, org, alert, now).await })
                })
                .await?;
            escalated += u32::from(done);
        }
        Ok(escalated)
    }

    async fn plan_alerts(&self, limit: u32) -> StoreResult<u32> {
        let planning = self
            .read(|c| Box::pin(async move { ops::alerting::alerts_planning(c).await }))
            .await?;
        // A part needs no turn on the journal: it writes no entry, and its alert's row,
        // locked first, keeps closing and a second node out until it is done.
        for (org, alert, _) in planning.iter().filter(|(_, _, queued)| *queued) {
            let (org, alert) = (*org, *alert);
            let part = self
                .write(move |c| {
                    Box::pin(async move { ops::alerting::plan_part(c, org, alert, limit).await })
                })
                .await?;
            if part.taken > 0 {
                return Ok(u32::try_from(part.taken).unwrap_or(u32::MAX));
            }
        }
        for (org, alert, _) in planning.into_iter().filter(|(_, _, queued)| !*queued) {
            self.write_in(org, move |c| {
                Box::pin(async move { ops::alerting::finish_planning(c, org, alert).await })
            })
            .await?;
        }
        Ok(0)
    }

    async fn answer_by_reply(
        &self,
        from: &str,
        to: Option<&str>,
        text: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<ReplyOutcome> {
        let (from, to, text) = (from.to_owned(), to.map(str::to_owned), text.to_owned());
        self.write(move |c| {
            Box::pin(async move {
                use ops::alerting::ReplyTarget;
                let (org, alert, person, options) =
                    match ops::alerting::reply_target(c, &from, to.as_deref()).await? {
                        ReplyTarget::None => return Ok(ReplyOutcome::Unmatched),
                        ReplyTarget::Ambiguous(orgs) => {
                            return Ok(ReplyOutcome::Ambiguous { orgs })
                        }
                        ReplyTarget::One {
                            org,
                            alert,
                            person,
                            options,
                        } => (org, alert, person, options),
                    };
                ops::lock_org(c, org).await?;
                ops::alerting::answer_by_reply(c, org, alert, person, &options, &text, at)
                    .await
                    .map(ReplyOutcome::Matched)
            })
        })
        .await
    }

    async fn mark_alert_seen(
        &self,
        org: OrgId,
        alert: AlertId,
        person: PersonId,
        at: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<()> {
        self.write_in(org, move |c| {
            Box::pin(async move { ops::alerting::mark_alert_seen(c, org, alert, person, at).await })
        })
        .await
    }

    async fn delivery_report(
        &self,
        provider: &str,
        provider_ref: &str,
        delivered_at: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<bool> {
        let (provider, provider_ref) = (provider.to_owned(), provider_ref.to_owned());
        self.write(move |c| {
            Box::pin(async move {
                ops::alerting::delivery_report(c, &provider, &provider_ref, delivered_at).await
            })
        })
        .await
    }

    async fn signing_key(&self, name: &str, fresh: Vec<u8>) -> StoreResult<Vec<u8>> {
        let name = name.to_owned();
        self.write(move |c| {
            Box::pin(async move { ops::alerting::signing_key(c, &name, fresh).await })
        })
        .await
    }

    async fn alert_by_id(&self, id: AlertId) -> StoreResult<Alert> {
        self.read(move |c| Box::pin(async move { ops::alerting::alert_by_id(c, id).await }))
            .await
    }

    async fn alert_recipient(
        &self,
        org: OrgId,
        alert: AlertId,
        person: PersonId,
    ) -> StoreResult<RosterEntry> {
        self.read(move |c| {
            Box::pin(async move { ops::alerting::alert_recipient(c, org, alert, person).await })
        })
        .await
    }

    async fn set_rotation(
        &self,
        actor: &Actor,
        org: OrgId,
        rotation: beredskap_core::rotation::Rotation,
    ) -> StoreResult<beredskap_core::rotation::Rotation> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move { ops::alerting::set_rotation(c, &actor, org, rotation).await })
        })
        .await
    }

    async fn rotation(
        &self,
        org: OrgId,
        position: PositionId,
    ) -> StoreResult<Option<beredskap_core::rotation::Rotation>> {
        self.read(move |c| Box::pin(async move { ops::alerting::rotation(c, org, position).await }))
            .await
    }

    async fn add_override(
        &self,
        actor: &Actor,
        org: OrgId,
        o: beredskap_core::rotation::Override,
    ) -> StoreResult<beredskap_core::rotation::Override> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move { ops::alerting::add_override(c, &actor, org, o).await })
        })
        .await
    }

    async fn overrides(
        &self,
        org: OrgId,
        position: PositionId,
    ) -> StoreResult<Vec<beredskap_core::rotation::Override>> {
        self.read(move |c| {
            Box::pin(async move { ops::alerting::overrides(c, org, position).await })
        })
        .await
    }

    async fn confirm_contact_point(
        &self,
        delivery: DeliveryId,
        at: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<Option<Delivery>> {
        self.write(move |c| {
            Box::pin(async move {
                let Some(d) = ops::alerting::delivery(c, delivery).await? else {
                    return Ok(None);
                };
                ops::lock_org(c, d.org_id).await?;
                ops::alerting::confirm_contact_point(c, delivery, at).await
            })
        })
        .await
    }

    async fn delivery(&self, id: DeliveryId) -> StoreResult<Option<Delivery>> {
        self.read(move |c| Box::pin(async move { ops::alerting::delivery(c, id).await }))
            .await
    }
}
