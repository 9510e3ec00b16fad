//! The pages' words, from the text catalogue (`crates/i18n/locales/*/pages.ftl`). Each
//! language's fixed texts are read once into a [`Texts`], so templates write `t.menu`;
//! texts with values are formatted through the catalogue, with Fluent's plurals.

use crate::credentials::password::PasswordProblem;
pub use beredskap_i18n::Lang;
use std::sync::LazyLock;

/// Declares the fixed texts: each field is the catalogue message of the same name with
/// `-` for `_` (`skip_to_content` is `skip-to-content`).
macro_rules! texts {
    ($($field:ident),* $(,)?) => {
        pub struct Texts {
            pub lang: Lang,
            $(pub $field: &'static str,)*
        }

        impl Texts {
            /// The catalogue ids of every fixed text, for the test that each exists.
            pub const IDS: &'static [&'static str] = &[$(stringify!($field),)*];

            fn load(lang: Lang) -> Texts {
                Texts {
                    lang,
                    $($field: lang.text(&stringify!($field).replace('_', "-")),)*
                }
            }
        }
    };
}

texts! {
    skip_to_content,
    menu,
    nav_start,
    nav_positions,
    nav_directory,
    directory_title,
    directory_intro,
    directory_search,
    directory_search_hint,
    directory_search_button,
    directory_show_all,
    directory_external,
    directory_other,
    directory_call_for,
    directory_positions,
    directory_groups,
    directory_people,
    directory_holder,
    directory_deputy,
    directory_nobody,
    directory_mobile,
    directory_phone,
    directory_email,
    directory_private,
    directory_private_hidden,
    directory_nothing_found,
    directory_no_external,
    directory_print,
    directory_printed,
    nav_services,
    services_title,
    services_intro,
    services_none,
    services_add,
    services_new_title,
    services_edit,
    services_edit_title,
    services_retire,
    services_retire_hint,
    services_back,
    services_set_state,
    services_describe,
    services_state,
    services_impact,
    services_impact_hint,
    services_workaround,
    services_workaround_hint,
    services_owner,
    services_owner_hint,
    services_alternative,
    services_alternative_hint,
    services_name_hint,
    state_works,
    state_degraded,
    state_down,
    state_unknown,
    nav_plans,
    plans_title,
    plans_intro,
    plans_none,
    plans_new,
    plans_import,
    plans_import_hint,
    plans_file,
    plans_slug,
    plans_slug_hint,
    plans_import_button,
    plans_file_problems,
    plans_not_approved,
    plans_changed_since,
    plans_approve_hint,
    plans_edit,
    plans_yaml,
    plans_back,
    plan_summary,
    plan_activation,
    plan_criteria,
    plan_scale_up,
    plan_scale_down,
    plan_alarm,
    plan_alarm_whom,
    plan_alarm_message,
    plan_alarm_how,
    plan_out_of_hours,
    plan_leadership,
    plan_cards,
    plan_task_now,
    plan_staffing,
    plan_equipment,
    plan_communication,
    plan_comm_staff,
    plan_comm_citizens,
    plan_comm_partners,
    plan_contacts,
    plan_nobody_on_call,
    plan_new_title,
    plan_edit_title,
    plan_title_label,
    plan_criteria_hint,
    plan_card_new,
    plan_card_position,
    plan_card_none,
    plan_duties,
    plan_tasks,
    plan_tasks_hint,
    plan_review_months,
    plan_groups,
    plan_positions,
    plan_line,
    nav_incidents,
    incidents_title,
    incidents_intro,
    incidents_none,
    incidents_show_closed,
    incidents_exercise,
    incident_activate,
    incident_activate_hint,
    incident_severity,
    incident_exercise_label,
    incident_exercise_hint,
    incident_channel,
    incident_alarm,
    incident_plan,
    incident_roles,
    incident_role_lead,
    incident_role_scribe,
    incident_role_liaison,
    incident_nobody,
    incident_hand_over,
    incident_hand_over_to,
    incident_role,
    incident_history,
    incident_checklist,
    incident_done,
    incident_undo,
    incident_late,
    incident_assignee,
    incident_close,
    incident_close_hint,
    incident_picture,
    incident_report,
    incident_report_none,
    incident_report_write,
    incident_conditions,
    incident_conditions_hint,
    incident_actions,
    incident_actions_hint,
    incident_needs,
    incident_needs_hint,
    incident_report_prefilled,
    incident_changes,
    incident_added,
    incident_removed,
    incident_unchanged,
    incident_decisions,
    incident_decisions_none,
    incident_decision_record,
    incident_decision,
    incident_decision_what,
    incident_decision_who,
    incident_decision_who_hint,
    incident_decision_why,
    incident_decision_when,
    incident_decision_when_hint,
    incident_significant,
    incident_significant_hint,
    incident_waiting,
    incident_waiting_mark,
    incident_approve,
    incident_decline,
    incident_declined,
    incident_declined_list,
    incident_log,
    incident_log_all,
    incident_log_none,
    incident_cadence,
    incident_cadence_hint,
    incident_cadence_save,
    incident_cadence_none,
    incident_guests,
    incident_guests_none,
    incident_guests_hint,
    incident_guest_account,
    incident_guest_invite,
    incident_guest_remove,
    incident_guests_no_accounts,
    aa_title,
    aa_download_pdf,
    aa_timeline,
    aa_ev_closed,
    aa_alarm,
    aa_no_alarm,
    aa_no_answer,
    aa_late_tasks,
    aa_late_none,
    aa_downtime,
    aa_downtime_none,
    kit_title,
    kit_intro,
    kit_contents,
    kit_alarm,
    kit_overview,
    kit_overview_none,
    kit_plans,
    kit_plans_none,
    kit_directory,
    kit_checkpoint,
    kit_checkpoint_intro,
    kit_checkpoint_none,
    kit_checkpoint_signed,
    kit_checkpoint_seq,
    kit_checkpoint_hash,
    kit_checkpoint_key,
    kit_checkpoint_signature,
    kit_download,
    kit_download_hint,
    activation_pin_title,
    activation_pin_intro,
    activation_pin_mobile,
    activation_pin_label,
    activation_pin_hint,
    activation_pin_save,
    activation_pin_remove,
    activation_pin_set,
    activation_pin_none,
    setting_time_zone,
    setting_time_zone_hint,
    setting_time_zone_region,
    setting_language,
    setting_language_hint,
    app_optional,
    second_factor_missing,
    one_time_link,
    one_time_title,
    one_time_intro,
    send_code,
    code_sent,
    passkeys_title,
    passkeys_intro,
    passkey,
    add_passkey,
    use_passkey,
    passkey_failed,
    passkeys_need_script,
    passkeys_unavailable,
    no_passkeys,
    last_used,
    added,
    language,
    sign_in,
    sign_out,
    organisation,
    email,
    password,
    new_password,
    password_again,
    wrong_credentials,
    sign_in_busy,
    no_organisation,
    second_factor_title,
    second_factor_intro,
    code,
    verify,
    wrong_code,
    too_many_attempts,
    enrol_title,
    enrol_intro,
    enrol_step_password,
    password_hint,
    enrol_step_app,
    app_hint,
    secret_by_hand,
    app_code,
    app_code_hint,
    enrol_button,
    passwords_differ,
    wrong_app_code,
    link_unknown,
    link_used,
    link_expired,
    recovery_title,
    recovery_intro,
    continue_to_sign_in,
    home_title,
    signed_in_as,
    role,
    sessions_title,
    sessions_intro,
    this_session,
    started,
    last_seen,
    device,
    end_session,
    form_expired,
    not_found,
    forbidden,
    server_error,
    unavailable,
    invalid_input,
    back_to_start,
    role_admin,
    role_crisis_lead,
    role_member,
    role_guest,
    password_too_short,
    password_too_long,
    password_common,
    password_contains_name,
    password_monotonous,
    admin_title,
    accounts_title,
    accounts_intro,
    name,
    login,
    status,
    activated,
    not_activated,
    admin_nav_activation,
    activation_title,
    activation_intro,
    activation_scope,
    activation_everyone,
    activation_preview,
    activation_preview_title,
    activation_nobody,
    activation_unreachable,
    activation_earlier,
    activation_none_yet,
    activation_refresh,
    activation_person,
    activation_status,
    activation_account,
    activation_no_account,
    activation_waiting,
    activation_by_sms,
    activation_by_email,
    activation_reason_no_address,
    activation_reason_no_provider,
    activation_reason_no_login,
    activation_reason_login_taken,
    new_account,
    mobile,
    private_email,
    new_account_hint,
    create_account,
    account_created,
    link_by_hand,
    send_new_link,
    new_link_hint,
    need_contact,
    no_sessions,
    tokens_title,
    tokens_intro,
    no_tokens,
    label,
    scopes,
    scope_read,
    scope_write,
    scope_admin,
    new_token,
    create_token,
    choose_scope,
    token_shown_once,
    revoke,
    revoked,
    live,
    created,
    account,
    settings_title,
    setting_fallback,
    setting_fallback_hint,
    setting_second_factor,
    setting_second_factor_hint,
    save,
    saved,
    remove,
    rename,
    passkey_name,
    passkey_removed,
    channels_title,
    no_channels,
    new_channel,
    create_channel,
    classification,
    kind,
    kind_org,
    kind_group,
    kind_incident,
    kind_direct,
    members,
    message,
    send,
    must_confirm,
    send_out,
    send_out_hint,
    sent_out_title,
    sent_out_to_message,
    add_members,
    add_members_none,
    announcement,
    confirm_read,
    confirmed,
    roster_title,
    roster_link,
    sent,
    seen,
    not_yet,
    edited,
    deleted_message,
    reply,
    replies,
    thread_title,
    edit,
    react,
    older,
    unconfirmed_title,
    offline,
    back_to_channel,
    versions_title,
    org_address,
    org_address_hint,
    other_organisation,
    redact_link,
    redact_title,
    redact_intro,
    redact_reason,
    redact_button,
    redacted_message,
    you,
    new_messages,
    search,
    search_title,
    no_hits,
    home_following,
    home_incidents,
    offline_stale,
    waiting_to_send,
    search_channels,
    search_incidents,
    search_messages,
    search_ended,
    search_words,
    attachment,
    attachment_too_large,
    attachment_type,
    group_hint,
    alerts_title,
    alerts_none,
    alert_new,
    alert_message,
    alert_message_hint,
    alert_severity,
    severity_info,
    severity_warning,
    severity_critical,
    templates_title,
    alerts_sent,
    mention_suggestions,
    mention_suggestions_help,
    templates_none,
    template_recipients,
    template_saved,
    template_unreachable,
    template_cannot_send,
    template_send,
    template_send_exercise,
    template_edit,
    template_delete,
    template_save_legend,
    template_name,
    template_name_hint,
    template_save,
    template_save_changes,
    template_changed,
    alert_groups,
    alert_positions,
    alert_deputies,
    alert_options,
    alert_options_hint,
    alert_exercise,
    alert_step,
    alert_repeats,
    alert_escalate_group,
    alert_escalate_none,
    alert_escalate_min,
    alert_escalate_after,
    alert_send,
    alert_status_active,
    alert_status_resolved,
    alert_status_cancelled,
    alert_exercise_badge,
    alert_roster,
    alert_csv,
    alert_resolve,
    alert_cancel,
    alert_close_hint,
    alert_refresh,
    state_unreachable,
    state_failed,
    state_waiting,
    state_sent,
    state_delivered,
    state_seen,
    state_answered,
    roster_name,
    roster_reason,
    roster_state,
    roster_channel,
    roster_answer,
    alert_for_you,
    alert_acknowledge,
    alert_answer_title,
    alert_thanks,
    alert_already,
    alert_closed,
    alert_link_invalid,
    alert_acknowledged,
    alert_sent_by,
    push_enable,
    push_done,
    push_denied,
    push_failed,
    check_start,
    check_hint,
    check_deadline,
    check_confirm_title,
    check_confirm,
    check_confirmed,
    check_points,
    check_badge,
    readiness_title,
    readiness_first,
    readiness_within,
    readiness_not_reached,
    readiness_silent,
    readiness_none,
    roster_all,
    roster_show,
    roster_pages,
    roster_previous,
    roster_next,
    why_silent,
    active_alerts,
    state_not_needed,
    positions_title,
    positions_none,
    positions_now,
    positions_deputies,
    positions_next,
    positions_calendar,
    positions_nobody,
    alert_people,
    alert_people_hint,
    prio_title,
    prio_intro,
    prio_restricted,
    prio_never,
    prio_search,
    prio_none_found,
    prio_address,
    prio_phone,
    prio_no_phone,
    prio_contact,
    prio_not_shown,
    prio_import,
    prio_import_hint,
    prio_import_button,
    prio_access,
    prio_positions,
    prio_access_hint,
    prio_positions_none,
    prio_days,
    prio_days_hint,
    prio_access_save,
    prio_calls_title,
    prio_calls_hint,
    prio_calls_open,
    prio_calls_kept,
    prio_keep_no_decisions,
    prio_keep_by,
    prio_keep,
    prio_calls_start,
    prio_calls_list_empty,
    prio_calls_not_started,
    prio_calls_to_call,
    prio_calls_all_done,
    prio_calls_escalated,
    prio_calls_reached,
    prio_call,
    prio_purged_row,
    prio_note,
    prio_outcome_open,
    prio_outcome_reached,
    prio_outcome_not_reached,
    prio_outcome_escalated,
    directory_priority_list,
    status_title,
    status_intro,
    status_contact,
    status_contact_none,
    status_phone,
    status_address,
    status_hours,
    status_note,
    status_services,
    status_services_none,
    status_notices,
    status_notices_none,
    status_maintenance,
    status_ended,
    status_exercise,
    status_exercise_note,
    status_affects,
    status_earlier,
    status_feeds,
    status_feed_atom,
    status_feed_json,
    status_feed_cap,
    phase_investigating,
    phase_identified,
    phase_monitoring,
    phase_resolved,
    phase_planned,
    phase_in_progress,
    phase_completed,
    cap_event_disruption,
    cap_event_maintenance,
    notices_title,
    notices_none,
    notice_new,
    notice_new_maintenance,
    notice_update,
    notice_kind_disruption,
    notice_kind_maintenance,
    notice_phase,
    notice_title_field,
    notice_body_field,
    notice_other_langs,
    notice_services,
    notice_starts,
    notice_ends,
    notice_publish,
    notice_publish_update,
    notice_exercise_hint,
    notice_public_hint,
    notice_ended,
    incident_notices,
    incident_notices_none,
    notice_view_public,
    notice_back,
    status_press,
    press_new,
    press_title_field,
    press_body_field,
    press_publish,
    press_hint,
    press_template_in,
    press_none,
    public_contacts_title,
    public_contacts_intro,
    public_contacts_phone_hint,
    public_contacts_note_hint,
    services_public_link,
    subscribe_title,
    subscribe_link,
    subscribe_intro,
    subscribe_channel,
    subscribe_by_email,
    subscribe_by_sms,
    subscribe_address,
    subscribe_services,
    subscribe_privacy,
    subscribe_submit,
    subscribe_sent_title,
    subscribe_sent,
    subscribe_confirm_button,
    subscribe_confirmed,
    subscribe_link_invalid,
    subscribe_all_services,
    subscribe_what_we_keep,
    subscribe_since,
    subscribe_language,
    unsubscribe_title,
    unsubscribe_button,
    unsubscribe_done,
    subscribe_services_label,
    mention_hint,
    alert_no_answer,
    reason_person,
    channel_sms,
    channel_email,
    channel_push,
    channel_voice,
    channel_web,
    channel_link,
}

