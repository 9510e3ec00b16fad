// The `Store` implementation shared by both backends: compiled twice, by `include!` from
// `sqlite.rs` and `postgres.rs`. Each backend supplies `read` and `write` (how a
// transaction is run: pooled on PostgreSQL, group-committed on SQLite) and the `ops`
// module; everything else is the same text.

use beredskap_core::import::{ImportReport, ImportRow};
use beredskap_core::register::{
    Account, ApiToken, Group, NewGroup, NewOrg, NewPosition, Org, Person, PersonDraft, Position,
    Role, TokenGrant,
};
use beredskap_core::store::{Store, StoreResult};
use beredskap_core::{
    AccountId, Actor, EmailAddress, GroupId, JournalEntry, OrgId, PersonId, PositionId, Slug,
};

#[async_trait::async_trait]
impl Store for Backend {
    fn backend(&self) -> &'static str {
        BACKEND_NAME
    }

    async fn ping(&self) -> StoreResult<()> {
        self.read(|c| {
            Box::pin(async move {
                sqlx::query("SELECT 1")
                    .execute(&mut *c)
                    .await
                    .map_err(crate::map_sqlx_error)?;
                Ok(())
            })
        })
        .await
    }

    async fn create_org(&self, actor: &Actor, new: NewOrg) -> StoreResult<Org> {
        let actor = actor.clone();
        self.write(move |c| Box::pin(async move { ops::insert_org(c, &actor, new).await }))
            .await
    }

    async fn org_by_slug(&self, slug: &Slug) -> StoreResult<Option<Org>> {
        let slug = slug.clone();
        self.read(move |c| Box::pin(async move { ops::org_by_slug(c, &slug).await }))
            .await
    }

    async fn list_orgs(&self) -> StoreResult<Vec<Org>> {
        self.read(|c| Box::pin(ops::list_orgs(c))).await
    }

    async fn create_person(
        &self,
        actor: &Actor,
        org: OrgId,
        draft: PersonDraft,
    ) -> StoreResult<Person> {
        let actor = actor.clone();
        self.write(move |c| {
            Box::pin(async move {
                ops::lock_org(c, org).await?;
                ops::insert_person(c, &actor, org, draft).await
            })
        })
        .await
    }

    async fn replace_person(
        &self,
        actor: &Actor,
        org: OrgId,
        id: PersonId,
        draft: PersonDraft,
    ) -> StoreResult<Person> {
        let actor = actor.clone();
        self.write(move |c| {
            Box::pin(async move {
                ops::lock_org(c, org).await?;
                ops::replace_person(c, &actor, org, id, draft).await
            })
        })
        .await
    }

    async fn person(&self, org: OrgId, id: PersonId) -> StoreResult<Option<Person>> {
        self.read(move |c| Box::pin(ops::person(c, org, id))).await
    }

    async fn list_people(&self, org: OrgId) -> StoreResult<Vec<Person>> {
        self.read(move |c| Box::pin(ops::list_people(c, org))).await
    }

    async fn create_group(&self, actor: &Actor, org: OrgId, new: NewGroup) -> StoreResult<Group> {
        let actor = actor.clone();
        self.write(move |c| {
            Box::pin(async move {
                ops::lock_org(c, org).await?;
                ops::insert_group(c, &actor, org, new).await
            })
        })
        .await
    }

    async fn list_groups(&self, org: OrgId) -> StoreResult<Vec<Group>> {
        self.read(move |c| Box::pin(ops::list_groups(c, org))).await
    }

    async fn set_group_members(
        &self,
        actor: &Actor,
        org: OrgId,
        group: GroupId,
        members: Vec<PersonId>,
    ) -> StoreResult<Group> {
        let actor = actor.clone();
        self.write(move |c| {
            Box::pin(async move {
                ops::lock_org(c, org).await?;
                ops::set_group_members(c, &actor, org, group, members).await
            })
        })
        .await
    }

    async fn create_position(
        &self,
        actor: &Actor,
        org: OrgId,
        new: NewPosition,
    ) -> StoreResult<Position> {
        let actor = actor.clone();
        self.write(move |c| {
            Box::pin(async move {
                ops::lock_org(c, org).await?;
                ops::insert_position(c, &actor, org, new).await
            })
        })
        .await
    }

    async fn list_positions(&self, org: OrgId) -> StoreResult<Vec<Position>> {
        self.read(move |c| Box::pin(ops::list_positions(c, org)))
            .await
    }

    async fn set_position_holders(
        &self,
        actor: &Actor,
        org: OrgId,
        position: PositionId,
        holders: Vec<PersonId>,
    ) -> StoreResult<Position> {
        let actor = actor.clone();
        self.write(move |c| {
            Box::pin(async move {
                ops::lock_org(c, org).await?;
                ops::set_position_holders(c, &actor, org, position, holders).await
            })
        })
        .await
    }

    async fn import_people(
        &self,
        actor: &Actor,
        org: OrgId,
        rows: Vec<ImportRow>,
        dry_run: bool,
    ) -> StoreResult<ImportReport> {
        let actor = actor.clone();
        self.write(move |c| {
            Box::pin(async move {
                ops::lock_org(c, org).await?;
                ops::import_people(c, &actor, org, rows, dry_run).await
            })
        })
        .await
    }

    async fn create_account(
        &self,
        actor: &Actor,
        org: OrgId,
        person: PersonId,
        login: EmailAddress,
        role: Role,
    ) -> StoreResult<Account> {
        let actor = actor.clone();
        self.write(move |c| {
            Box::pin(async move {
                ops::lock_org(c, org).await?;
                ops::insert_account(c, &actor, org, person, login, role).await
            })
        })
        .await
    }

    async fn account_by_login(
        &self,
        org: OrgId,
        login: &EmailAddress,
    ) -> StoreResult<Option<Account>> {
        let login = login.clone();
        self.read(move |c| Box::pin(async move { ops::account_by_login(c, org, &login).await }))
            .await
    }

    async fn create_enrolment(
        &self,
        actor: &Actor,
        org: OrgId,
        account: AccountId,
        secret_hash: String,
        expires_at: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<()> {
        let actor = actor.clone();
        self.write(move |c| {
            Box::pin(async move {
                ops::lock_org(c, org).await?;
                ops::insert_enrolment(c, &actor, org, account, secret_hash, expires_at).await
            })
        })
        .await
    }

    async fn create_api_token(
        &self,
        actor: &Actor,
        org: OrgId,
        account: AccountId,
        label: String,
        secret_hash: String,
    ) -> StoreResult<ApiToken> {
        let actor = actor.clone();
        self.write(move |c| {
            Box::pin(async move {
                ops::lock_org(c, org).await?;
                ops::insert_api_token(c, &actor, org, account, label, secret_hash).await
            })
        })
        .await
    }

    async fn token_grant(&self, secret_hash: &str) -> StoreResult<Option<TokenGrant>> {
        let secret_hash = secret_hash.to_owned();
        self.read(move |c| Box::pin(async move { ops::token_grant(c, &secret_hash).await }))
            .await
    }

    async fn journal_page(
        &self,
        org: OrgId,
        after_seq: i64,
        limit: u32,
    ) -> StoreResult<Vec<JournalEntry>> {
        self.read(move |c| Box::pin(ops::journal_page(c, org, after_seq, limit)))
            .await
    }

    async fn journal_head(&self, org: OrgId) -> StoreResult<(i64, String)> {
        self.read(move |c| Box::pin(ops::journal_head(c, org)))
            .await
    }
}
