//! Server-rendered pages (askama), working without JavaScript: sign-in, enrolment and the
//! list of signed-in devices. Every page speaks Swedish, Danish and English.

mod activation;
mod admin;
mod after_action;
mod alert_templates;
mod alerts;
mod conversation;
mod directory;
mod enrol;
mod form;
pub mod i18n;
mod incident_log;
mod incidents;
mod notices;
pub mod offline_kit;
mod one_time;
mod pages;
mod passkeys;
mod pdf;
mod plans;
mod press;
mod priority_list;
mod services;
mod session;
mod sign_in;
pub(crate) mod status;
mod subscriptions;

use crate::credentials::constant_time_eq;
use crate::error::AppError;
pub use crate::http::SiteOrigin;
use crate::state::AppState;
use axum::extract::{FromRequestParts, Request};
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use beredskap_core::register::Role;
use beredskap_core::Problem;
use i18n::{Lang, PageTexts, Texts};

pub use session::SignedIn;

const LANG_COOKIE: &str = "beredskap_lang";
const CSRF_COOKIE: &str = "beredskap_csrf";

/// Who may use a page or form. Each handler checks it; the table the router is built from
/// records it, so a test tries every route with every role, and no route can be added
/// without saying whom it is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not: signing in and enrolling, the answer and contact-check
    /// links (the secret in the link is the key), scripts, styles and the manifest.
    Anyone,
    /// A signed-in account of this role or above. On a channel, a message or a file a
    /// guest must also be invited to the channel; on a message the access recorded is for
    /// someone else's (its author may also delete it and see its roster).
    AtLeast(Role),
    /// A signed-in account of any role, on its own things (its devices, its passkeys, the
    /// text of its messages): someone else's are refused or not found.
    Own,
}

/// One method on one path of the pages, and who may use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRoute {
    pub method: axum::http::Method,
    pub path: &'static str,
    pub access: Access,
}

/// The router and the table of who may use what, built together.
struct Table {
    router: Router<AppState>,
    routes: Vec<PageRoute>,
}

impl Table {
    fn add(
        mut self,
        method: axum::http::Method,
        path: &'static str,
        access: Access,
        route: MethodRouter<AppState>,
    ) -> Self {
        self.routes.push(PageRoute {
            method,
            path,
            access,
        });
        // axum merges a second method on a path already routed.
        self.router = self.router.route(path, route);
        self
    }

    fn get<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(axum::http::Method::GET, path, access, get(handler))
    }

    fn post<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(axum::http::Method::POST, path, access, post(handler))
    }
}

