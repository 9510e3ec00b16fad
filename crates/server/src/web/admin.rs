//! Administration pages: accounts and their activation links, other people's sessions,
//! API tokens and the organisation's sign-in settings. Administrators only; everyone else
//! gets 403. Every form works without JavaScript.

use super::form::FormProblems;
use super::session::SignedIn;
use super::sign_in::CsrfForm;
use super::{render, when, Page, WebContext, WebError};
use crate::error::AppError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use beredskap_app::accounts;
use beredskap_core::auth::SessionId;
use beredskap_core::register::{Account, Org, Role, Scope};
use beredskap_core::{AccountId, ApiTokenId, FieldErrors};
use serde::Deserialize;

pub(super) fn require_admin(me: &SignedIn) -> Result<(), WebError> {
    if me.account.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden.into())
    }
}

// ------------------------------------------------------------------ accounts

struct AccountRow {
    id: String,
    name: String,
    login: String,
    role: &'static str,
    activated: bool,
}

/// What the new-account form held, to show it again after an error.
#[derive(Debug, Default, Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    private_email: String,
}

#[derive(Template)]
#[template(path = "admin_accounts.html")]
struct AccountsPage {
    page: Page,
    accounts: Vec<AccountRow>,
    form: AccountForm,
    roles: Vec<(&'static str, &'static str)>,
    problems: FormProblems,
}

async fn accounts_page(
    state: &AppState,
    ctx: &WebContext,
    me: &SignedIn,
    form: AccountForm,
    problems: FormProblems,
) -> Result<Response, WebError> {
    let t = ctx.t();
    let mut rows: Vec<AccountRow> = accounts::overview(&state.app, &me.caller(), &me.org)
        .await?
        .into_iter()
        .map(|a| AccountRow {
            id: a.account.id.to_string(),
            name: a.name,
            login: a.account.login.to_string(),
            role: t.role(a.account.role),
            activated: a.activated,
        })
        .collect();
    rows.sort_by_key(|a| a.name.to_lowercase());
    let roles = [Role::Member, Role::CrisisLead, Role::Admin, Role::Guest]
        .into_iter()
        .map(|r| (r.as_str(), t.role(r)))
        .collect();
    let status = problems.status();
    render(
        status,
        &AccountsPage {
            page: Page::signed_in(ctx, me, t.accounts_title),
            accounts: rows,
            form,
            roles,
            problems,
        },
    )
}

pub async fn accounts(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
) -> Result<Response, WebError> {
    require_admin(&me)?;
    let form = AccountForm {
        role: Role::Member.as_str().to_owned(),
        ..AccountForm::default()
    };
    accounts_page(&state, &ctx, &me, form, FormProblems::default()).await
}

/// The new-account form's inputs, in order, with their labels.
fn account_problems(ctx: &WebContext, errors: &FieldErrors) -> FormProblems {
    const ORDER: [&str; 5] = ["name", "login", "role", "mobile", "private_email"];
    let t = ctx.t();
    let place = |field: &str| {
        let (input, label) = match field {
            "login" | "person" => ("login", t.login),
            "role" => ("role", t.role),
            "mobile" => ("mobile", t.mobile),
            "private_email" => ("private_email", t.private_email),
            _ => ("name", t.name),
        };
        (input, label.to_owned())
    };
    FormProblems::new(errors, t.lang, place, &ORDER)
}

pub async fn create_account(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Form(form): Form<AccountForm>,
) -> Result<Response, WebError> {
    require_admin(&me)?;
    ctx.check_csrf(&headers, &form.csrf)?;
    let input = accounts::NewUserInput {
        name: form.name.clone(),
        login: form.login.clone(),
        role: form.role.clone(),
        mobile: form.mobile.clone(),
        private_email: form.private_email.clone(),
    };
    let user = match input.parse(me.org.region) {
        Ok(user) => user,
        Err(errors) => {
            let problems = account_problems(&ctx, &errors);
            return accounts_page(&state, &ctx, &me, form, problems).await;
        }
    };
    let created = match beredskap_app::accounts::create_user(
        &state.app,
        &me.caller(),
        &me.org,
        user,
        &state.config.public_url(),
        state.config.enrolment_link_hours,
    )
    .await
    .map_err(AppError::from)
    {
        Ok(created) => created,
        // The login has an account already: said at the login.
        Err(AppError::Conflict(errors)) => {
            let problems = account_problems(&ctx, &errors);
            return accounts_page(&state, &ctx, &me, form, problems).await;
        }
        Err(other) => return Err(other.into()),
    };
    let notice = deliver_link(&state, &ctx, &me, &created.account, &created.enrolment_link).await?;
    account_page(&state, &ctx, &me, created.account.id, Some(notice)).await
}

