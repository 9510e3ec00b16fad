//! Adding a passkey while signed in, and signing in with one as the second factor.
//! The browser half is `static/passkeys.js`; these endpoints speak JSON and require the
//! CSRF token in an `X-CSRF-Token` header.

use super::session::SignedIn;
use super::sign_in::{client, pending, pending_secret, session_cookies};
use super::{render, when, with_cookies, Page, WebContext, WebError};
use crate::error::AppError;
use crate::passkeys::credential_id_text;
use crate::state::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use beredskap_app::sign_in::{self, Proof, Refusal};
use beredskap_core::auth::PasskeyChange;
use beredskap_core::Problem;
use std::net::SocketAddr;
use std::sync::Arc;
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Webauthn,
};

/// How long a person has to touch their authenticator.
const CEREMONY_MINUTES: i64 = 5;

fn relying_party(state: &AppState) -> Result<Arc<Webauthn>, WebError> {
    state
        .webauthn
        .clone()
        .map_err(|reason| AppError::Unavailable(format!("passkeys: {reason}")).into())
}

pub(super) fn csrf_header(ctx: &WebContext, headers: &HeaderMap) -> Result<(), WebError> {
    let token = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    ctx.check_csrf(headers, token)
}

fn internal(e: impl std::fmt::Display) -> WebError {
    AppError::Internal(e.to_string()).into()
}

struct PasskeyRow {
    id: String,
    name: String,
    created: String,
    last_used: String,
}

#[derive(Template)]
#[template(path = "passkeys.html")]
struct PasskeysPage {
    page: Page,
    passkeys: Vec<PasskeyRow>,
    available: bool,
}

pub async fn list(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
) -> Result<Response, WebError> {
    let passkeys = sign_in::passkeys(&state.app, &me.caller(), &me.org)
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|p| PasskeyRow {
            id: p.id.to_string(),
            name: p.name,
            created: when(p.created_at, me.org.zone()),
            last_used: p
                .last_used_at
                .map(|t| when(t, me.org.zone()))
                .unwrap_or_else(|| "–".into()),
        })
        .collect();
    let page = Page::signed_in(&ctx, &me, ctx.t().passkeys_title);
    render(
        StatusCode::OK,
        &PasskeysPage {
            page,
            passkeys,
            available: state.webauthn.is_ok(),
        },
    )
}

#[derive(Debug, serde::Deserialize)]
pub struct ChangeForm {
    csrf: String,
    /// Present when renaming.
    name: Option<String>,
}

/// Renames (`/passkeys/{id}/rename`) or removes (`/passkeys/{id}/remove`) one of the
/// person's own passkeys, without JavaScript.
pub async fn change(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    axum::extract::Path((id, action)): axum::extract::Path<(String, String)>,
    axum::Form(form): axum::Form<ChangeForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    let id: uuid::Uuid = id.parse().map_err(|_| WebError(AppError::NotFound, None))?;
    let change = match (action.as_str(), form.name) {
        ("rename", Some(name)) => PasskeyChange::Rename(name),
        ("remove", _) => PasskeyChange::Remove,
        _ => return Err(AppError::NotFound.into()),
    };
    sign_in::change_passkey(&state.app, &me.caller(), &me.org, id, change)
        .await
        .map_err(|e| match e {
            beredskap_app::Error::Store(beredskap_core::StoreError::Invalid(_))
            | beredskap_app::Error::Invalid(_) => WebError(
                AppError::invalid(
                    "name",
                    Problem::Malformed {
                        detail: String::new(),
                    },
                ),
                Some(ctx.t().invalid_input),
            ),
            other => AppError::from(other).into(),
        })?;
    Ok(axum::response::Redirect::to("/passkeys").into_response())
}

/// The caller's passkeys as the relying party reads them.
async fn stored_passkeys(
    state: &AppState,
    caller: &beredskap_app::Caller,
    org: &beredskap_core::register::Org,
) -> Result<Vec<Passkey>, WebError> {
    parsed(
        sign_in::passkeys(&state.app, caller, org)
            .await
            .map_err(AppError::from)?,
    )
}

/// Stored passkeys as the relying party reads them.
fn parsed(stored: Vec<beredskap_core::auth::StoredPasskey>) -> Result<Vec<Passkey>, WebError> {
    stored
        .iter()
        .map(|p| serde_json::from_str(&p.passkey).map_err(internal))
        .collect()
}

pub async fn register_start(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
) -> Result<Response, WebError> {
    csrf_header(&ctx, &headers)?;
    let rp = relying_party(&state)?;
    let existing = stored_passkeys(&state, &me.caller(), &me.org).await?;
    let exclude = existing.iter().map(|p| p.cred_id().clone()).collect();
    let (challenge, registration) = rp
        .start_passkey_registration(
            me.account.id.0,
            me.account.login.as_str(),
            &me.name,
            Some(exclude),
        )
        .map_err(internal)?;
    let key = format!("register:{}", me.session.id);
    let saved = serde_json::to_string(&registration).map_err(internal)?;
    sign_in::keep_ceremony(&state.app, &key, me.account.id, &saved, CEREMONY_MINUTES)
        .await
        .map_err(AppError::from)?;
    Ok(Json(challenge).into_response())
}

