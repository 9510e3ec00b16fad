use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;

/// The process is up and answering.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The process can serve requests: its database answers, within 2 s (a load balancer's
/// check must not wait for the pool's own timeout).
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    let answered = tokio::time::timeout(std::time::Duration::from_secs(2), state.store.ping());
    match answered.await {
        Ok(Ok(())) => (StatusCode::OK, "ready"),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
        Err(_) => {
            tracing::warn!("readiness check failed: the database did not answer in 2 s");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

/// Prometheus metrics, for a scraper with the configured bearer token (`metrics_token`).
/// Off without one: the figures say when alerts go out and how many sign-ins fail.
pub async fn metrics(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    use secrecy::ExposeSecret;
    let Some(token) = &state.config.metrics_token else {
        return (StatusCode::NOT_FOUND, "metrics are off: set metrics_token").into_response();
    };
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let expected = token.expose_secret().as_bytes();
    if !crate::credentials::constant_time_eq(given.as_bytes(), expected) {
        return (
            StatusCode::UNAUTHORIZED,
            [(axum::http::header::WWW_AUTHENTICATE, "Bearer")],
            "a bearer token is needed",
        )
            .into_response();
    }
    match state
        .metrics
        .render(state.store.as_ref(), state.clock.now())
        .await
    {
        Ok(text) => (
            [(
                axum::http::header::CONTENT_TYPE,
                crate::metrics::CONTENT_TYPE,
            )],
            text,
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "metrics unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}