/// What happened to an activation link: sent, or to be handed over by the administrator.
struct LinkNotice {
    message: String,
    link: Option<String>,
}

async fn deliver_link(
    state: &AppState,
    ctx: &WebContext,
    me: &SignedIn,
    account: &Account,
    link: &str,
) -> Result<LinkNotice, WebError> {
    let t = ctx.t();
    match accounts::send_enrolment_link(
        &state.app,
        &me.caller(),
        &state.notifier,
        &me.org,
        account,
        link,
        state.config.enrolment_link_hours,
    )
    .await
    {
        Ok(delivery) => Ok(LinkNotice {
            message: t.link_sent(&delivery.to),
            link: None,
        }),
        // No provider reaches the person, or it failed: the administrator hands the link
        // over, as on the command line.
        Err(beredskap_app::Error::Invalid(_) | beredskap_app::Error::Unavailable(_)) => {
            Ok(LinkNotice {
                message: t.link_by_hand.to_owned(),
                link: Some(link.to_owned()),
            })
        }
        Err(other) => Err(AppError::from(other).into()),
    }
}

// ------------------------------------------------------------------ one account

struct SessionRow {
    id: String,
    started: String,
    last_seen: String,
    device: String,
}

struct TokenRow {
    id: String,
    label: String,
    account: String,
    scopes: String,
    created: String,
    revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_account.html")]
struct AccountPage {
    page: Page,
    id: String,
    name: String,
    login: String,
    role: &'static str,
    activated: bool,
    notice: Option<LinkNotice>,
    sessions: Vec<SessionRow>,
    tokens: Vec<TokenRow>,
}

fn scope_label(t: &super::Texts, scope: Scope) -> &'static str {
    match scope {
        Scope::Read => t.scope_read,
        Scope::Write => t.scope_write,
        Scope::Admin => t.scope_admin,
    }
}

fn scope_names(t: &super::Texts, scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| scope_label(t, *s))
        .collect::<Vec<_>>()
        .join("; ")
}

fn token_rows(
    t: &super::Texts,
    tokens: Vec<beredskap_core::register::ApiToken>,
    logins: &std::collections::HashMap<AccountId, String>,
    zone: beredskap_core::TimeZone,
) -> Vec<TokenRow> {
    tokens
        .into_iter()
        .map(|token| TokenRow {
            id: token.id.to_string(),
            label: token.label,
            account: logins.get(&token.account_id).cloned().unwrap_or_default(),
            scopes: scope_names(t, &token.scopes),
            created: when(token.created_at, zone),
            revoked: token.revoked_at.map(|t| when(t, zone)),
        })
        .collect()
}

async fn find_account(state: &AppState, me: &SignedIn, id: AccountId) -> Result<Account, WebError> {
    Ok(accounts::one(&state.app, &me.caller(), &me.org, id)
        .await?
        .account)
}

async fn account_page(
    state: &AppState,
    ctx: &WebContext,
    me: &SignedIn,
    id: AccountId,
    notice: Option<LinkNotice>,
) -> Result<Response, WebError> {
    let t = ctx.t();
    let accounts::AccountOverview {
        account,
        name,
        activated,
    } = accounts::one(&state.app, &me.caller(), &me.org, id).await?;
    let sessions = accounts::sessions(&state.app, &me.caller(), &me.org, id)
        .await?
        .into_iter()
        .map(|s| SessionRow {
            id: s.id.to_string(),
            started: when(s.created_at, me.org.zone()),
            last_seen: when(s.last_seen_at, me.org.zone()),
            device: format!("{} ({})", s.user_agent, s.ip),
        })
        .collect();
    let logins = [(account.id, account.login.to_string())].into();
    let tokens = accounts::tokens(&state.app, &me.caller(), &me.org)
        .await?
        .into_iter()
        .filter(|tk| tk.account_id == id)
        .collect();
    render(
        StatusCode::OK,
        &AccountPage {
            page: Page::signed_in(ctx, me, t.account),
            id: id.to_string(),
            name,
            login: account.login.to_string(),
            role: t.role(account.role),
            activated,
            notice,
            sessions,
            tokens: token_rows(t, tokens, &logins, me.org.zone()),
        },
    )
}

fn parse_path_id<T: std::str::FromStr>(raw: &str) -> Result<T, WebError> {
    raw.parse().map_err(|_| AppError::NotFound.into())
}

