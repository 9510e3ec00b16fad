//! The JSON API, its OpenAPI document and the health checks. The whole router (API and
//! pages) is put together in `crate::router`.

pub mod activation;
pub mod alert_templates;
pub mod alerts;
pub mod api;
pub mod auth;
pub mod channels;
pub mod health;
pub mod incidents;
pub mod notices;
pub mod plans;
pub mod priority_list;
pub mod services;
