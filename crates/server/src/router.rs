//! The whole HTTP surface put together: health checks, the JSON API with its OpenAPI
//! document, the pages, and what every response gets (a request id, security headers, a
//! body limit). The one module that knows both the pages and the API.

use crate::error::{AppError, REQUEST_ID};
use crate::routes::{alerts, api, health};
use crate::state::AppState;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use std::sync::Arc;
use std::time::Instant;

/// The largest body most requests may have: a form, or an alert naming ten thousand
/// people. Anyone can send a sign-in form, so this is what a stranger can make the server
/// hold per request.
const BODY_LIMIT_BYTES: usize = 1024 * 1024;

pub fn router(state: AppState) -> Router {
    let uploads = crate::http::attachment_body_limit(&state.config);
    let (api_routes, mut openapi) = api::routes(uploads).split_for_parts();
    api::complete_responses(&mut openapi);
    api::apply_text_patterns(&mut openapi);
    let openapi = Arc::new(openapi);
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let doc = openapi.clone();
                async move { Json(doc.as_ref().clone()) }
            }),
        )
        .route("/calendar/{file}", get(alerts::calendar_feed))
        // For anyone, with no cookie: outside the pages' frame, which sets one.
        .route("/status/{slug}", get(crate::web::status::public))
        .route("/status/{slug}/feed.atom", get(crate::web::status::atom))
        .route("/status/{slug}/feed.json", get(crate::web::status::json))
        .route("/status/{slug}/cap.xml", get(crate::web::status::cap_index))
        .route(
            "/status/{slug}/cap/{file}",
            get(crate::web::status::cap_message),
        )
        .merge(api_routes)
        .merge(crate::web::routes(state.clone()))
        .route(
            "/favicon.ico",
            get(|| async { axum::http::StatusCode::NO_CONTENT }),
        )
        .fallback(|| async { AppError::NotFound })
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            request_context,
        ))
        .with_state(state)
}

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Gives each request an id (the caller's `x-request-id` if it is sane), makes it available
/// to error responses, logs the outcome once, and sets baseline security headers.
async fn request_context(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let request_id = req
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "(unmatched)".to_owned());
    let method = req.method().clone();
    let started = Instant::now();
    let mut response = REQUEST_ID.scope(request_id.clone(), next.run(req)).await;
    let status = response.status().as_u16();
    let seconds = started.elapsed().as_secs_f64();
    state
        .metrics
        .request(method.as_str(), &path, status, seconds);
    let millis = seconds * 1000.0;
    if path == "/healthz" || path == "/readyz" {
        tracing::debug!(%method, %path, status, millis, %request_id, "request");
    } else {
        tracing::info!(%method, %path, status, millis, %request_id, "request");
    }
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        headers.insert(X_REQUEST_ID.clone(), value);
    }
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    // Same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on form
    // posts, which the CSRF check must refuse. Other sites still learn nothing (enrolment
    // links carry secrets).
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    // Scripts and styles only from our own files (no inline code); inline SVG images
    // (the enrolment QR code) need no source.
    headers
        .entry("content-security-policy")
        .or_insert(HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; \
             img-src 'self'; manifest-src 'self'; worker-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    if state.config.secure_cookies() {
        headers.insert(
            "strict-transport-security",
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}
