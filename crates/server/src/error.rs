//! One error type for every handler, mapped to HTTP in one place.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use beredskap_core::store::Conflict;
use beredskap_core::{FieldErrors, StoreError};
use serde::Serialize;

tokio::task_local! {
    /// The id of the request being handled, set by the request middleware, so errors can
    /// quote it without every handler passing it along.
    pub static REQUEST_ID: String;
}

pub fn current_request_id() -> String {
    REQUEST_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| "-".to_owned())
}

/// A `Busy` answer says when to come back: in a second.
pub fn retry_later(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

impl From<crate::credentials::hashing::Busy> for AppError {
    fn from(_: crate::credentials::hashing::Busy) -> Self {
        AppError::Busy
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("authentication required")]
    Unauthorized,
    #[error("not allowed")]
    Forbidden,
    /// Refused by the policy table (`use_case`), or by a rule of the data (editing someone
    /// else's message).
    #[error("not allowed: {message}")]
    Refused {
        use_case: Option<beredskap_app::UseCase>,
        message: &'static str,
    },
    /// The account may, but the API token it calls with was not given this scope.
    #[error("this API token lacks the \"{0}\" scope")]
    MissingScope(&'static str),
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(FieldErrors),
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
    /// Too much is being asked of the server at once (password checks in a burst): try
    /// again after `Retry-After` seconds.
    #[error("busy; try again in a moment")]
    Busy,
    /// Details are logged with the request id, never sent to the client.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Machine-readable kind: `unauthorized`, `forbidden`, `not_found`, `conflict`,
    /// `invalid`, `unavailable`, `busy` or `internal`.
    pub error: &'static str,
    /// What exactly, for a client to act on or to say in its own language: for `forbidden`,
    /// `not_permitted` (`args`: `use_case`, and `least_role` when a higher role may) or
    /// `missing_scope` (`args`: `scope`); otherwise the same as `error`.
    pub code: &'static str,
    /// The values that go with `code`.
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    #[schema(value_type = Object)]
    pub args: serde_json::Map<String, serde_json::Value>,
    pub message: String,
    /// For `invalid` and `conflict`: each problem with the field it concerns, as a code
    /// with its values and in English.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<beredskap_core::error::FieldErrorSchema>)]
    pub fields: Vec<beredskap_core::FieldError>,
    /// Quote this when reporting a problem; it finds the request in the server's log.
    pub request_id: String,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::MissingScope(_) | AppError::Refused { .. } => {
                StatusCode::FORBIDDEN
            }
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unavailable(_) | AppError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden | AppError::MissingScope(_) | AppError::Refused { .. } => {
                "forbidden"
            }
            AppError::NotFound => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::Invalid(_) => "invalid",
            AppError::Unavailable(_) => "unavailable",
            AppError::Busy => "busy",
            AppError::Internal(_) => "internal",
        }
    }

    /// The code and values of the body: what a client acts on beside the English message.
    fn code(&self) -> (&'static str, serde_json::Map<String, serde_json::Value>) {
        let mut args = serde_json::Map::new();
        let code = match self {
            AppError::Refused { use_case, .. } => {
                if let Some(use_case) = use_case {
                    args.insert("use_case".into(), use_case.as_str().into());
                    if use_case.rule().accounts {
                        args.insert("least_role".into(), use_case.least().as_str().into());
                    }
                }
                "not_permitted"
            }
            AppError::MissingScope(scope) => {
                args.insert("scope".into(), (*scope).into());
                "missing_scope"
            }
            other => other.kind(),
        };
        (code, args)
    }

    pub fn invalid(field: &str, problem: impl Into<beredskap_core::Problem>) -> Self {
        AppError::Invalid(FieldErrors::single(field, problem))
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict(conflict) => AppError::Conflict(conflict_fields(&conflict)),
            StoreError::Invalid(fields) => AppError::Invalid(fields),
            StoreError::Unavailable(reason) => AppError::Unavailable(reason),
            StoreError::Backend(reason) => AppError::Internal(reason),
            StoreError::Forbidden(message) => AppError::Refused {
                use_case: None,
                message,
            },
        }
    }
}

impl From<beredskap_app::Error> for AppError {
    fn from(e: beredskap_app::Error) -> Self {
        match e {
            beredskap_app::Error::Refused { use_case, .. } => AppError::Refused {
                use_case: Some(use_case),
                message: use_case.refusal(),
            },
            beredskap_app::Error::Invalid(fields) => AppError::Invalid(fields),
            beredskap_app::Error::Store(e) => e.into(),
            beredskap_app::Error::Busy => AppError::Busy,
            beredskap_app::Error::Unavailable(reason) => AppError::Unavailable(reason),
            beredskap_app::Error::Internal(reason) => AppError::Internal(reason),
        }
    }
}