pub async fn register_finish(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Json(answer): Json<RegisterPublicKeyCredential>,
) -> Result<Response, WebError> {
    csrf_header(&ctx, &headers)?;
    let rp = relying_party(&state)?;
    let key = format!("register:{}", me.session.id);
    let taken = sign_in::take_ceremony(&state.app, &key).await;
    let Some((account, saved)) = taken.map_err(AppError::from)? else {
        return Err(AppError::NotFound.into());
    };
    if account != me.account.id {
        return Err(AppError::Forbidden.into());
    }
    let registration: PasskeyRegistration = serde_json::from_str(&saved).map_err(internal)?;
    let passkey = rp
        .finish_passkey_registration(&answer, &registration)
        .map_err(|e| {
            let detail = e.to_string();
            WebError(
                AppError::invalid("passkey", Problem::Rejected { detail }),
                None,
            )
        })?;
    let count = stored_passkeys(&state, &me.caller(), &me.org).await?.len();
    let name = format!("{} {}", ctx.t().passkey, count + 1);
    let credential_id = credential_id_text(passkey.cred_id());
    let stored = serde_json::to_string(&passkey).map_err(internal)?;
    sign_in::add_passkey(
        &state.app,
        &me.caller(),
        &me.org,
        &credential_id,
        &stored,
        &name,
    )
    .await
    .map_err(AppError::from)?;
    Ok(Json(serde_json::json!({ "name": name })).into_response())
}

pub async fn sign_in_start(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    csrf_header(&ctx, &headers)?;
    let rp = relying_party(&state)?;
    let Some(pending) = pending(&state, &headers).await? else {
        return Err(AppError::Unauthorized.into());
    };
    let account = &pending.account;
    let passkeys = parsed(
        sign_in::pending_passkeys(&state.app, &pending)
            .await
            .map_err(AppError::from)?,
    )?;
    if passkeys.is_empty() {
        return Err(AppError::NotFound.into());
    }
    let (challenge, authentication) = rp
        .start_passkey_authentication(&passkeys)
        .map_err(internal)?;
    let saved = serde_json::to_string(&authentication).map_err(internal)?;
    let key = pending.ceremony_key();
    sign_in::keep_ceremony(&state.app, &key, account.id, &saved, CEREMONY_MINUTES)
        .await
        .map_err(AppError::from)?;
    Ok(Json(challenge).into_response())
}

pub async fn sign_in_finish(
    State(state): State<AppState>,
    ctx: WebContext,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(answer): Json<PublicKeyCredential>,
) -> Result<Response, WebError> {
    csrf_header(&ctx, &headers)?;
    let rp = relying_party(&state)?;
    let Some(secret) = pending_secret(&state, &headers) else {
        return Err(AppError::Unauthorized.into());
    };
    let client = client(&headers, addr);
    let (app, sign_in) = (&state.app, &state.sign_in);
    let attempt = match sign_in::begin_second_step(app, secret, &client)
        .await
        .map_err(AppError::from)?
    {
        Ok(attempt) => attempt,
        Err(Refusal::Locked(_)) => return Ok(StatusCode::TOO_MANY_REQUESTS.into_response()),
        Err(_) => return Err(AppError::Unauthorized.into()),
    };
    let account = attempt.pending.account.clone();
    let key = attempt.pending.ceremony_key();
    let saved = sign_in::take_ceremony(app, &key)
        .await
        .map_err(AppError::from)?;
    let verified = match saved {
        Some((owner, saved)) if owner == account.id => {
            match serde_json::from_str::<PasskeyAuthentication>(&saved) {
                Ok(authentication) => rp
                    .finish_passkey_authentication(&answer, &authentication)
                    .map_err(|e| e.to_string()),
                Err(e) => {
                    sign_in::abandon(app, attempt)
                        .await
                        .map_err(AppError::from)?;
                    return Err(internal(e));
                }
            }
        }
        _ => Err("no sign-in in progress".to_owned()),
    };
    let proof = match verified {
        Ok(result) => {
            // Keep the signature counter, which reveals a cloned authenticator.
            let stored = sign_in::pending_passkeys(app, &attempt.pending)
                .await
                .map_err(AppError::from)?;
            let mut updated = Vec::new();
            for mut passkey in parsed(stored)? {
                if passkey.update_credential(&result).is_some() {
                    let id = credential_id_text(passkey.cred_id());
                    updated.push((id, serde_json::to_string(&passkey).map_err(internal)?));
                }
            }
            Proof::Passkey { updated }
        }
        Err(reason) => Proof::Failed(format!("passkey refused: {reason}")),
    };
    let outcome = sign_in::end_second_step(app, sign_in, attempt, proof, &client)
        .await
        .map_err(AppError::from)?;
    let started = match outcome {
        Ok(started) => started,
        Err(_) => return Ok(StatusCode::UNAUTHORIZED.into_response()),
    };
    let cookies = session_cookies(&ctx, started);
    let response = Json(serde_json::json!({ "redirect": "/" })).into_response();
    Ok(with_cookies(response, cookies))
}
