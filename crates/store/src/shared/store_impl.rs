//! The `Store` implementation shared by both backends: compiled twice, as a module of
//! `sqlite.rs` and of `postgres.rs` (`#[path]`). Each backend supplies `read` and `write` (how a
//! transaction is run: pooled on PostgreSQL, group-committed on SQLite) and the `ops`
//! module; everything else is the same text.

use super::{ops, Backend, BACKEND_NAME};

use beredskap_core::auth::{
    Credentials, Enrolment, NewCredentials, NewSession, PasskeyChange, Session, SessionId,
    StoredPasskey, Throttle, ThrottlePolicy,
};
use beredskap_core::import::{ImportReport, ImportRow};
use beredskap_core::register::{
    Account, ApiToken, Group, NewGroup, NewOrg, NewPosition, Org, Person, PersonDraft, Position,
    Role, Scope, TokenGrant,
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

    fn node(&self) -> beredskap_core::NodeId {
        self.node
    }

    async fn join_nodes(&self, name: &str, now: chrono::DateTime<chrono::Utc>) -> StoreResult<u64> {
        let (node, name) = (self.node.0, name.to_owned());
        self.write(move |c| Box::pin(async move { ops::join_nodes(c, node, &name, now).await }))
            .await
    }

    async fn node_heartbeat(
        &self,
        name: &str,
        now: chrono::DateTime<chrono::Utc>,
        silent_since: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<u64> {
        let (node, name) = (self.node.0, name.to_owned());
        self.write(move |c| {
            Box::pin(async move { ops::node_heartbeat(c, node, &name, now, silent_since).await })
        })
        .await
    }

    async fn leave_nodes(&self) -> StoreResult<u64> {
        let node = self.node.0;
        self.write(move |c| Box::pin(ops::leave_nodes(c, node)))
            .await
    }

    async fn signal_nodes(&self, signals: &[beredskap_core::store::NodeSignal]) -> StoreResult<()> {
        self.signal_other_nodes(signals).await
    }

    async fn listen_to_nodes(
        &self,
    ) -> StoreResult<Option<Box<dyn beredskap_core::store::NodeListener>>> {
        self.listener_for_nodes().await
    }

    async fn operations_figures(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<beredskap_core::store::OperationsFigures> {
        self.read(move |c| Box::pin(ops::operations_figures(c, now)))
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

    async fn org(&self, id: OrgId) -> StoreResult<Option<Org>> {
        self.read(move |c| Box::pin(ops::org(c, id))).await
    }

    async fn list_orgs(&self) -> StoreResult<Vec<Org>> {
        self.read(|c| Box::pin(ops::list_orgs(c))).await
    }

    async fn set_org_sms_number(
        &self,
        actor: &Actor,
        org: OrgId,
        number: Option<beredskap_core::PhoneNumber>,
    ) -> StoreResult<Org> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move { ops::set_org_sms_number(c, &actor, org, number).await })
        })
        .await
    }

    async fn update_org_settings(
        &self,
        actor: &Actor,
        org: OrgId,
        settings: beredskap_core::register::OrgSettings,
    ) -> StoreResult<Org> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move { ops::update_org_settings(c, &actor, org, settings).await })
        })
        .await
    }

    async fn create_person(
        &self,
        actor: &Actor,
        org: OrgId,
        draft: PersonDraft,
    ) -> StoreResult<Person> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move { ops::insert_person(c, &actor, org, draft).await })
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
        self.write_in(org, move |c| {
            Box::pin(async move { ops::replace_person(c, &actor, org, id, draft).await })
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
        self.write_in(org, move |c| {
            Box::pin(async move { ops::insert_group(c, &actor, org, new).await })
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
        self.write_in(org, move |c| {
            Box::pin(async move { ops::set_group_members(c, &actor, org, group, members).await })
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
        self.write_in(org, move |c| {
            Box::pin(async move { ops::insert_position(c, &actor, org, new).await })
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
        self.write_in(org, move |c| {
            Box::pin(
                async move { ops::set_position_holders(c, &actor, org, position, holders).await },
            )
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
        self.write_in(org, move |c| {
            Box::pin(async move { ops::import_people(c, &actor, org, rows, dry_run).await })
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
        self.write_in(org, move |c| {
            Box::pin(async move { ops::insert_account(c, &actor, org, person, login, role).await })
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

    async fn set_account_language(
        &self,
        actor: &Actor,
        org: OrgId,
        account: AccountId,
        language: Option<String>,
    ) -> StoreResult<()> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(
                async move { ops::set_account_language(c, &actor, org, account, language).await },
            )
        })
        .await
    }

    async fn list_accounts(&self, org: OrgId) -> StoreResult<Vec<Account>> {
        self.read(move |c| Box::pin(ops::list_accounts(c, org)))
            .await
    }

    async fn revoke_api_token(
        &self,
        actor: &Actor,
        org: OrgId,
        token: beredskap_core::ApiTokenId,
    ) -> StoreResult<bool> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move { ops::revoke_api_token(c, &actor, org, token).await })
        })
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
        self.write_in(org, move |c| {
            Box::pin(async move {
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
        scopes: Vec<Scope>,
        secret_hash: String,
    ) -> StoreResult<ApiToken> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move {
                ops::insert_api_token(c, &actor, org, account, label, scopes, secret_hash).await
            })
        })
        .await
    }

    async fn list_api_tokens(&self, org: OrgId) -> StoreResult<Vec<ApiToken>> {
        self.read(move |c| Box::pin(async move { ops::list_api_tokens(c, org).await }))
            .await
    }

    async fn token_grant(&self, secret_hash: &str) -> StoreResult<Option<TokenGrant>> {
        let secret_hash = secret_hash.to_owned();
        self.read(move |c| Box::pin(async move { ops::token_grant(c, &secret_hash).await }))
            .await
    }

    async fn enrolment(&self, secret_hash: &str) -> StoreResult<Option<Enrolment>> {
        let secret_hash = secret_hash.to_owned();
        self.read(move |c| Box::pin(async move { ops::enrolment(c, &secret_hash).await }))
            .await
    }

    async fn complete_enrolment(
        &self,
        secret_hash: &str,
        credentials: NewCredentials,
        now: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<Account> {
        let secret_hash = secret_hash.to_owned();
        self.write(move |c| {
            Box::pin(
                async move { ops::complete_enrolment(c, &secret_hash, credentials, now).await },
            )
        })
        .await
    }

    async fn credentials(&self, org: OrgId, account: AccountId) -> StoreResult<Credentials> {
        self.read(move |c| Box::pin(ops::credentials(c, org, account)))
            .await
    }

    async fn set_password(
        &self,
        actor: &Actor,
        org: OrgId,
        account: AccountId,
        password_hash: String,
    ) -> StoreResult<()> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move { ops::set_password(c, &actor, org, account, password_hash).await })
        })
        .await
    }

    async fn use_totp_step(&self, org: OrgId, account: AccountId, step: i64) -> StoreResult<bool> {
        self.write(move |c| Box::pin(ops::use_totp_step(c, org, account, step)))
            .await
    }

    async fn recovery_code_hash(
        &self,
        org: OrgId,
        account: AccountId,
        code_id: &str,
    ) -> StoreResult<Option<String>> {
        let code_id = code_id.to_owned();
        self.read(move |c| {
            Box::pin(async move { ops::recovery_code_hash(c, org, account, &code_id).await })
        })
        .await
    }

    async fn use_recovery_code(
        &self,
        actor: &Actor,
        org: OrgId,
        account: AccountId,
        code_id: &str,
    ) -> StoreResult<bool> {
        let (actor, code_id) = (actor.clone(), code_id.to_owned());
        self.write_in(org, move |c| {
            Box::pin(async move { ops::use_recovery_code(c, &actor, org, account, &code_id).await })
        })
        .await
    }

    async fn create_pending_sign_in(
        &self,
        secret_hash: &str,
        account: &Account,
        expires_at: chrono::DateTime<chrono::Utc>,
        code_hash: Option<&str>,
    ) -> StoreResult<()> {
        let (secret_hash, account) = (secret_hash.to_owned(), account.clone());
        let code_hash = code_hash.map(str::to_owned);
        self.write(move |c| {
            Box::pin(async move {
                ops::create_pending_sign_in(
                    c,
                    &secret_hash,
                    &account,
                    expires_at,
                    code_hash.as_deref(),
                )
                .await
            })
        })
        .await
    }

    async fn pending_sign_in(
        &self,
        secret_hash: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<Option<(Account, u32, Option<String>)>> {
        let secret_hash = secret_hash.to_owned();
        self.read(move |c| {
            Box::pin(async move { ops::pending_sign_in(c, &secret_hash, now).await })
        })
        .await
    }

    async fn reserve_pending_attempt(
        &self,
        secret_hash: &str,
        max: u32,
        now: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<Option<u32>> {
        let secret_hash = secret_hash.to_owned();
        self.write(move |c| {
            Box::pin(async move { ops::reserve_pending_attempt(c, &secret_hash, max, now).await })
        })
        .await
    }

    async fn delete_pending_sign_in(&self, secret_hash: &str) -> StoreResult<()> {
        let secret_hash = secret_hash.to_owned();
        self.write(move |c| {
            Box::pin(async move { ops::delete_pending_sign_in(c, &secret_hash).await })
        })
        .await
    }

    async fn create_session(&self, new: NewSession) -> StoreResult<Session> {
        let org = new.account.org_id;
        self.write_in(org, move |c| {
            Box::pin(async move { ops::create_session(c, new).await })
        })
        .await
    }

    async fn session_by_secret(
        &self,
        secret_hash: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<Option<(Session, Account)>> {
        let secret_hash = secret_hash.to_owned();
        self.read(move |c| {
            Box::pin(async move { ops::session_by_secret(c, &secret_hash, now).await })
        })
        .await
    }

    async fn touch_session(
        &self,
        id: SessionId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<()> {
        self.write(move |c| Box::pin(ops::touch_session(c, id, now)))
            .await
    }

    async fn list_sessions(
        &self,
        org: OrgId,
        account: AccountId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<Vec<Session>> {
        self.read(move |c| Box::pin(ops::list_sessions(c, org, account, now)))
            .await
    }

    async fn revoke_session(&self, actor: &Actor, org: OrgId, id: SessionId) -> StoreResult<bool> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move { ops::revoke_session(c, &actor, org, id).await })
        })
        .await
    }

    async fn record_sign_in_failure(
        &self,
        org: OrgId,
        account: Option<AccountId>,
        login: &str,
        reason: &str,
        ip: &str,
    ) -> StoreResult<()> {
        let (login, reason, ip) = (login.to_owned(), reason.to_owned(), ip.to_owned());
        self.write_in(org, move |c| {
            Box::pin(async move {
                ops::record_sign_in_failure(c, org, account, &login, &reason, &ip).await
            })
        })
        .await
    }

    async fn change_passkey(
        &self,
        actor: &Actor,
        org: OrgId,
        account: AccountId,
        passkey: uuid::Uuid,
        change: PasskeyChange,
    ) -> StoreResult<bool> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(
                async move { ops::change_passkey(c, &actor, org, account, passkey, change).await },
            )
        })
        .await
    }

    async fn add_passkey(
        &self,
        actor: &Actor,
        org: OrgId,
        account: AccountId,
        credential_id: &str,
        passkey: &str,
        name: &str,
    ) -> StoreResult<StoredPasskey> {
        let actor = actor.clone();
        let (credential_id, passkey, name) = (
            credential_id.to_owned(),
            passkey.to_owned(),
            name.to_owned(),
        );
        self.write_in(org, move |c| {
            Box::pin(async move {
                ops::add_passkey(c, &actor, org, account, &credential_id, &passkey, &name).await
            })
        })
        .await
    }

    async fn passkeys(&self, org: OrgId, account: AccountId) -> StoreResult<Vec<StoredPasskey>> {
        self.read(move |c| Box::pin(ops::passkeys(c, org, account)))
            .await
    }

    async fn passkey_used(
        &self,
        account: AccountId,
        credential_id: &str,
        passkey: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<()> {
        let (credential_id, passkey) = (credential_id.to_owned(), passkey.to_owned());
        self.write(move |c| {
            Box::pin(
                async move { ops::passkey_used(c, account, &credential_id, &passkey, now).await },
            )
        })
        .await
    }

    async fn save_ceremony(
        &self,
        key: &str,
        account: AccountId,
        state: &str,
        expires_at: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<()> {
        let (key, state) = (key.to_owned(), state.to_owned());
        self.write(move |c| {
            Box::pin(async move { ops::save_ceremony(c, &key, account, &state, expires_at).await })
        })
        .await
    }

    async fn take_ceremony(
        &self,
        key: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<Option<(AccountId, String)>> {
        let key = key.to_owned();
        self.write(move |c| Box::pin(async move { ops::take_ceremony(c, &key, now).await }))
            .await
    }

    async fn throttle(&self, key: &str) -> StoreResult<Throttle> {
        let key = key.to_owned();
        self.read(move |c| Box::pin(async move { ops::throttle(c, &key).await }))
            .await
    }

    async fn reserve_attempt(
        &self,
        keys: &[(String, ThrottlePolicy)],
        now: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<beredskap_core::auth::AttemptReservation> {
        let keys = keys.to_vec();
        self.write(move |c| Box::pin(async move { ops::reserve_attempt(c, &keys, now).await }))
            .await
    }

    async fn refund_attempt(&self, reserved: &beredskap_core::auth::Reserved) -> StoreResult<()> {
        let keys = reserved.keys.clone();
        self.write(move |c| Box::pin(async move { ops::refund_attempt(c, &keys).await }))
            .await
    }

    async fn clear_throttle(&self, key: &str) -> StoreResult<()> {
        let key = key.to_owned();
        self.write(move |c| Box::pin(async move { ops::clear_throttle(c, &key).await }))
            .await
    }

    async fn append_journal(
        &self,
        actor: &Actor,
        org: OrgId,
        entry: beredskap_core::NewJournalEntry,
    ) -> StoreResult<JournalEntry> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move { ops::append_journal(c, org, &actor, entry).await })
        })
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

    async fn durability(&self) -> StoreResult<Vec<(String, String)>> {
        self.write(move |c| Box::pin(ops::durability(c))).await
    }

    async fn journal_head(&self, org: OrgId) -> StoreResult<(i64, String)> {
        self.read(move |c| Box::pin(ops::journal_head(c, org)))
            .await
    }

    async fn external_contacts(
        &self,
        org: OrgId,
    ) -> StoreResult<Vec<beredskap_core::contacts::ExternalContact>> {
        self.read(move |c| Box::pin(ops::directory::external_contacts(c, org)))
            .await
    }

    async fn replace_external_contacts(
        &self,
        actor: &Actor,
        org: OrgId,
        contacts: Vec<beredskap_core::contacts::ContactDraft>,
    ) -> StoreResult<usize> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move {
                ops::directory::replace_external_contacts(c, &actor, org, contacts).await
            })
        })
        .await
    }
}