fn table(uploads: axum::extract::DefaultBodyLimit) -> Table {
    use beredskap_app::UseCase;
    use Access::{Anyone, AtLeast, Own};
    let guest = AtLeast(Role::Guest);
    let admin = AtLeast(Role::Admin);
    // The pages of a use case of the application layer take its least role from the one
    // policy table, so a page cannot be laxer or stricter than the use case it serves.
    let case = |u: UseCase| AtLeast(u.least());
    let table = Table {
        router: Router::new(),
        routes: Vec::new(),
    };
    table
        .get("/", guest, conversation::home)
        .get("/c/{id}", guest, conversation::channel)
        .add(
            axum::http::Method::POST,
            // The channel's own address, so the page that says what was wrong with a post
            // is one its language buttons and a reload can come back to.
            "/c/{id}",
            guest,
            post(conversation::post).layer(uploads),
        )
        .get("/c/{id}/t/{root}", guest, conversation::thread)
        .get(
            "/c/{id}/members",
            case(UseCase::InviteToChannel),
            conversation::members_form,
        )
        .post(
            "/c/{id}/members",
            case(UseCase::InviteToChannel),
            conversation::add_members,
        )
        .get("/m/{id}", guest, conversation::fragment)
        .get("/m/{id}/edit", Own, conversation::edit_form)
        .post("/m/{id}/edit", Own, edit_message)
        .get(
            "/m/{id}/roster",
            case(UseCase::SeeWhoRead),
            conversation::roster,
        )
        .get(
            "/m/{id}/redact",
            case(UseCase::Redact),
            conversation::redact_form,
        )
        .post(
            "/m/{id}/redact",
            case(UseCase::Redact),
            conversation::redact,
        )
        .get("/m/{id}/open", guest, conversation::open)
        .get("/search", guest, conversation::search)
        .get("/mentions", guest, conversation::mention_suggestions)
        .get("/alerts", case(UseCase::FollowAlerts), alerts::list)
        .post("/alerts", case(UseCase::SendAlert), alerts::create)
        .get("/alerts/new", case(UseCase::SendAlert), alerts::new_form)
        .post(
            "/alerts/templates",
            case(UseCase::SendAlert),
            alert_templates::save,
        )
        .get(
            "/alerts/templates/{id}",
            case(UseCase::SendAlert),
            alert_templates::show,
        )
        .post(
            "/alerts/templates/{id}/send",
            case(UseCase::SendAlert),
            alert_templates::send,
        )
        .post(
            "/alerts/templates/{id}/delete",
            case(UseCase::SendAlert),
            alert_templates::delete,
        )
        .get("/alerts/{id}", case(UseCase::FollowAlerts), alerts::show)
        .get(
            "/alerts/{id}/roster",
            case(UseCase::FollowAlerts),
            alerts::roster,
        )
        .get(
            "/alerts/{id}/roster.csv",
            case(UseCase::FollowAlerts),
            alerts::csv,
        )
        .post(
            "/alerts/{id}/close",
            case(UseCase::CloseAlert),
            alerts::close,
        )
        .post(
            "/alerts/{id}/answer",
            case(UseCase::AnswerAlert),
            alerts::answer,
        )
        .get("/a/{token}", Anyone, alerts::link)
        .post("/a/{token}", Anyone, alerts::link_answer)
        .get("/k/{token}", Anyone, alerts::check_link)
        .post("/k/{token}", Anyone, alerts::check_confirm)
        .post(
            "/contact-checks",
            case(UseCase::StartContactCheck),
            alerts::start_check,
        )
        .get("/positions", case(UseCase::ReadRegister), alerts::positions)
        .get("/directory", case(UseCase::ReadRegister), directory::page)
        .get(
            "/directory/print",
            case(UseCase::ReadRegister),
            directory::print,
        )
        .get("/plans", case(UseCase::ReadPlans), plans::list)
        .post("/plans/import", case(UseCase::KeepPlans), plans::import)
        .get("/plans/new", case(UseCase::KeepPlans), plans::new_form)
        .post("/plans/new", case(UseCase::KeepPlans), plans::create)
        .get(
            "/plans/{id}/edit",
            case(UseCase::KeepPlans),
            plans::edit_form,
        )
        .post("/plans/{id}/edit", case(UseCase::KeepPlans), plans::edit)
        .get("/plans/{id}", case(UseCase::ReadPlans), plans::show)
        .get(
            "/plans/{id}/plan.yaml",
            case(UseCase::ReadPlans),
            plans::yaml,
        )
        .post(
            "/plans/{id}/approve",
            case(UseCase::ApprovePlans),
            plans::approve,
        )
        .post(
            "/plans/{id}/activate",
            case(UseCase::ActivatePlans),
            incidents::activate,
        )
        .get("/incidents", case(UseCase::ReadIncidents), incidents::list)
        .get(
            "/activation-pin",
            case(UseCase::ActivatePlans),
            incidents::pin_form,
        )
        .post(
            "/activation-pin",
            case(UseCase::ActivatePlans),
            incidents::pin_save,
        )
        .get(
            "/incidents/{id}",
            case(UseCase::ReadIncidents),
            incidents::show,
        )
        .post(
            "/incidents/{id}/tasks/{task}",
            case(UseCase::WorkIncidents),
            incidents::task,
        )
        .post(
            "/incidents/{id}/roles",
            case(UseCase::LeadIncidents),
            incidents::hand_over,
        )
        .post(
            "/incidents/{id}/close",
            case(UseCase::LeadIncidents),
            incidents::close,
        )
        .post(
            "/incidents/{id}/guests",
            case(UseCase::LeadIncidents),
            incidents::invite_guest,
        )
        .post(
            "/incidents/{id}/guests/{account}/remove",
            case(UseCase::LeadIncidents),
            incidents::remove_guest,
        )
        .get(
            "/offline-kit.html",
            case(UseCase::TakeOfflineKit),
            offline_kit::download,
        )
        // The public status page's ways to get in touch (the page itself is outside this
        // frame: `status::public`, routed with the health checks).
        .get(
            "/services/public",
            case(UseCase::KeepPublicStatus),
            status::contacts_form,
        )
        .post(
            "/services/public",
            case(UseCase::KeepPublicStatus),
            status::set_contacts,
        )
        .get(
            "/notices/new",
            case(UseCase::KeepPublicStatus),
            notices::new_form,
        )
        .post(
            "/notices",
            case(UseCase::KeepPublicStatus),
            notices::publish,
        )
        .get(
            "/notices/{id}",
            case(UseCase::KeepPublicStatus),
            notices::update_form,
        )
        .post(
            "/notices/{id}",
            case(UseCase::KeepPublicStatus),
            notices::update,
        )
        .get(
            "/press/new",
            case(UseCase::KeepPublicStatus),
            press::new_form,
        )
        .post("/press", case(UseCase::KeepPublicStatus), press::publish)
        // Subscriptions to the status page's notices: anyone; the links' signed tokens
        // are the authority on confirming and leaving.
        .get("/status/{slug}/subscribe", Anyone, subscriptions::form)
        .post("/status/{slug}/subscribe", Anyone, subscriptions::subscribe)
        .get(
            "/status/{slug}/confirm/{token}",
            Anyone,
            subscriptions::confirm_link,
        )
        .post(
            "/status/{slug}/confirm/{token}",
            Anyone,
            subscriptions::confirm,
        )
        .get(
            "/status/{slug}/unsubscribe/{token}",
            Anyone,
            subscriptions::unsubscribe_link,
        )
        .post(
            "/status/{slug}/unsubscribe/{token}",
            Anyone,
            subscriptions::unsubscribe,
        )
        // The priority list: the role is the table's; holding a named position (or, for
        // its settings and import, being an administrator) is the use cases' check.
        .get(
            "/priority-list",
            case(UseCase::ReadPriorityList),
            priority_list::page,
        )
        .post(
            "/priority-list/import",
            case(UseCase::ReadPriorityList),
            priority_list::import,
        )
        .post(
            "/priority-list/access",
            case(UseCase::KeepPriorityList),
            priority_list::set_access,
        )
        .get(
            "/incidents/{id}/calls",
            case(UseCase::ReadPriorityList),
            priority_list::calls,
        )
        .post(
            "/incidents/{id}/calls/start",
            case(UseCase::WorkIncidents),
            priority_list::start,
        )
        .post(
            "/incidents/{id}/calls/keep",
            case(UseCase::LeadIncidents),
            priority_list::keep,
        )
        .post(
            "/incidents/{id}/calls/{call}",
            case(UseCase::ReadPriorityList),
            priority_list::report,
        )
        .get(
            "/incidents/{id}/after-action",
            case(UseCase::ReadAfterAction),
            after_action::show,
        )
        .get(
            "/incidents/{id}/after-action.pdf",
            case(UseCase::ReadAfterAction),
            after_action::download,
        )
        .get(
            "/incidents/{id}/log",
            case(UseCase::ReadIncidents),
            incident_log::show,
        )
        .get(
            "/incidents/{id}/decision",
            case(UseCase::WorkIncidents),
            incident_log::decision_form,
        )
        .post(
            "/incidents/{id}/decision",
            case(UseCase::WorkIncidents),
            incident_log::record_decision,
        )
        .get(
            "/incidents/{id}/report",
            case(UseCase::WorkIncidents),
            incident_log::report_form,
        )
        .post(
            "/incidents/{id}/report",
            case(UseCase::WorkIncidents),
            incident_log::write_report,
        )
        .post(
            "/incidents/{id}/log/{entry}/approve",
            case(UseCase::WorkIncidents),
            incident_log::approve,
        )
        .post(
            "/incidents/{id}/log/{entry}/decline",
            case(UseCase::WorkIncidents),
            incident_log::decline,
        )
        .post(
            "/incidents/{id}/cadence",
            case(UseCase::LeadIncidents),
            incident_log::set_cadence,
        )
        .get("/services", case(UseCase::ReadOverview), services::list)
        .get(
            "/services/new",
            case(UseCase::KeepServices),
            services::new_form,
        )
        .post(
            "/services/new",
            case(UseCase::KeepServices),
            services::create,
        )
        .get(
            "/services/{id}/status",
            case(UseCase::SetServiceState),
            services::status_form,
        )
        .post(
            "/services/{id}/status",
            case(UseCase::SetServiceState),
            services::set_status,
        )
        .get(
            "/services/{id}/edit",
            case(UseCase::KeepServices),
            services::edit_form,
        )
        .post(
            "/services/{id}/edit",
            case(UseCase::KeepServices),
            services::edit,
        )
        .post(
            "/services/{id}/retire",
            case(UseCase::KeepServices),
            services::retire,
        )
        .get("/static/alerts.js", Anyone, alerts_script)
        .get("/static/push.js", Anyone, push_script)
        .get("/push/key", Anyone, alerts::push_key)
        .post("/push/subscribe", guest, alerts::push_subscribe)
        .get("/files/{id}", guest, conversation::file)
        .post("/m/{id}/{action}", guest, conversation::act)
        .get(
            "/channels/new",
            case(UseCase::CreateChannel),
            conversation::new_channel,
        )
        .post(
            "/channels/new",
            case(UseCase::CreateChannel),
            conversation::create_channel,
        )
        .get("/events", guest, conversation::events)
        .post("/language", Anyone, choose_language)
        .get("/sign-in", Anyone, sign_in::form)
        .post("/sign-in", Anyone, sign_in::submit)
        .get("/o/{slug}/sign-in", Anyone, sign_in::org_form)
        .get("/sign-in/code", Anyone, sign_in::code_form)
        .post("/sign-in/code", Anyone, sign_in::code_submit)
        .post("/sign-out", Anyone, sign_in::sign_out)
        .get("/sign-in/one-time-code", Anyone, one_time::form)
        .post("/sign-in/one-time-code", Anyone, one_time::submit)
        .get("/enrol/{secret}", Anyone, enrol::form)
        .post("/enrol/{secret}", Anyone, enrol::submit)
        .get("/passkeys", guest, passkeys::list)
        .post("/passkeys/{id}/{action}", Own, passkeys::change)
        .post("/passkeys/register/start", guest, passkeys::register_start)
        .post(
            "/passkeys/register/finish",
            guest,
            passkeys::register_finish,
        )
        .post("/sign-in/passkey/start", Anyone, passkeys::sign_in_start)
        .post("/sign-in/passkey/finish", Anyone, passkeys::sign_in_finish)
        .get("/sessions", guest, pages::sessions)
        .post("/sessions/{id}/end", Own, pages::end_session)
        .get("/admin", admin, admin_start)
        .get("/admin/accounts", admin, admin::accounts)
        .post("/admin/accounts", admin, admin::create_account)
        .get("/admin/accounts/{id}", admin, admin::account)
        .post("/admin/accounts/{id}/link", admin, admin::new_link)
        .get("/admin/activation", admin, activation::form)
        .post("/admin/activation", admin, activation::submit)
        .get("/admin/activation/{id}", admin, activation::batch)
        .post("/admin/sessions/{id}/end", admin, admin::end_session)
        .get("/admin/tokens", admin, admin::tokens)
        .post("/admin/tokens", admin, admin::create_token)
        .post("/admin/tokens/{id}/revoke", admin, admin::revoke_token)
        .get("/admin/settings", admin, admin::settings)
        .post("/admin/settings", admin, admin::save_settings)
        .get("/static/app.css", Anyone, stylesheet)
        .get("/static/passkeys.js", Anyone, passkeys_script)
        .get("/static/live.js", Anyone, live_script)
        .get("/static/pwa.js", Anyone, pwa_script)
        .get("/static/offline.js", Anyone, offline_script)
        .get("/static/mentions.js", Anyone, mentions_script)
        .get("/static/icon.svg", Anyone, icon)
        .get("/sw.js", Anyone, service_worker)
        .get("/manifest.webmanifest", Anyone, manifest)
}

