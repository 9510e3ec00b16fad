//! What goes out by SMS and email, from the text catalogue (`messages.ftl`), in the
//! organisation's language: its own choice, else its region's. One place, so an
//! organisation in Norway gets Norwegian and every message follows the same choice.

use beredskap_core::alerting::{Alert, DeliveryKind};
use beredskap_core::continuity::notices::{Notice, NoticeUpdate};
use beredskap_core::register::Org;
use beredskap_i18n::{Lang, Value};

/// The language an organisation's messages go out in.
pub fn language(org: &Org) -> Lang {
    Lang::parse(org.language_code()).unwrap_or_else(Lang::fallback)
}

fn text(org: &Org, id: &str, args: &[(&str, Value<'_>)]) -> String {
    language(org).format(id, args)
}

/// A drill's mark before a text: `ÖVNING: …`.
pub fn exercise(org: &Org, text_: String) -> String {
    text(org, "exercise-prefix", &[("text", text_.into())])
}

/// The text of a delivery as it goes out on SMS and email: (subject, body).
pub fn compose(org: &Org, alert: &Alert, kind: DeliveryKind, link: &str) -> (String, String) {
    let body = match kind {
        DeliveryKind::Alert if alert.announcement.is_some() => format!(
            "{}\n{}",
            shortened(&alert.message, MAX_ANNOUNCEMENT_CHARS),
            text(org, "announcement-confirm-link", &[("link", link.into())])
        ),
        DeliveryKind::Alert if alert.contact_check_until.is_some() => format!(
            "{}\n{}",
            alert.message,
            text(org, "contact-check-confirm-link", &[("link", link.into())])
        ),
        DeliveryKind::Alert if alert.options.is_empty() => format!(
            "{}\n{}",
            alert.message,
            text(org, "alert-acknowledge-link", &[("link", link.into())])
        ),
        DeliveryKind::Alert => format!(
            "{}\n{}",
            alert.message,
            text(
                org,
                "alert-answer-link",
                &[
                    ("options", alert.options.join(" / ").into()),
                    ("link", link.into())
                ]
            )
        ),
        DeliveryKind::Resolved => text(
            org,
            "alert-resolved",
            &[("message", alert.message.as_str().into())],
        ),
        DeliveryKind::Cancelled => text(
            org,
            "alert-cancelled",
            &[("message", alert.message.as_str().into())],
        ),
    };
    let subject = match alert.announcement {
        Some(_) => text(
            org,
            "announcement-subject",
            &[("org", org.name.as_str().into())],
        ),
        None => text(org, "alert-subject", &[("org", org.name.as_str().into())]),
    };
    match alert.exercise {
        true => (exercise(org, subject), exercise(org, body)),
        false => (subject, body),
    }
}

/// The most of an announcement's text an SMS or email carries: a long situation report
/// would be a dozen SMS. The link shows all of it.
pub const MAX_ANNOUNCEMENT_CHARS: usize = 600;

/// `text` cut at a word before `max` characters, with "…", when it is longer.
fn shortened(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let at_word = match cut.rfind(char::is_whitespace) {
        Some(at) if at > max / 2 => &cut[..at],
        _ => cut.as_str(),
    };
    format!("{}…", at_word.trim_end())
}

/// A contact check's text when the sender gives none.
pub fn contact_check_message(org: &Org) -> String {
    text(org, "contact-check-message", &[])
}

/// The SMS sent back when a reply could not be read as an answer.
pub fn reply_help(org: &Org, options: &[String]) -> String {
    match options.is_empty() {
        true => text(org, "sms-reply-acknowledge-help", &[]),
        false => text(
            org,
            "sms-reply-options-help",
            &[("options", options.join(" / ").into())],
        ),
    }
}

/// The answer to an SMS reply that could be meant for alerts of several organisations.
pub fn ambiguous_reply_help(org: &Org) -> String {
    text(org, "sms-reply-ambiguous", &[])
}

/// A one-time sign-in code: (subject, text).
pub fn one_time_code(org: &Org, code: &str, minutes: i64) -> (String, String) {
    let name = org.name.as_str();
    (
        text(org, "one-time-code-subject", &[("org", name.into())]),
        text(
            org,
            "one-time-code",
            &[
                ("org", name.into()),
                ("code", code.into()),
                ("minutes", minutes.into()),
            ],
        ),
    )
}

/// An enrolment link: (subject, email body, SMS text).
pub fn enrolment(org: &Org, name: &str, link: &str, hours: u32) -> (String, String, String) {
    let args = [
        ("org", Value::from(org.name.as_str())),
        ("name", name.into()),
        ("link", link.into()),
        ("hours", hours.into()),
    ];
    (
        text(org, "enrolment-subject", &args),
        format!("{}\n", text(org, "enrolment-mail", &args)),
        text(org, "enrolment-sms", &args),
    )
}

/// A signed journal checkpoint mailed to administrators: (subject, body).
pub fn checkpoint_mail(org: &Org, json: &str) -> (String, String) {
    let args = [
        ("org", Value::from(org.name.as_str())),
        ("json", json.into()),
    ];
    (
        text(org, "checkpoint-subject", &args),
        format!("{}\n", text(org, "checkpoint-mail", &args)),
    )
}

/// The answer to a plan activated by SMS.
pub fn activation_done(org: &Org, plan: &str, link: &str) -> String {
    text(
        org,
        "sms-activation-done",
        &[("plan", plan.into()), ("link", link.into())],
    )
}

/// The answer to an activation by SMS that was refused; never which part was wrong.
pub fn activation_refused(org: &Org) -> String {
    text(org, "sms-activation-refused", &[])
}

/// The answer to an activation by SMS from a number locked after wrong codes.
pub fn activation_locked(org: &Org, minutes: i64) -> String {
    text(org, "sms-activation-locked", &[("minutes", minutes.into())])
}

/// The reminder to an incident's scribe and lead that its situation report is overdue.
pub fn report_overdue(org: &Org, incident: &str, due: &str) -> String {
    text(
        org,
        "report-overdue",
        &[("incident", incident.into()), ("due", due.into())],
    )
}

/// The mail the offline kit goes out with: (subject, body).
pub fn offline_kit_mail(org: &Org) -> (String, String) {
    let args = [("org", org.name.clone().into())];
    (
        text(org, "offline-kit-subject", &args),
        format!("{}\n", text(org, "offline-kit-mail", &args)),
    )
}

/// The message a subscription request sends, in the language it was asked in: (subject,
/// text). The same text for email and SMS: it is short.
pub fn subscription_confirm(org: &Org, lang: Lang, link: &str) -> (String, String) {
    let args = [
        ("org", Value::from(org.name.as_str())),
        ("link", link.into()),
    ];
    (
        lang.format("subscription-confirm-subject", &args),
        lang.format("subscription-confirm", &args),
    )
}

/// What a subscriber gets of a notice's update, in their language (the update's text in
/// it, else the first one written): (subject, email text, SMS text). The SMS is the title,
/// the phase and the links; the email has the text too. A drill's is marked.
pub fn notice_to_subscriber(
    org: &Org,
    lang: Lang,
    notice: &Notice,
    update: &NoticeUpdate,
    status_url: &str,
    unsubscribe_url: &str,
) -> (String, String, String) {
    let (title, body) = update
        .text(lang.code())
        .map(|t| (t.title.as_str(), t.body.as_str()))
        .unwrap_or_default();
    let phase = lang.format(
        &format!("phase-{}", update.phase.as_str().replace('_', "-")),
        &[],
    );
    let when = org
        .zone()
        .local(update.at)
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let args = [
        ("org", Value::from(org.name.as_str())),
        ("title", title.into()),
        ("phase", phase.as_str().into()),
        ("when", when.as_str().into()),
        ("url", status_url.into()),
        ("unsubscribe", unsubscribe_url.into()),
    ];
    let subject = lang.format("notice-mail-subject", &args);
    let mut mail = vec![lang.format("notice-mail-heading", &args)];
    if !body.is_empty() {
        mail.push(body.to_owned());
    }
    mail.push(lang.format("notice-mail-more", &args));
    mail.push(lang.format("notice-mail-footer", &args));
    let mail = format!("{}\n", mail.join("\n\n"));
    let sms = lang.format("notice-sms", &args);
    match notice.exercise {
        true => {
            let mark = |t: String| lang.format("exercise-prefix", &[("text", t.into())]);
            (mark(subject), mark(mail), mark(sms))
        }
        false => (subject, mail, sms),
    }
}
