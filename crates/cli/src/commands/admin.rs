use super::{open_store, operator, org_by_slug, say};
use anyhow::Context;
use beredskap_app::accounts::{self, NewUser};
use beredskap_core::register::{NewOrg, Role, Scope};
use beredskap_core::{EmailAddress, PhoneNumber, Region};
use beredskap_server::notify::Notifier;
use beredskap_server::Config;
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum AdminCommand {
    /// Create an organisation.
    CreateOrg {
        /// Short identifier used in URLs, e.g. `lillby`.
        #[arg(long)]
        slug: String,
        /// Full name, e.g. "Lillby kommun".
        #[arg(long)]
        name: String,
        /// Country for phone numbers written without a country code: SE, DK, NO or FI.
        #[arg(long, default_value = "SE")]
        region: String,
    },
    /// List organisations, one per line, slug first.
    ListOrgs,
    /// Revoke an API token, given the token itself (for example one that leaked).
    RevokeToken {
        #[arg(long)]
        org: String,
        /// The token, `bsk_…`.
        token: String,
    },
    /// Show or change how people of an organisation sign in.
    OrgSettings {
        #[arg(long)]
        org: String,
        /// Let people who have not enrolled sign in with a one-time code sent to a verified
        /// SMS number or private email address.
        #[arg(long, value_parser = ["on", "off"])]
        fallback_sign_in: Option<String>,
        /// Whether members and guests need an authenticator app or passkey (administrators
        /// and crisis leads always do).
        #[arg(long, value_parser = ["required", "optional"])]
        second_factor: Option<String>,
        /// The classification labels channels can carry, least restricted first,
        /// comma-separated (e.g. "Öppen,Intern,Begränsad").
        #[arg(long)]
        classifications: Option<String>,
        /// The organisation's own SMS number: its SMS are sent from it, and replies to it
        /// answer only its alerts (needs a provider that sends from it). `none` shares the
        /// server's sender again.
        #[arg(long)]
        sms_number: Option<String>,
        /// The time zone pages and messages show times in (an IANA name such as
        /// Europe/Oslo); `region` goes back to the region's.
        #[arg(long)]
        time_zone: Option<String>,
        /// The language people get until they choose their own, and SMS and email go out
        /// in (sv, da, nb, en); `region` goes back to the region's.
        #[arg(long)]
        language: Option<String>,
    },
    /// Create a person with an account and print their one-time enrolment link.
    CreateUser {
        #[arg(long)]
        org: String,
        /// The sign-in name: an email address (it need not receive mail).
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, crisis_lead, member or guest.
        #[arg(long, default_value = "member")]
        role: String,
        /// A mobile number to reach the person on; you vouch that it is theirs.
        #[arg(long)]
        mobile: Option<String>,
        /// A private email address (not the work address); you vouch that it is theirs.
        #[arg(long)]
        private_email: Option<String>,
        /// Send the enrolment link by SMS or to the private email address, using the
        /// configured providers, instead of only printing it.
        #[arg(long)]
        send: bool,
    },
    /// Issue an API token for an account and print it (shown once, stored hashed).
    Token {
        #[arg(long)]
        org: String,
        /// The account's sign-in email address.
        #[arg(long)]
        user: String,
        /// What the token is for, shown in the journal.
        #[arg(long, default_value = "cli")]
        label: String,
        /// What the token may do, comma-separated: read (the register), write (change
        /// the register), admin (accounts, sessions, tokens, journal). Read-only unless
        /// you say otherwise.
        #[arg(long, default_value = "read")]
        scope: String,
    },
    /// List an organisation's API tokens, revoked ones too: id, account, scopes, label,
    /// created, revoked.
    Tokens {
        #[arg(long)]
        org: String,
    },
    /// List the people of the register, one per line, tab-separated: id, external id,
    /// name, title, the ways to reach them (sms, email, push, in the order tried), their
    /// sign-in name and role (or "no account"), and "inactive" for people left out.
    ListPeople {
        #[arg(long)]
        org: String,
    },
    /// List the groups, one per line, tab-separated: slug, name, number of members, id.
    ListGroups {
        #[arg(long)]
        org: String,
    },
    /// List the positions, one per line, tab-separated: slug, name, the holder and then
    /// the deputies in the order they step in (by name), id.
    ListPositions {
        #[arg(long)]
        org: String,
    },
    /// Send activation links to everyone in a group, or the whole register, who has not
    /// activated an account: by SMS to the register's mobile number, else to the private
    /// email address, through the providers configured for the server. Without --send it
    /// only says who would get a link on which channel and who cannot be reached and why.
    /// Accounts made this way are members. The running server sends the links; follow
    /// them at /admin/activation.
    Activate {
        #[arg(long)]
        org: String,
        /// The group's slug (see `admin list-groups`); the whole register without it.
        #[arg(long)]
        group: Option<String>,
        /// Make the accounts and queue the links.
        #[arg(long)]
        send: bool,
    },
}

