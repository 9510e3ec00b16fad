#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    clippy::print_stdout,
    // A test chooses its clock: often the machine's, to line up with the journal's times.
    clippy::disallowed_methods
)]

//! The store conformance suite: every case runs against SQLite and against PostgreSQL.
//! One test binary for the crate (link time on small machines); add modules, not files.

mod cases;
mod harness;
mod migrations;

/// Expands each case into `sqlite::case` and `postgres::case` tests.
macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = crate::harness::TestDb::sqlite().await;
                    crate::cases::$case(&db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let Some(db) = crate::harness::TestDb::postgres(stringify!($case)).await else {
                        return;
                    };
                    crate::cases::$case(&db).await;
                    db.cleanup().await;
                }
            )*
        }
    };
}

conformance!(
    an_alert_to_thousands_is_planned_in_parts_by_two_nodes_each_person_once,
    closing_an_alert_while_it_is_planned_stops_its_planning,
    a_roster_of_thousands_is_read_a_page_at_a_time,
    a_claim_takes_run_out_leases_first_and_outcomes_are_recorded_together,
    orgs_are_created_listed_and_unique_by_slug,
    people_keep_their_contact_points_in_order,
    replacing_a_person_keeps_verification_and_journals_only_changes,
    external_ids_are_unique_per_organisation,
    group_members_must_be_people_of_the_organisation,
    positions_keep_holder_then_deputies_in_order,
    a_refused_write_changes_nothing,
    import_creates_updates_and_is_idempotent,
    import_dry_run_reports_without_changing_anything,
    api_tokens_resolve_to_their_account,
    enrolments_need_an_account_of_the_organisation,
    concurrent_writes_all_land_with_a_gapless_chain,
    a_failing_write_in_a_batch_does_not_affect_the_others,
    writes_after_a_dry_run_in_their_batch_chain_on_from_the_real_head,
    two_nodes_writing_one_organisation_keep_one_gapless_chain,
    an_alert_caught_in_a_deadlock_is_written_again_whole,
    the_journal_refuses_updates_and_deletes,
    acknowledged_writes_wait_for_the_disk,
    tampering_with_the_journal_is_detected,
    organisations_have_separate_chains,
    writes_to_an_unknown_organisation_are_not_found,
    an_enrolment_link_works_once_and_sets_every_credential,
    an_expired_enrolment_link_changes_nothing,
    totp_steps_and_recovery_codes_are_used_once,
    sessions_live_until_expiry_or_revocation,
    pending_sign_ins_expire_and_count_attempts,
    failures_lock_a_key_for_growing_windows,
    attempts_are_reserved_atomically,
    operations_figures_show_each_outboxs_backlog_and_each_journal_head,
    a_stopped_nodes_claims_are_freed_when_it_starts_again_or_falls_silent,
    pending_attempts_are_reserved_atomically,
    passkeys_are_kept_per_account_and_ceremonies_used_once,
    sign_in_settings_start_strict_and_are_journaled,
    channels_are_seen_by_kind_and_membership,
    posts_are_ordered_threaded_and_land_once,
    edits_keep_every_version_and_deletions_are_soft,
    a_redaction_empties_every_copy_and_keeps_the_chain_verifiable,
    a_redaction_finds_an_edit_made_in_its_own_batch,
    posts_in_one_batch_each_name_their_own_journal_row,
    reactions_count_once_and_mentions_stay_in_the_audience,
    announcements_keep_a_roster_of_who_confirmed,
    messages_are_read_by_id_in_one_go_within_their_organisation,
    attachments_are_seen_with_their_message,
    group_channels_start_with_the_group_and_labels_are_set_per_organisation,
    an_announcement_sent_out_reaches_people_without_accounts_and_one_roster_has_every_confirmation,
    a_group_channel_follows_the_group_and_reaches_the_register_when_sent_out,
    a_person_keeps_the_language_they_chose,
    an_alert_and_its_deliveries_land_together_and_an_answer_stops_the_rest,
    a_worker_that_dies_loses_its_claim_when_the_lease_ends,
    workers_claiming_at_once_take_each_delivery_once,
    outcomes_recorded_together_touch_only_claimed_rows,
    those_reached_while_their_alert_was_closed_hear_that_it_is_over,
    a_claim_landing_after_its_node_was_left_out_is_freed_at_the_next_heartbeat,
    a_silent_holder_is_followed_by_the_deputy_and_a_covering_answer_stops_the_chain,
    closing_an_alert_stops_it_and_tells_everyone_it_reached,
    too_few_answers_in_time_bring_in_the_escalation_group,
    an_sms_reply_answers_the_newest_open_alert_to_that_number,
    sms_replies_stay_within_the_organisation_they_went_to,
    an_alert_to_a_position_reaches_whoever_is_on_call,
    alert_templates_are_named_versioned_journaled_and_preview_whom_they_reach,
    external_contacts_are_replaced_whole_in_file_order_and_journaled,
    bulk_activation_makes_accounts_queues_links_and_lists_who_cannot_be_reached,
    services_keep_their_order_state_and_history_and_names_are_unique,
    an_organisation_keeps_at_most_its_limit_of_services,
    plans_keep_every_version_and_who_approved_which,
    an_incident_opens_whole_with_its_channel_alarm_checklist_and_lead,
    the_log_keeps_decisions_and_reports_and_the_scribe_approves_significant_ones,
    a_guest_is_invited_to_one_incident_and_joins_its_channel,
    the_priority_list_is_replaced_whole_opened_on_record_and_its_calls_purged_unless_kept,
    the_status_pages_ways_to_get_in_touch_are_kept_per_organisation_and_journaled,
    notices_keep_their_timeline_end_once_and_stay_shown_a_week,
    an_organisation_keeps_at_most_its_limit_of_open_notices,
    a_state_set_during_an_exercise_leaves_the_public_state,
    press_releases_are_kept_newest_first_and_journaled_whole,
    subscriptions_are_confirmed_reach_their_services_and_leave_nothing_behind,
);