static TEXTS: LazyLock<Vec<Texts>> = LazyLock::new(|| Lang::all().map(Texts::load).collect());

/// Only if the binary was built without a catalogue: every text shows as "?".
static EMPTY: LazyLock<Texts> = LazyLock::new(|| Texts::load(Lang::fallback()));

/// A language's page texts.
pub trait PageTexts {
    fn texts(self) -> &'static Texts;
}

impl PageTexts for Lang {
    fn texts(self) -> &'static Texts {
        TEXTS
            .iter()
            .find(|t| t.lang == self)
            .or_else(|| TEXTS.iter().find(|t| t.lang == Lang::fallback()))
            .or_else(|| TEXTS.first())
            .unwrap_or(&EMPTY)
    }
}

impl Texts {
    pub fn password_problem(&self, problem: &PasswordProblem) -> &'static str {
        match problem {
            PasswordProblem::TooShort => self.password_too_short,
            PasswordProblem::TooLong => self.password_too_long,
            PasswordProblem::Common => self.password_common,
            PasswordProblem::ContainsName => self.password_contains_name,
            PasswordProblem::Monotonous => self.password_monotonous,
        }
    }

    pub fn throttled_for(&self, wait: chrono::Duration) -> String {
        let minutes = ((wait.num_seconds() + 59) / 60).max(1);
        self.lang
            .format("throttled", &[("minutes", minutes.into())])
    }

    pub fn link_sent(&self, to: &str) -> String {
        self.lang.format("link-sent", &[("to", to.into())])
    }

    pub fn attachment_hint(&self, mb: u32) -> String {
        self.lang.format("attachment-hint", &[("mb", mb.into())])
    }

    pub fn alert_counts(&self, answered: u32, recipients: u32, unreachable: u32) -> String {
        self.lang.format(
            "alert-counts",
            &[
                ("answered", answered.into()),
                ("recipients", recipients.into()),
                ("unreachable", unreachable.into()),
            ],
        )
    }

    pub fn roster_page_of(&self, page: u32, pages: u32) -> String {
        self.lang.format(
            "roster-page-of",
            &[("page", page.into()), ("pages", pages.into())],
        )
    }

    pub fn readiness_more(&self, more: u32) -> String {
        self.lang.format("readiness-more", &[("more", more.into())])
    }

    pub fn alert_planning(&self, unplanned: u32, total: u32) -> String {
        self.lang.format(
            "alert-planning",
            &[("unplanned", unplanned.into()), ("total", total.into())],
        )
    }

    pub fn check_progress(&self, done: u32, total: u32, deadline: &str) -> String {
        self.lang.format(
            "check-progress",
            &[
                ("done", done.into()),
                ("total", total.into()),
                ("deadline", deadline.into()),
            ],
        )
    }

    pub fn phase(&self, phase: beredskap_core::continuity::notices::Phase) -> &'static str {
        use beredskap_core::continuity::notices::Phase;
        match phase {
            Phase::Investigating => self.phase_investigating,
            Phase::Identified => self.phase_identified,
            Phase::Monitoring => self.phase_monitoring,
            Phase::Resolved => self.phase_resolved,
            Phase::Planned => self.phase_planned,
            Phase::InProgress => self.phase_in_progress,
            Phase::Completed => self.phase_completed,
        }
    }

    pub fn service_state(
        &self,
        state: beredskap_core::continuity::services::ServiceState,
    ) -> &'static str {
        use beredskap_core::continuity::services::ServiceState;
        match state {
            ServiceState::Works => self.state_works,
            ServiceState::Degraded => self.state_degraded,
            ServiceState::Down => self.state_down,
            ServiceState::Unknown => self.state_unknown,
        }
    }

    pub fn services_summary(
        &self,
        down: usize,
        degraded: usize,
        unknown: usize,
        works: usize,
    ) -> String {
        self.lang.format(
            "services-summary",
            &[
                ("down", down.into()),
                ("degraded", degraded.into()),
                ("unknown", unknown.into()),
                ("works", works.into()),
            ],
        )
    }

    /// When a service's state was set, and by whom if a person did.
    pub fn services_changed(&self, when: &str, who: Option<&str>) -> String {
        match who {
            Some(who) => self.lang.format(
                "services-changed-by",
                &[("when", when.into()), ("who", who.into())],
            ),
            None => self
                .lang
                .format("services-changed", &[("when", when.into())]),
        }
    }

    pub fn severity(&self, severity: beredskap_core::alerting::Severity) -> &'static str {
        use beredskap_core::alerting::Severity;
        match severity {
            Severity::Info => self.severity_info,
            Severity::Warning => self.severity_warning,
            Severity::Critical => self.severity_critical,
        }
    }

    pub fn plans_file_problem(&self, line: usize, field: &str, problem: &str) -> String {
        self.lang.format(
            "plans-file-problem",
            &[
                ("line", line.into()),
                ("field", field.into()),
                ("problem", problem.into()),
            ],
        )
    }

    pub fn plans_version(&self, version: i64) -> String {
        self.lang
            .format("plans-version", &[("version", version.into())])
    }

    pub fn plans_approve(&self, version: i64) -> String {
        self.lang
            .format("plans-approve", &[("version", version.into())])
    }

    /// "Approved" or "saved", with the version, when and (if a person) by whom.
    pub fn plans_event(
        &self,
        approved: bool,
        version: i64,
        when: &str,
        who: Option<&str>,
    ) -> String {
        let id = match (approved, who.is_some()) {
            (true, true) => "plans-approved-by",
            (true, false) => "plans-approved",
            (false, true) => "plans-saved-by",
            (false, false) => "plans-saved",
        };
        let mut args = vec![("version", version.into()), ("when", when.into())];
        if let Some(who) = who {
            args.push(("who", who.into()));
        }
        self.lang.format(id, &args)
    }

    pub fn plans_review(&self, overdue: bool, date: &str) -> String {
        let id = match overdue {
            true => "plans-review-overdue",
            false => "plans-review-by",
        };
        self.lang.format(id, &[("date", date.into())])
    }

    /// When a task is due: at once, or so many minutes after activation.
    pub fn plan_task_due(&self, minutes: u32) -> String {
        match minutes {
            0 => self.plan_task_now.to_owned(),
            m => self
                .lang
                .format("plan-task-after", &[("minutes", m.into())]),
        }
    }

    pub fn plan_task_only(&self, severity: beredskap_core::alerting::Severity) -> String {
        self.lang.format(
            "plan-task-only",
            &[("severity", self.severity(severity).into())],
        )
    }

    pub fn plan_card(&self, n: usize) -> String {
        self.lang.format("plan-card", &[("n", n.into())])
    }

    pub fn role(&self, role: beredskap_core::register::Role) -> &'static str {
        use beredskap_core::register::Role;
        match role {
            Role::Admin => self.role_admin,
            Role::CrisisLead => self.role_crisis_lead,
            Role::Member => self.role_member,
            Role::Guest => self.role_guest,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_text_is_in_the_catalogue_in_every_language() {
        for lang in Lang::all() {
            for id in Texts::IDS {
                let id = id.replace('_', "-");
                assert!(lang.has(&id), "{} lacks {id}", lang.code());
            }
        }
        let sv = Lang::parse("sv").map(PageTexts::texts);
        assert_eq!(sv.map(|t| t.menu), Some("Meny"));
    }
}