pub fn routes(state: AppState) -> Router<AppState> {
    table(crate::http::attachment_body_limit(&state.config))
        .router
        .layer(middleware::from_fn_with_state(state, web_context))
}

/// Every page and form with who may use it, as the router serves them.
pub fn page_routes() -> Vec<PageRoute> {
    table(axum::extract::DefaultBodyLimit::disable()).routes
}

/// `/admin` opens on the accounts; only administrators are sent on.
async fn admin_start(me: SignedIn) -> Result<Response, WebError> {
    admin::require_admin(&me)?;
    Ok(Redirect::to("/admin/accounts").into_response())
}

/// The pages' one stylesheet (also written beside an exported status site).
pub const STYLESHEET: &str = include_str!("../../static/app.css");

async fn stylesheet() -> Response {
    static_file("text/css; charset=utf-8", STYLESHEET)
}

async fn passkeys_script() -> Response {
    static_file(
        "text/javascript; charset=utf-8",
        include_str!("../../static/passkeys.js"),
    )
}

async fn live_script() -> Response {
    static_file(
        "text/javascript; charset=utf-8",
        include_str!("../../static/live.js"),
    )
}

async fn alerts_script() -> Response {
    static_file(
        "text/javascript; charset=utf-8",
        include_str!("../../static/alerts.js"),
    )
}

