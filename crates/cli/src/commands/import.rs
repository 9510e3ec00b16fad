use super::{open_store, operator, org_by_slug, say};
use anyhow::Context;
use beredskap_core::import::{parse_people_csv, ImportChange};
use beredskap_server::Config;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum ImportCommand {
    /// Import or update people from a CSV file with a header row. All or nothing.
    ///
    /// Columns: external_id (required; the person's id in your directory, which matches
    /// them on the next import), name (required), title, work_mobile and private_mobile
    /// (phone numbers, as written in the organisation's country or with +country code;
    /// they become SMS contact points), work_email and private_email (they become email
    /// contact points), groups (group slugs separated by ";": missing groups are created,
    /// and the person's memberships become exactly these). Contact points are tried in the
    /// order of their columns. People not in the file are left alone. Every problem is
    /// named by line and column, and then nothing is applied.
    ///
    /// Example:
    ///   external_id,name,title,work_mobile,private_email,groups
    ///   1001,Anna Berg,Kommundirektör,070-111 11 11,anna@example.org,krisledning
    #[command(verbatim_doc_comment)]
    People {
        #[arg(long)]
        org: String,
        file: PathBuf,
        /// Show what would change without changing anything.
        #[arg(long)]
        dry_run: bool,
    },
    /// Replace the external contacts of the directory (suppliers, utilities, partners, the
    /// alarm centre) with a CSV file's. All or nothing.
    ///
    /// Columns: name (required; a person or a function), organisation, phone (a full
    /// number, or a short one as dialled such as 112), email (phone or email required),
    /// call_for (required; what to call them for), category (a heading to group them
    /// under). Every problem is named by line and column, and then nothing is applied.
    ///
    /// Example:
    ///   name,organisation,phone,email,call_for,category
    ///   SOS Alarm,,112,,livshotande läge,Myndigheter
    #[command(verbatim_doc_comment)]
    Contacts {
        #[arg(long)]
        org: String,
        file: PathBuf,
    },
    /// Replace the priority list (citizens with special needs) with a CSV file's: columns
    /// name, address, need, and optionally phone and contact_person; no other. All or
    /// nothing; problems by line and column, never with a citizen's details.
    PriorityList {
        #[arg(long)]
        org: String,
        file: PathBuf,
    },
    /// Import a continuity plan from a YAML file (examples in `plans/`) as the next version
    /// of the plan with the slug, or as a new plan. All or nothing; problems by line.
    Plan {
        #[arg(long)]
        org: String,
        /// The plan's slug; by default the file's name without `.yaml`.
        #[arg(long)]
        slug: Option<String>,
        file: PathBuf,
    },
}

pub async fn run(config: Config, cmd: ImportCommand) -> anyhow::Result<ExitCode> {
    let (org, file, dry_run) = match cmd {
        ImportCommand::People { org, file, dry_run } => (org, file, dry_run),
        ImportCommand::Contacts { org, file } => return contacts(config, org, file).await,
        ImportCommand::PriorityList { org, file } => return priority_list(config, org, file).await,
        ImportCommand::Plan { org, slug, file } => return plan(config, org, slug, file).await,
    };
    let data = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let store = open_store(&config, false).await?;
    let app = super::app(&config, store);
    let org = org_by_slug(app.store(), &org).await?;
    let rows = match parse_people_csv(&data, org.region) {
        Ok(rows) => rows,
        Err(errors) => {
            for e in &errors.0 {
                say(format!("{}: {e}", file.display()));
            }
            say(format!(
                "{} problem(s) found; nothing was imported",
                errors.0.len()
            ));
            return Ok(ExitCode::FAILURE);
        }
    };
    let report = beredskap_app::register::import_people(&app, &operator(), &org, rows, dry_run)
        .await
        .map_err(|e| anyhow::anyhow!("import failed, nothing was imported: {e}"))?;
    let line = |sign: &str, c: &ImportChange| {
        let fields = if c.fields.is_empty() {
            String::new()
        } else {
            format!(" ({})", c.fields.join(", "))
        };
        say(format!(
            "{sign} line {}: {} {}{fields}",
            c.line, c.external_id, c.name
        ));
    };
    for c in &report.created {
        line("+", c);
    }
    for c in &report.updated {
        line("~", c);
    }
    for g in &report.groups_created {
        say(format!("+ group {g}"));
    }
    let verb = if dry_run { "would be" } else { "were" };
    say(format!(
        "{} created, {} updated, {} unchanged; {} new group(s) {verb} created",
        report.created.len(),
        report.updated.len(),
        report.unchanged,
        report.groups_created.len()
    ));
    if dry_run {
        say("dry run: nothing was changed");
    }
    Ok(ExitCode::SUCCESS)
}