pub async fn account(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    require_admin(&me)?;
    account_page(&state, &ctx, &me, parse_path_id(&id)?, None).await
}

/// Issues a new activation link (a lost phone, a forgotten password) and sends it.
pub async fn new_link(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    require_admin(&me)?;
    ctx.check_csrf(&headers, &form.csrf)?;
    let account = find_account(&state, &me, parse_path_id(&id)?).await?;
    let link = beredskap_app::accounts::issue_enrolment(
        &state.app,
        &me.caller(),
        &me.org,
        &account,
        &state.config.public_url(),
        state.config.enrolment_link_hours,
    )
    .await?;
    let notice = deliver_link(&state, &ctx, &me, &account, &link).await?;
    account_page(&state, &ctx, &me, account.id, Some(notice)).await
}

#[derive(Debug, Deserialize)]
pub struct EndSessionForm {
    // Defaults: an incomplete form from someone who may not end sessions is refused for
    // that, not for the form.
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    account: String,
}

/// Ends anyone's session in the organisation: a lost phone, a person who left.
pub async fn end_session(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<EndSessionForm>,
) -> Result<Response, WebError> {
    require_admin(&me)?;
    ctx.check_csrf(&headers, &form.csrf)?;
    let id = SessionId(parse_path_id(&id)?);
    let account: AccountId = parse_path_id(&form.account)?;
    beredskap_app::accounts::end_session(&state.app, &me.caller(), &me.org, id).await?;
    Ok(Redirect::to(&format!("/admin/accounts/{account}")).into_response())
}

// ------------------------------------------------------------------ tokens

#[derive(Template)]
#[template(path = "admin_tokens.html")]
struct TokensPage {
    page: Page,
    tokens: Vec<TokenRow>,
    scopes: Vec<(&'static str, &'static str)>,
    created: Option<String>,
    error: Option<&'static str>,
}

async fn tokens_page(
    state: &AppState,
    ctx: &WebContext,
    me: &SignedIn,
    created: Option<String>,
    error: Option<&'static str>,
) -> Result<Response, WebError> {
    let t = ctx.t();
    let logins = accounts::list(&state.app, &me.caller(), &me.org)
        .await?
        .into_iter()
        .map(|a| (a.id, a.login.to_string()))
        .collect();
    let tokens = accounts::tokens(&state.app, &me.caller(), &me.org).await?;
    let scopes = Scope::ALL
        .iter()
        .map(|s| (s.as_str(), scope_label(t, *s)))
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(
        status,
        &TokensPage {
            page: Page::signed_in(ctx, me, t.tokens_title),
            tokens: token_rows(t, tokens, &logins, me.org.zone()),
            scopes,
            created,
            error,
        },
    )
}

pub async fn tokens(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
) -> Result<Response, WebError> {
    require_admin(&me)?;
    tokens_page(&state, &ctx, &me, None, None).await
}

pub async fn create_token(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    require_admin(&me)?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    ctx.check_csrf(&headers, field("csrf"))?;
    // Checkboxes arrive as repeated `scope` fields.
    let chosen: Vec<&str> = fields
        .iter()
        .filter(|(k, _)| k == "scope")
        .map(|(_, v)| v.as_str())
        .collect();
    let Ok(scopes) = Scope::parse_list(&chosen.join(",")) else {
        return tokens_page(&state, &ctx, &me, None, Some(ctx.t().choose_scope)).await;
    };
    let label = match field("label").trim() {
        "" => "web",
        label => label,
    };
    let (_, secret) = beredskap_app::accounts::issue_api_token(
        &state.app,
        &me.caller(),
        &me.org,
        &me.account,
        label,
        &scopes,
    )
    .await?;
    tokens_page(&state, &ctx, &me, Some(secret), None).await
}

#[derive(Debug, Deserialize)]
pub struct RevokeTokenForm {
    csrf: String,
    /// Where to return: the token list or an account's page.
    #[serde(default)]
    back: String,
}

pub async fn revoke_token(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<RevokeTokenForm>,
) -> Result<Response, WebError> {
    require_admin(&me)?;
    ctx.check_csrf(&headers, &form.csrf)?;
    let id: ApiTokenId = parse_path_id(&id)?;
    beredskap_app::accounts::revoke_token(&state.app, &me.caller(), &me.org, id, None).await?;
    // Only our own pages as the way back, never a URL from the form.
    let back = match form.back.parse::<AccountId>() {
        Ok(account) => format!("/admin/accounts/{account}"),
        Err(_) => "/admin/tokens".to_owned(),
    };
    Ok(Redirect::to(&back).into_response())
}