async fn push_script() -> Response {
    static_file(
        "text/javascript; charset=utf-8",
        include_str!("../../static/push.js"),
    )
}

async fn pwa_script() -> Response {
    static_file(
        "text/javascript; charset=utf-8",
        include_str!("../../static/pwa.js"),
    )
}

async fn offline_script() -> Response {
    static_file(
        "text/javascript; charset=utf-8",
        include_str!("../../static/offline.js"),
    )
}

async fn mentions_script() -> Response {
    static_file(
        "text/javascript; charset=utf-8",
        include_str!("../../static/mentions.js"),
    )
}

async fn icon() -> Response {
    static_file("image/svg+xml", include_str!("../../static/icon.svg"))
}

/// Served from the root so it may look after every page; never cached by the browser, so
/// a new version is picked up at once.
async fn service_worker() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../../static/sw.js"),
    )
        .into_response()
}

async fn manifest(ctx: WebContext) -> Response {
    let body = serde_json::json!({
        "name": "Beredskap",
        "short_name": "Beredskap",
        "lang": ctx.lang.code(),
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5394",
        "icons": [{"src": "/static/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"}],
    });
    (
        [(header::CONTENT_TYPE, "application/manifest+json")],
        body.to_string(),
    )
        .into_response()
}

fn static_file(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// The same route as `/m/{id}/{action}` with `edit`, for the edit page's form.
async fn edit_message(
    state: axum::extract::State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    axum::extract::Path(id): axum::extract::Path<String>,
    form: axum::Form<conversation::ActionForm>,
) -> Result<Response, WebError> {
    conversation::act(
        state,
        ctx,
        headers,
        me,
        axum::extract::Path((id, "edit".to_owned())),
        form,
    )
    .await
}

/// A time as pages show it: on the organisation's clock, with the zone's abbreviation
/// (`2026-12-01 14:05 CET`), so a reader elsewhere or a screenshot is not misread.
pub fn when(t: chrono::DateTime<chrono::Utc>, zone: beredskap_core::TimeZone) -> String {
    zone.local(t).format("%Y-%m-%d %H:%M %Z").to_string()
}

/// The language and CSRF token of the request being served.
#[derive(Debug, Clone)]
pub struct WebContext {
    pub lang: Lang,
    /// Whether the language was chosen (on this device or by the link), rather than
    /// guessed from the browser.
    pub lang_chosen: bool,
    /// The token forms carry: a keyed hash of the session cookie, or before sign-in of
    /// the device's CSRF cookie. A cookie planted by a neighbouring site does not help an
    /// attacker, who cannot compute the token for it.
    pub csrf: String,
    /// Whether the token stands on a cookie the request arrived with (a POST without one
    /// is refused).
    csrf_from_cookie: bool,
    pub secure_cookies: bool,
    site: std::sync::Arc<SiteOrigin>,
    /// The path asked for, for the menu.
    pub path: String,
}

impl WebContext {
    pub fn t(&self) -> &'static Texts {
        self.lang.texts()
    }

    /// Refuses a form post whose token does not match the cookie, or that comes from
    /// another site.
    pub fn check_csrf(&self, headers: &HeaderMap, submitted: &str) -> Result<(), WebError> {
        let same_token =
            self.csrf_from_cookie && constant_time_eq(submitted.as_bytes(), self.csrf.as_bytes());
        // Browsers say where a request comes from; without either header (old browsers,
        // scripts) the token alone decides.
        let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
        let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok());
        let same_origin = fetch_site.is_none_or(|site| site == "same-origin")
            && origin.is_none_or(|origin| self.site.is_ours(origin));
        if same_token && same_origin {
            Ok(())
        } else {
            Err(WebError(AppError::Forbidden, Some(self.t().form_expired)))
        }
    }

    /// A `Set-Cookie` value with the flags every cookie here gets. Over HTTPS the name
    /// carries the `__Host-` prefix, so no other host (a sibling subdomain) can set it.
    /// Every cookie is for the whole site, as that prefix demands.
    pub fn cookie(&self, name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
        let name = cookie_name(name, self.secure_cookies);
        let secure = if self.secure_cookies { "; Secure" } else { "" };
        let age = max_age
            .map(|s| format!("; Max-Age={s}"))
            .unwrap_or_default();
        HeaderValue::from_str(&format!(
            "{name}={value}; Path=/; HttpOnly; SameSite=Lax{secure}{age}"
        ))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

impl FromRequestParts<AppState> for WebContext {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, WebError> {
        parts
            .extensions
            .get::<WebContext>()
            .cloned()
            .ok_or(WebError(
                AppError::Internal("web context missing".into()),
                None,
            ))
    }
}

/// Adds `Set-Cookie` headers to a response.
pub fn with_cookies(
    mut response: Response,
    cookies: impl IntoIterator<Item = HeaderValue>,
) -> Response {
    for cookie in cookies {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// A cookie's name as sent: with the `__Host-` prefix over HTTPS.
fn cookie_name(name: &str, secure: bool) -> std::borrow::Cow<'_, str> {
    if secure {
        std::borrow::Cow::Owned(format!("__Host-{name}"))
    } else {
        std::borrow::Cow::Borrowed(name)
    }
}

/// A cookie's value. Over HTTPS only the `__Host-` cookie counts: one without the prefix
/// may have been set by another host.
pub fn cookie_value<'h>(headers: &'h HeaderMap, name: &str, secure: bool) -> Option<&'h str> {
    let name = cookie_name(name, secure);
    let name = name.as_ref();
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The language of this response: `?lang=` shows one page in another language (a link
/// may ask for it) without changing anything, and a form sent from such a page is
/// answered in it too (its address is the `Referer`, which this site sends to itself
/// only); then the device's choice (a cookie set by `POST /language`); then what the
/// browser asks for; Swedish.
fn choose_lang(parts: &Request, secure: bool) -> (Lang, bool) {
    let lang_of = |query: &str| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "lang")
            .and_then(|(_, v)| Lang::parse(&v))
    };
    let headers = parts.headers();
    let from_query = parts.uri().query().and_then(lang_of);
    let from_form_page = || {
        if parts.method() == axum::http::Method::GET {
            return None;
        }
        let referer = headers.get(header::REFERER)?.to_str().ok()?;
        lang_of(url::Url::parse(referer).ok()?.query()?)
    };
    if let Some(lang) = from_query.or_else(from_form_page) {
        return (lang, true);
    }
    if let Some(lang) = cookie_value(headers, LANG_COOKIE, secure).and_then(Lang::parse) {
        return (lang, true);
    }
    let lang = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Lang::from_accept_language)
        .unwrap_or_else(Lang::fallback);
    (lang, false)
}