/// `import contacts`: the file is the whole list of external contacts.
async fn contacts(config: Config, org: String, file: PathBuf) -> anyhow::Result<ExitCode> {
    let data = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let store = open_store(&config, false).await?;
    let app = super::app(&config, store);
    let org = org_by_slug(app.store(), &org).await?;
    match beredskap_app::directory::import_contacts(&app, &operator(), &org, &data).await {
        Ok(count) => {
            say(format!(
                "{count} external contact(s) in the directory of {}",
                org.slug
            ));
            Ok(ExitCode::SUCCESS)
        }
        Err(beredskap_app::directory::ImportRefused::File(errors)) => {
            for e in &errors.0 {
                say(format!("{}: {e}", file.display()));
            }
            say(format!(
                "{} problem(s) found; nothing was imported",
                errors.0.len()
            ));
            Ok(ExitCode::FAILURE)
        }
        Err(beredskap_app::directory::ImportRefused::Use(e)) => {
            Err(anyhow::anyhow!("import failed, nothing was imported: {e}"))
        }
    }
}

/// `import priority-list`: the file is the whole list. What is printed names how many,
/// never who.
async fn priority_list(config: Config, org: String, file: PathBuf) -> anyhow::Result<ExitCode> {
    use beredskap_app::priority_list::{import, ImportRefused};
    let data = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let store = open_store(&config, false).await?;
    let app = super::app(&config, store);
    let org = org_by_slug(app.store(), &org).await?;
    match import(&app, &operator(), &org, &data).await {
        Ok(info) => {
            say(format!(
                "{} citizen(s) on the priority list of {}",
                info.citizens, org.slug
            ));
            if info.positions.is_empty() {
                say("nobody opens it yet: name the positions on the page /priority-list");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(ImportRefused::File(problems)) => Ok(refused_file(
            &file,
            problems.iter().map(|p| {
                (
                    usize::try_from(p.line).unwrap_or(0),
                    p.column.as_str(),
                    &p.problem,
                )
            }),
        )),
        Err(ImportRefused::Use(e)) => {
            Err(anyhow::anyhow!("import failed, nothing was imported: {e}"))
        }
    }
}

/// `import plan`: one plan file, as the plan's next version.
async fn plan(
    config: Config,
    org: String,
    slug: Option<String>,
    file: PathBuf,
) -> anyhow::Result<ExitCode> {
    use beredskap_app::plans::PlanRefused;
    let yaml = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let slug = match slug {
        Some(slug) => slug,
        None => file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned(),
    };
    let slug =
        beredskap_core::Slug::parse(&slug).map_err(|e| anyhow::anyhow!("--slug {slug:?}: {e}"))?;
    let store = open_store(&config, false).await?;
    let app = super::app(&config, store);
    let org = org_by_slug(app.store(), &org).await?;
    match beredskap_app::plans::import_yaml(&app, &operator(), &org, &slug, &yaml).await {
        Ok(plan) => {
            say(format!(
                "plan {} of {}: \"{}\", version {}",
                plan.slug, org.slug, plan.document.title, plan.version
            ));
            Ok(ExitCode::SUCCESS)
        }
        Err(PlanRefused::File(problems)) => Ok(refused_file(
            &file,
            problems
                .iter()
                .map(|p| (p.line, p.field.as_str(), &p.problem)),
        )),
        Err(PlanRefused::Use(e)) => {
            Err(anyhow::anyhow!("import failed, nothing was imported: {e}"))
        }
    }
}

/// Prints each problem of a refused file as `FILE:LINE: FIELD: problem` in English (the
/// catalogue's words for its code), then that nothing was imported.
fn refused_file<'a>(
    file: &std::path::Path,
    problems: impl Iterator<Item = (usize, &'a str, &'a beredskap_core::Problem)>,
) -> ExitCode {
    let english = beredskap_i18n::Lang::parse("en").unwrap_or_else(beredskap_i18n::Lang::fallback);
    let mut count = 0;
    for (line, field, problem) in problems {
        let field = match field.is_empty() {
            true => String::new(),
            false => format!(" {field}:"),
        };
        say(format!(
            "{}:{line}:{field} {}",
            file.display(),
            problem.text(english)
        ));
        count += 1;
    }
    say(format!("{count} problem(s) found; nothing was imported"));
    ExitCode::FAILURE
}
