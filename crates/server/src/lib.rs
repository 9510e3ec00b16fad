//! The Beredskap server: configuration, the HTTP application and its routes.

pub mod alerting;
pub mod app;
pub mod attachments;
pub mod checkpoint;
pub mod clock;
pub mod config;
pub mod connections;
pub mod conversation;
pub use beredskap_app::credentials;
pub mod demo;
pub mod error;
pub mod files;
pub mod http;
pub mod live;
pub mod metrics;
pub mod notify;
pub mod passkeys;
pub mod rotations;
pub mod router;
pub mod routes;
pub mod search;
pub mod state;
pub mod status_site;
pub mod telemetry;
pub mod wake;
pub mod web;

pub use app::Application;
pub use config::Config;
pub use error::AppError;