/// Sets up language and CSRF token for the handlers, and renders error pages in the
/// person's language.
async fn web_context(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let secure = state.config.secure_cookies();
    let (lang, lang_chosen) = choose_lang(&req, secure);
    let device = cookie_value(req.headers(), CSRF_COOKIE, secure)
        .filter(|v| v.len() == 64 && v.chars().all(|c| c.is_ascii_hexdigit()))
        .map(str::to_owned);
    let session =
        cookie_value(req.headers(), session::SESSION_COOKIE, secure).filter(|v| !v.is_empty());
    let new_device = device.is_none().then(beredskap_app::accounts::new_secret);
    let basis = match (session, device.as_ref().or(new_device.as_ref())) {
        (Some(session), _) => format!("session:{session}"),
        (None, device) => format!("device:{}", device.map_or("", String::as_str)),
    };
    let ctx = WebContext {
        lang,
        lang_chosen,
        csrf: state.links.csrf_token(&basis),
        csrf_from_cookie: session.is_some() || device.is_some(),
        secure_cookies: secure,
        site: state.site.clone(),
        path: req.uri().path().to_owned(),
    };
    req.extensions_mut().insert(ctx.clone());
    let mut response = next.run(req).await;
    if let Some(ErrorPage(status, message)) = response.extensions().get::<ErrorPage>().cloned() {
        let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
        response = pages::error_page(&ctx, status, message);
        if let Some(retry_after) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, retry_after);
        }
    }
    let headers = response.headers_mut();
    if let Some(device) = new_device {
        headers.append(header::SET_COOKIE, ctx.cookie(CSRF_COOKIE, &device, None));
    }
    if headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"))
    {
        // Pages may hold personal data: never keep them in shared caches.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[derive(serde::Deserialize)]
struct LanguageForm {
    csrf: String,
    lang: String,
}

/// `POST /language`: the language buttons on every page. The choice is kept on the device
/// (a cookie) and, for a signed-in person, on their account, so it follows them to their
/// other devices. Only a form post of this site changes it: a link cannot.
async fn choose_language(
    axum::extract::State(state): axum::extract::State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LanguageForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    let lang = Lang::parse(&form.lang).ok_or(WebError(
        AppError::invalid("lang", Problem::NotALanguage),
        None,
    ))?;
    remember_language(&state, &headers, lang).await;
    let year = Some(365 * 24 * 3600);
    let cookie = ctx.cookie(LANG_COOKIE, lang.code(), year);
    let back = same_site_path(&headers, &state.site).unwrap_or_else(|| "/".into());
    Ok(with_cookies(Redirect::to(&back).into_response(), [cookie]))
}

/// The page a form was sent from (its `Referer`, sent by browsers within the site), as a
/// path on this site without `lang=`; never an address elsewhere.
/// The Host header counts too: the Referer names the address the person reached us at.
fn same_site_path(headers: &HeaderMap, site: &SiteOrigin) -> Option<String> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let url = url::Url::parse(referer).ok()?;
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin = url.origin().ascii_serialization();
    let via_host = host.is_some_and(|host| origin.split_once("://").map(|(_, h)| h) == Some(host));
    if !(site.is_ours(&origin) || via_host) {
        return None;
    }
    let path = url.path();
    if !path.starts_with('/') || path.starts_with("//") {
        return None;
    }
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(url.query_pairs().filter(|(k, _)| k != "lang"))
        .finish();
    Some(if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    })
}