pub async fn run(config: Config, cmd: AdminCommand) -> anyhow::Result<ExitCode> {
    let store = open_store(&config, false).await?;
    let app = super::app(&config, store);
    let store = app.store();
    match cmd {
        AdminCommand::CreateOrg { slug, name, region } => {
            let region =
                Region::parse(&region).map_err(|e| anyhow::anyhow!("--region {region:?}: {e}"))?;
            let new = NewOrg::parse(&slug, &name, region).map_err(|e| anyhow::anyhow!("{e}"))?;
            let org = beredskap_app::settings::create_org(&app, &operator(), new)
                .await
                .map_err(|e| match e {
                    beredskap_app::Error::Store(beredskap_core::StoreError::Conflict {
                        ..
                    }) => {
                        anyhow::anyhow!("slug: an organisation {slug:?} already exists")
                    }
                    other => other.into(),
                })?;
            say(format!("created {} {}", org.slug, org.name));
        }
        AdminCommand::ListPeople { org } => {
            let org = org_by_slug(store, &org).await?;
            let people = beredskap_app::register::people(&app, &operator(), &org).await?;
            let accounts = beredskap_app::accounts::list(&app, &operator(), &org).await?;
            for person in people {
                let ways: Vec<&str> = person
                    .contact_points
                    .iter()
                    .map(|p| p.kind.as_str())
                    .collect();
                let account = accounts
                    .iter()
                    .find(|a| a.person_id == person.id)
                    .map_or_else(
                        || "no account".to_owned(),
                        |a| format!("{} {}", a.login, a.role.as_str()),
                    );
                say(format!(
                    "{}\t{}\t{}\t{}\t{}\t{}{}",
                    person.id,
                    person.external_id.as_deref().unwrap_or("-"),
                    person.name,
                    person.title.as_deref().unwrap_or("-"),
                    match ways.is_empty() {
                        true => "-".to_owned(),
                        false => ways.join(","),
                    },
                    account,
                    if person.active { "" } else { "\tinactive" }
                ));
            }
        }
        AdminCommand::ListGroups { org } => {
            let org = org_by_slug(store, &org).await?;
            for group in beredskap_app::register::groups(&app, &operator(), &org).await? {
                say(format!(
                    "{}\t{}\t{}\t{}",
                    group.slug,
                    group.name,
                    group.members.len(),
                    group.id
                ));
            }
        }
        AdminCommand::ListPositions { org } => {
            let org = org_by_slug(store, &org).await?;
            let people = beredskap_app::register::people(&app, &operator(), &org).await?;
            let name = |id: &beredskap_core::PersonId| {
                people
                    .iter()
                    .find(|p| p.id == *id)
                    .map_or_else(|| id.to_string(), |p| p.name.clone())
            };
            for position in beredskap_app::register::positions(&app, &operator(), &org).await? {
                let holders: Vec<String> = position.holders.iter().map(name).collect();
                say(format!(
                    "{}\t{}\t{}\t{}",
                    position.slug,
                    position.name,
                    match holders.is_empty() {
                        true => "-".to_owned(),
                        false => holders.join(", "),
                    },
                    position.id
                ));
            }
        }
        AdminCommand::Activate { org, group, send } => {
            let org = org_by_slug(store, &org).await?;
            let group = match group {
                None => None,
                Some(slug) => Some(
                    beredskap_app::register::groups(&app, &operator(), &org)
                        .await?
                        .into_iter()
                        .find(|g| g.slug.as_str() == slug)
                        .with_context(|| {
                            format!(
                                "--group: {} has no group {slug:?} (see admin list-groups)",
                                org.slug
                            )
                        })?
                        .id,
                ),
            };
            let notifier = Notifier::from_config(&config)?;
            let preview =
                beredskap_app::activation::preview(&app, &operator(), &notifier, &org, group)
                    .await?;
            say(format!(
                "links: {} ({} by SMS, {} by email); activated already: {}; link on its way: {}; cannot be reached: {}",
                preview.links(),
                preview.by_sms,
                preview.by_email,
                preview.already_active,
                preview.on_the_way,
                preview.unreachable.len()
            ));
            for (name, why) in &preview.unreachable {
                say(format!("cannot be reached\t{name}\t{}", why.as_str()));
            }
            if send && preview.links() > 0 {
                let batch =
                    beredskap_app::activation::start(&app, &operator(), &notifier, &org, group)
                        .await?;
                say(format!(
                    "queued; the server sends them: {}/admin/activation/{}",
                    config.public_url(),
                    batch.id
                ));
            } else if preview.links() > 0 {
                say("nothing sent: add --send to send them");
            }
        }
        AdminCommand::ListOrgs => {
            for org in beredskap_app::settings::orgs(&app, &operator()).await? {
                say(format!(
                    "{}\t{}\t{}\t{}",
                    org.slug,
                    org.name,
                    org.region.as_str(),
                    org.id
                ));
            }
        }
        AdminCommand::RevokeToken { org, token } => {
            let org = org_by_slug(store, &org).await?;
            let grant = beredskap_app::sign_in::token(&app, token.trim())
                .await?
                .filter(|g| g.token.org_id == org.id)
                .with_context(|| format!("no live token like that in {}", org.slug))?;
            beredskap_app::accounts::revoke_token(&app, &operator(), &org, grant.token.id, None)
                .await?;
            say(format!(
                "revoked token {} ({}) of {}",
                grant.token.id, grant.token.label, grant.account.login
            ));
        }
        AdminCommand::OrgSettings {
            org,
            fallback_sign_in,
            second_factor,
            classifications,
            sms_number,
            time_zone,
            language,
        } => {
            let mut org = org_by_slug(store, &org).await?;
            if let Some(number) = sms_number {
                let number = match number.trim() {
                    "none" | "" => None,
                    given => Some(
                        beredskap_core::PhoneNumber::parse(given, org.region)
                            .map_err(|e| anyhow::anyhow!("--sms-number: {e}"))?,
                    ),
                };
                org = beredskap_app::settings::set_sms_number(&app, &operator(), &org, number)
                    .await
                    .map_err(|e| match e {
                        beredskap_app::Error::Store(beredskap_core::StoreError::Conflict(_)) => {
                            anyhow::anyhow!("--sms-number: is another organisation's")
                        }
                        other => other.into(),
                    })?;
            }
            if let Some(labels) = classifications {
                let labels: Vec<String> = labels.split(',').map(str::to_owned).collect();
                org = beredskap_app::settings::set_classifications(&app, &operator(), &org, labels)
                    .await
                    .map_err(|e| match e {
                        beredskap_app::Error::Store(beredskap_core::StoreError::Invalid(
                            fields,
                        )) => {
                            anyhow::anyhow!("--classifications: {fields}")
                        }
                        other => other.into(),
                    })?;
            }
            if fallback_sign_in.is_some()
                || second_factor.is_some()
                || time_zone.is_some()
                || language.is_some()
            {
                let mut settings = org.settings();
                if let Some(code) = language {
                    settings.language = match code.trim() {
                        "region" | "" => None,
                        given => {
                            let known: Vec<&str> =
                                beredskap_i18n::Lang::all().map(|l| l.code()).collect();
                            let lang = beredskap_i18n::Lang::parse(given)
                                .filter(|l| l.code() == given)
                                .ok_or_else(|| {
                                    anyhow::anyhow!(
                                        "--language: must be one of {}",
                                        known.join(", ")
                                    )
                                })?;
                            Some(lang.code().to_owned())
                        }
                    };
                }
                if let Some(name) = time_zone {
                    settings.time_zone = match name.trim() {
                        "region" | "" => None,
                        name => Some(
                            beredskap_core::TimeZone::parse(name)
                                .map_err(|e| anyhow::anyhow!("--time-zone {name:?}: {}", e))?,
                        ),
                    };
                }
                if let Some(v) = fallback_sign_in {
                    settings.fallback_sign_in = v == "on";
                }
                if let Some(v) = second_factor {
                    settings.members_need_second_factor = v == "required";
                }
                org = beredskap_app::settings::update(&app, &operator(), &org, settings).await?;
            }
            let on_off = |b: bool| if b { "on" } else { "off" };
            say(format!("{}:", org.slug));
            say(format!(
                "  fallback-sign-in = {}",
                on_off(org.fallback_sign_in)
            ));
            say(format!(
                "  second-factor = {} (administrators and crisis leads: always required)",
                if org.members_need_second_factor {
                    "required"
                } else {
                    "optional"
                }
            ));
            say(format!(
                "  classifications = {}",
                org.classifications.join(",")
            ));
            say(format!(
                "  sms-number = {}",
                org.sms_number
                    .as_deref()
                    .unwrap_or("none (the server's sender)")
            ));
            say(format!(
                "  time-zone = {}{}",
                org.zone().name(),
                if org.time_zone.is_none() {
                    " (the region's)"
                } else {
                    ""
                }
            ));
            say(format!(
                "  language = {}{}",
                org.language_code(),
                if org.language.is_none() {
                    " (the region's)"
                } else {
                    ""
                }
            ));
        }
        AdminCommand::CreateUser {
            org,
            email,
            name,
            role,
            mobile,
            private_email,
            send,
        } => {
            let org = org_by_slug(store, &org).await?;
            let login = EmailAddress::parse(&email)
                .map_err(|e| anyhow::anyhow!("--email {email:?} {e}"))?;
            let role = Role::parse(&role).map_err(|e| anyhow::anyhow!("--role {role:?}: {e}"))?;
            let mobile = mobile
                .map(|m| {
                    PhoneNumber::parse(&m, org.region)
                        .map_err(|e| anyhow::anyhow!("--mobile {m:?} {e}"))
                })
                .transpose()?;
            let private_email = private_email
                .map(|e| {
                    EmailAddress::parse(&e)
                        .map_err(|err| anyhow::anyhow!("--private-email {e:?} {err}"))
                })
                .transpose()?;
            let notifier = match send {
                true => Some(Notifier::from_config(&config)?),
                false => None,
            };
            let created = beredskap_app::accounts::create_user(
                &app,
                &operator(),
                &org,
                NewUser {
                    name,
                    login,
                    role,
                    mobile,
                    private_email,
                },
                &config.public_url(),
                config.enrolment_link_hours,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            say(format!(
                "created {} ({}) in {}",
                created.account.login,
                created.account.role.as_str(),
                org.slug
            ));
            say(format!(
                "one-time enrolment link, valid {} hours:",
                config.enrolment_link_hours
            ));
            say(&created.enrolment_link);
            if let Some(notifier) = notifier {
                let delivery = accounts::send_enrolment_link(
                    &app,
                    &operator(),
                    &notifier,
                    &org,
                    &created.account,
                    &created.enrolment_link,
                    config.enrolment_link_hours,
                )
                .await
                .map_err(|e| {
                    anyhow::anyhow!("the account was created, but the link was not sent: {e}")
                })?;
                say(format!(
                    "sent by {} to {}",
                    delivery.channel.as_str(),
                    delivery.to
                ));
            }
        }
        AdminCommand::Token {
            org,
            user,
            label,
            scope,
        } => {
            let scopes =
                Scope::parse_list(&scope).map_err(|e| anyhow::anyhow!("--scope {scope:?}: {e}"))?;
            let org = org_by_slug(store, &org).await?;
            let login =
                EmailAddress::parse(&user).map_err(|e| anyhow::anyhow!("--user {user:?} {e}"))?;
            let account = store
                .account_by_login(org.id, &login)
                .await?
                .with_context(|| format!("no account {login} in {}", org.slug))?;
            let (_, secret) = beredskap_app::accounts::issue_api_token(
                &app,
                &operator(),
                &org,
                &account,
                &label,
                &scopes,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            say(secret);
        }
        AdminCommand::Tokens { org } => {
            let org = org_by_slug(store, &org).await?;
            let logins: std::collections::HashMap<_, _> =
                beredskap_app::accounts::list(&app, &operator(), &org)
                    .await?
                    .into_iter()
                    .map(|a| (a.id, a.login.to_string()))
                    .collect();
            for token in beredskap_app::accounts::tokens(&app, &operator(), &org).await? {
                say(format!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    token.id,
                    logins.get(&token.account_id).map_or("-", String::as_str),
                    Scope::join(&token.scopes).replace(' ', ","),
                    token.label,
                    token.created_at.format("%Y-%m-%dT%H:%M:%SZ"),
                    token.revoked_at.map_or("live".to_owned(), |t| format!(
                        "revoked {}",
                        t.format("%Y-%m-%dT%H:%M:%SZ")
                    )),
                ));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