// ------------------------------------------------------------------ settings

#[derive(Template)]
#[template(path = "admin_settings.html")]
struct SettingsPage {
    page: Page,
    fallback_sign_in: bool,
    members_need_second_factor: bool,
    /// (value, label, chosen); the empty value is the region's zone.
    zones: Vec<(String, String, bool)>,
    /// (value, label, chosen); the empty value is the region's language.
    languages: Vec<(String, String, bool)>,
    saved: bool,
}

/// Every language of the catalogue, in its own name, after the region's.
fn language_choices(t: &super::Texts, org: &Org) -> Vec<(String, String, bool)> {
    let region = org.region.language_code();
    let region_name = super::Lang::parse(region)
        .map(super::Lang::name)
        .unwrap_or(region);
    let mut languages = vec![(
        String::new(),
        format!("{} ({region_name})", t.setting_time_zone_region),
        org.language.is_none(),
    )];
    languages.extend(super::Lang::all().map(|lang| {
        (
            lang.code().to_owned(),
            lang.name().to_owned(),
            org.language.as_deref() == Some(lang.code()),
        )
    }));
    languages
}

/// The zones an organisation here is likely to be in, its region's first, and whatever it
/// has chosen (from the command line) if that is another.
fn zone_choices(t: &super::Texts, org: &Org) -> Vec<(String, String, bool)> {
    let region = org.region.time_zone();
    let mut zones = vec![(
        String::new(),
        format!("{} ({})", t.setting_time_zone_region, region.name()),
        org.time_zone.is_none(),
    )];
    let mut names = vec![
        "Europe/Stockholm",
        "Europe/Copenhagen",
        "Europe/Oslo",
        "Europe/Helsinki",
        "UTC",
    ];
    if let Some(chosen) = org.time_zone {
        if !names.contains(&chosen.name()) {
            names.push(chosen.name());
        }
    }
    zones.extend(names.into_iter().map(|name| {
        (
            name.to_owned(),
            name.to_owned(),
            org.time_zone.is_some_and(|z| z.name() == name),
        )
    }));
    zones
}

pub async fn settings(ctx: WebContext, me: SignedIn) -> Result<Response, WebError> {
    require_admin(&me)?;
    render(
        StatusCode::OK,
        &SettingsPage {
            page: Page::signed_in(&ctx, &me, ctx.t().settings_title),
            fallback_sign_in: me.org.fallback_sign_in,
            members_need_second_factor: me.org.members_need_second_factor,
            zones: zone_choices(ctx.t(), &me.org),
            languages: language_choices(ctx.t(), &me.org),
            saved: false,
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct SettingsForm {
    csrf: String,
    /// Unchecked checkboxes are not sent at all.
    fallback_sign_in: Option<String>,
    members_need_second_factor: Option<String>,
    /// Empty: the region's.
    #[serde(default)]
    time_zone: String,
    /// Empty: the region's.
    #[serde(default)]
    language: String,
}

pub async fn save_settings(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Form(form): Form<SettingsForm>,
) -> Result<Response, WebError> {
    require_admin(&me)?;
    ctx.check_csrf(&headers, &form.csrf)?;
    let time_zone = match form.time_zone.trim() {
        "" => None,
        name => Some(beredskap_core::TimeZone::parse(name).map_err(|e| {
            WebError(
                AppError::invalid("time_zone", e),
                Some(ctx.t().invalid_input),
            )
        })?),
    };
    // The use case checks that it is a language of the catalogue.
    let language = match form.language.trim() {
        "" => None,
        code => Some(code.to_owned()),
    };
    let settings = beredskap_core::register::OrgSettings {
        fallback_sign_in: form.fallback_sign_in.is_some(),
        members_need_second_factor: form.members_need_second_factor.is_some(),
        time_zone,
        language,
    };
    let org = beredskap_app::settings::update(&state.app, &me.caller(), &me.org, settings)
        .await
        .map_err(|e| match AppError::from(e) {
            e @ AppError::Invalid(_) => WebError(e, Some(ctx.t().invalid_input)),
            other => other.into(),
        })?;
    render(
        StatusCode::OK,
        &SettingsPage {
            page: Page::signed_in(&ctx, &me, ctx.t().settings_title),
            fallback_sign_in: org.fallback_sign_in,
            members_need_second_factor: org.members_need_second_factor,
            zones: zone_choices(ctx.t(), &org),
            languages: language_choices(ctx.t(), &org),
            saved: true,
        },
    )
}