/// A signed-in person who picks a language keeps it: it is stored on their account and
/// set again when they sign in on another device. A failure here only loses the choice.
async fn remember_language(state: &AppState, headers: &HeaderMap, lang: Lang) {
    let secure = state.config.secure_cookies();
    let Some(secret) = cookie_value(headers, session::SESSION_COOKIE, secure) else {
        return;
    };
    let Ok(Some(signed_in)) =
        beredskap_app::sign_in::session(&state.app, &state.sign_in, secret).await
    else {
        return;
    };
    let me = beredskap_app::Caller::Account(signed_in.account);
    if let Err(e) = beredskap_app::accounts::choose_language(&state.app, &me, lang.code()).await {
        tracing::warn!(error = %e, "could not store the chosen language");
    }
}

/// Marks a response to be replaced by an error page in the person's language.
#[derive(Debug, Clone)]
struct ErrorPage(StatusCode, Option<&'static str>);

/// An error from a page handler: signed-out people are sent to sign in, everything else
/// becomes a page (never JSON) in the person's language.
#[derive(Debug)]
pub struct WebError(pub AppError, pub Option<&'static str>);

impl From<AppError> for WebError {
    fn from(e: AppError) -> Self {
        WebError(e, None)
    }
}

impl From<beredskap_app::Error> for WebError {
    fn from(e: beredskap_app::Error) -> Self {
        WebError(AppError::from(e), None)
    }
}

impl From<beredskap_core::StoreError> for WebError {
    fn from(e: beredskap_core::StoreError) -> Self {
        WebError(AppError::from(e), None)
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match &self.0 {
            AppError::Unauthorized => return Redirect::to("/sign-in").into_response(),
            AppError::Internal(detail) => {
                tracing::error!(request_id = %crate::error::current_request_id(), error = %detail, "internal error");
            }
            AppError::Unavailable(detail) => {
                tracing::warn!(request_id = %crate::error::current_request_id(), error = %detail, "database unavailable");
            }
            _ => {}
        }
        let mut response = self.0.status().into_response();
        if matches!(self.0, AppError::Busy) {
            response = crate::error::retry_later(response);
        }
        response
            .extensions_mut()
            .insert(ErrorPage(self.0.status(), self.1));
        response
    }
}

/// Renders a template into a page with `status`.
pub fn render(status: StatusCode, template: &impl askama::Template) -> Result<Response, WebError> {
    let html = template
        .render()
        .map_err(|e| WebError(AppError::Internal(format!("template: {e}")), None))?;
    Ok((status, Html(html)).into_response())
}

/// What the base template needs on every page.
pub struct Page {
    pub lang: Lang,
    pub t: &'static Texts,
    pub title: &'static str,
    pub csrf: String,
    pub langs: Vec<Lang>,
    /// The signed-in person's name, if any.
    pub signed_in: Option<String>,
    /// The signed-in person's role: which menu items they get.
    pub role: Option<Role>,
    /// The page's path, to mark where in the menu the reader is.
    pub path: String,
}

/// One item of the main menu.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

impl Page {
    pub fn new(ctx: &WebContext, title: &'static str) -> Self {
        Self {
            lang: ctx.lang,
            t: ctx.t(),
            title,
            csrf: ctx.csrf.clone(),
            langs: Lang::all().collect(),
            signed_in: None,
            role: None,
            path: ctx.path.clone(),
        }
    }

    /// A page for a signed-in person: their name at the top and the menu for their role.
    pub fn signed_in(ctx: &WebContext, me: &SignedIn, title: &'static str) -> Self {
        let mut page = Self::new(ctx, title);
        page.signed_in = Some(me.name.clone());
        page.role = Some(me.account.role);
        page
    }

    /// The same menu on every page: start, channels, alerts, positions, search and
    /// administration, as far as the role reaches. Who may open each destination is read
    /// from the route table, so the menu never offers a page that would refuse.
    pub fn nav(&self) -> Vec<NavItem> {
        let Some(role) = self.role else {
            return Vec::new();
        };
        let t = self.t;
        let path = self.path.as_str();
        let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
        // (link, label, the route it opens, whether the reader is there)
        let items = [
            ("/", t.nav_start, "/", path == "/"),
            (
                "/#channels",
                t.channels_title,
                "/",
                path.starts_with("/c/") || under("/channels"),
            ),
            ("/alerts", t.alerts_title, "/alerts", under("/alerts")),
            (
                "/positions",
                t.nav_positions,
                "/positions",
                under("/positions"),
            ),
            (
                "/directory",
                t.nav_directory,
                "/directory",
                under("/directory") || under("/priority-list"),
            ),
            (
                "/incidents",
                t.nav_incidents,
                "/incidents",
                under("/incidents"),
            ),
            ("/plans", t.nav_plans, "/plans", under("/plans")),
            (
                "/services",
                t.nav_services,
                "/services",
                under("/services") || under("/notices") || under("/press"),
            ),
            ("/search", t.search, "/search", under("/search")),
            (
                "/admin/accounts",
                t.admin_title,
                "/admin/accounts",
                under("/admin"),
            ),
        ];
        items
            .into_iter()
            .filter(|(_, _, route, _)| may_open(role, route))
            .map(|(href, label, _, current)| NavItem {
                href,
                label,
                current,
            })
            .collect()
    }
}

/// Whether `role` may open the page at `path`, by the route table (built once).
fn may_open(role: Role, path: &str) -> bool {
    static ROUTES: std::sync::LazyLock<Vec<PageRoute>> = std::sync::LazyLock::new(page_routes);
    ROUTES
        .iter()
        .find(|r| r.method == axum::http::Method::GET && r.path == path)
        .is_some_and(|r| match r.access {
            Access::Anyone | Access::Own => true,
            Access::AtLeast(least) => role >= least,
        })
}