/// Turns what a change collided with into the field a person has to change.
fn conflict_fields(conflict: &Conflict) -> FieldErrors {
    use beredskap_core::Problem;
    let (field, problem) = match conflict {
        Conflict::OrgSlug | Conflict::GroupSlug | Conflict::PositionSlug => {
            ("slug", Problem::Taken)
        }
        Conflict::PersonExternalId => ("external_id", Problem::UsedByAnotherPerson),
        Conflict::AccountLogin => ("login", Problem::HasAccount),
        Conflict::AccountPerson => ("person", Problem::HasAccount),
        Conflict::OrgSmsNumber => ("sms_number", Problem::OtherOrgsNumber),
        Conflict::ServiceName => ("name", Problem::Taken),
        Conflict::PlanSlug => ("slug", Problem::Taken),
        Conflict::PlanChanged => ("version", Problem::Changed),
        Conflict::IncidentClosed => ("incident", Problem::Closed),
        Conflict::EntryDecided => ("entry", Problem::Changed),
        Conflict::CallsPurged => ("decision", Problem::Deleted),
        Conflict::NoticeEnded => ("phase", Problem::Closed),
        Conflict::PasskeyCredential => ("passkey", Problem::AlreadyRegistered),
        Conflict::MessageIdempotencyKey => ("idempotency_key", Problem::KeyReused),
        // A change the thing's state no longer allows.
        Conflict::MessageDeleted => ("message", Problem::Deleted),
        Conflict::MessageNotAnnouncement => ("message", Problem::NotAnAnnouncement),
        Conflict::MessageRedacted => ("message", Problem::AlreadyRedacted),
        Conflict::AlertClosed => ("alert", Problem::Closed),
        Conflict::AlertTemplateName => ("name", Problem::Taken),
        Conflict::AlertTemplateChanged => ("version", Problem::Changed),
        Conflict::Other(_) => ("", Problem::ConflictsWithExisting),
    };
    FieldErrors::single(field, problem)
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let request_id = current_request_id();
        let message = match &self {
            AppError::Internal(detail) => {
                tracing::error!(%request_id, error = %detail, "internal error");
                "Something went wrong on the server. It has been logged.".to_owned()
            }
            AppError::Unavailable(detail) => {
                tracing::warn!(%request_id, error = %detail, "database unavailable");
                "The service is temporarily unavailable; try again shortly.".to_owned()
            }
            AppError::Invalid(f) | AppError::Conflict(f) => f.to_string(),
            other => other.to_string(),
        };
        let fields = match &self {
            AppError::Invalid(f) | AppError::Conflict(f) => f.0.clone(),
            _ => Vec::new(),
        };
        let (code, args) = self.code();
        let body = ErrorBody {
            error: self.kind(),
            code,
            args,
            message,
            fields,
            request_id,
        };
        let mut response = (self.status(), axum::Json(body)).into_response();
        if matches!(self, AppError::Busy) {
            response = retry_later(response);
        }
        if matches!(self, AppError::Unauthorized) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"beredskap\""),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(e: AppError) -> (StatusCode, serde_json::Value) {
        let response = REQUEST_ID
            .scope("req-1".to_owned(), async move { e.into_response() })
            .await;
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn internal_errors_are_opaque_and_carry_the_request_id() {
        let (status, body) = body_of(AppError::from(StoreError::Backend(
            "relation \"people\" does not exist at postgres://app:pw@db".into(),
        )))
        .await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["error"], "internal");
        assert_eq!(body["request_id"], "req-1");
        let text = body.to_string();
        assert!(
            !text.contains("relation") && !text.contains("pw@db"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn refusals_carry_a_code_and_its_values_beside_the_english_message() {
        let refused = beredskap_app::Error::Refused {
            use_case: beredskap_app::UseCase::SendAlert,
            least: beredskap_core::register::Role::CrisisLead,
        };
        let (status, body) = body_of(AppError::from(refused)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(
            (&body["error"], &body["code"]),
            (&"forbidden".into(), &"not_permitted".into())
        );
        assert_eq!(body["args"]["use_case"], "send_alert");
        assert_eq!(body["args"]["least_role"], "crisis_lead");
        assert!(body["message"].as_str().unwrap().contains("crisis leads"));
        let (_, body) = body_of(AppError::MissingScope("write")).await;
        assert_eq!(
            (&body["code"], &body["args"]["scope"]),
            (&"missing_scope".into(), &"write".into())
        );
        let (_, body) = body_of(AppError::NotFound).await;
        assert_eq!(body["code"], "not_found");
        assert!(body.get("args").is_none());
    }

    #[tokio::test]
    async fn store_errors_map_to_statuses_in_one_place() {
        let cases = [
            (StoreError::NotFound, StatusCode::NOT_FOUND),
            (
                StoreError::Conflict(beredskap_core::store::Conflict::OrgSlug),
                StatusCode::CONFLICT,
            ),
            (
                StoreError::invalid("name", beredskap_core::Problem::Empty),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                StoreError::Unavailable("down".into()),
                StatusCode::SERVICE_UNAVAILABLE,
            ),
        ];
        for (error, status) in cases {
            assert_eq!(body_of(AppError::from(error)).await.0, status);
        }
        let (_, body) = body_of(AppError::from(StoreError::Conflict(
            beredskap_core::store::Conflict::OrgSlug,
        )))
        .await;
        assert_eq!(body["fields"][0]["field"], "slug");
    }
}
