//! Who may do what: one table, read by every use case and by the menu. A use case asks
//! [`permit`] before it reads or writes anything, so a refused caller changes nothing.

use crate::Error;
use beredskap_core::register::{Account, Role};
use beredskap_core::Actor;

/// Who is asking.
#[derive(Debug, Clone)]
pub enum Caller {
    /// A signed-in person or an API token: acts with the account's role.
    Account(Account),
    /// An operator at the command line of the server's machine. Whoever can run the
    /// binary against the data can change the database anyway, so the table does not
    /// limit them; the journal names them.
    Operator(Actor),
    /// Beredskap itself, on a signal the adapter has verified: an alert's signed answer
    /// link, an SMS reply from a recipient's number.
    System,
}

impl Caller {
    /// Who the journal names for the change.
    pub fn actor(&self) -> Actor {
        match self {
            Caller::Account(a) => Actor::account(a.id),
            Caller::Operator(actor) => actor.clone(),
            Caller::System => Actor::system(),
        }
    }

    pub fn account(&self) -> Option<&Account> {
        match self {
            Caller::Account(a) => Some(a),
            _ => None,
        }
    }
}

/// Every use case the policy table knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::VariantArray)]
pub enum UseCase {
    SendAlert,
    StartContactCheck,
    CloseAlert,
    /// The alert list, an alert's roster and readiness report, the roster as CSV.
    FollowAlerts,
    /// One's own answer to an alert sent to one.
    AnswerAlert,
    /// Alerts by push on the device one is using.
    AddPushDevice,
    /// Adding, renaming and removing one's own passkeys.
    OwnPasskeys,
    /// Reading the channels one is in: messages, their files, search.
    ReadConversation,
    CreateChannel,
    CreateOrgChannel,
    InviteToChannel,
    /// Posting in a channel one is in (membership is the store's check).
    Post,
    /// A message everyone in the channel must confirm having read.
    Announce,
    /// Editing or deleting one's own message, reacting, confirming, marking seen.
    ChangeMessage,
    /// Deleting someone else's message (one's own is `ChangeMessage`).
    DeleteOthersMessages,
    /// The records view: every version of a message, deleted or not.
    ReadRecords,
    /// Removing text posted by mistake for good.
    Redact,
    /// Who has read someone else's announcement (the author always sees their own).
    SeeWhoRead,
    /// People with their contact points, groups, positions.
    ReadRegister,
    /// People's private numbers and addresses (in the directory and the register).
    SeePrivateContacts,
    /// Creating and changing people, groups and positions; importing.
    ChangeRegister,
    /// Rotations and overrides of who is on call.
    ArrangeOnCall,
    /// Creating accounts, issuing enrolment links and API tokens; ending others' sessions
    /// and revoking others' tokens.
    ManageAccounts,
    /// Sign-in rules, time zone, language, SMS number, classification labels.
    ChangeOrgSettings,
    /// The journal of every change.
    ReadJournal,
    /// A new organisation on this server.
    CreateOrg,
    /// The overview of the organisation's services and their state.
    ReadOverview,
    /// Setting a service's state, impact and workaround.
    SetServiceState,
    /// Adding, changing and retiring the services on the list.
    KeepServices,
    /// The plans with their action cards, and their files.
    ReadPlans,
    /// Writing and importing plans.
    KeepPlans,
    /// Recording that a plan's version is approved.
    ApprovePlans,
    /// Activating a plan: opening an incident, sending its alarm.
    ActivatePlans,
    /// The incidents with their checklists, roles and logs; a guest only those they are
    /// invited to (the use cases' check).
    ReadIncidents,
    /// Ticking an incident's tasks off, writing decisions and situation reports in its
    /// log (the scribe's approval of significant entries is the store's check).
    WorkIncidents,
    /// Handing over an incident's roles, setting its report cadence, inviting guests,
    /// ending it.
    LeadIncidents,
    /// An incident's after-action report (HTML and PDF): with everyone's alarm answer times.
    ReadAfterAction,
    /// The offline kit: every plan, the whole directory with private numbers, the
    /// overview, in one file to keep.
    TakeOfflineKit,
    /// The priority list of citizens with special needs, and an incident's calls made from
    /// it: also only for the holders of the positions the organisation names for it (the
    /// use cases' check). The command line never opens it.
    ReadPriorityList,
    /// Naming who opens the priority list, and importing it without opening it.
    KeepPriorityList,
    /// The public status page's ways to get in touch (a reserve number, a visiting
    /// address, opening hours).
    KeepPublicStatus,
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Whether an account may at all (an organisation's accounts never make another
    /// organisation: that is the server operator's).
    pub accounts: bool,
    /// The least role an account needs.
    pub least: Role,
    /// Whether Beredskap itself may do it on a verified outside signal.
    pub system: bool,
    /// Whether an operator at the command line may. Conversation is between people with
    /// accounts: an operator has no seat in a channel.
    pub operator: bool,
    /// What the API says when refusing (the pages and SMS render the code instead).
    pub refusal: &'static str,
}

impl UseCase {
    /// Every variant, in the order they are declared (derived, so none is left out).
    pub const ALL: &'static [UseCase] = <UseCase as strum::VariantArray>::VARIANTS;

    /// The table.
    pub fn rule(self) -> Rule {
        let rule = |least, system, refusal| Rule {
            accounts: true,
            least,
            system,
            operator: true,
            refusal,
        };
        let between_people = |least, refusal| Rule {
            accounts: true,
            least,
            system: false,
            operator: false,
            refusal,
        };
        match self {
            UseCase::SendAlert => rule(
                Role::CrisisLead,
                false,
                "only crisis leads and administrators send alerts",
            ),
            UseCase::StartContactCheck => rule(
                Role::CrisisLead,
                false,
                "only crisis leads and administrators start contact checks",
            ),
            UseCase::CloseAlert => rule(
                Role::CrisisLead,
                false,
                "only crisis leads and administrators close alerts",
            ),
            UseCase::FollowAlerts => rule(
                Role::CrisisLead,
                false,
                "only crisis leads and administrators follow alerts",
            ),
            UseCase::AnswerAlert => rule(Role::Guest, true, "only recipients answer an alert"),
            UseCase::AddPushDevice => {
                between_people(Role::Guest, "only people with an account add their devices")
            }
            UseCase::OwnPasskeys => {
                between_people(Role::Guest, "only people with an account have passkeys")
            }
            UseCase::ReadConversation => {
                between_people(Role::Guest, "only people with an account read channels")
            }
            UseCase::CreateChannel => between_people(Role::Member, "guests cannot create channels"),
            UseCase::CreateOrgChannel => between_people(
                Role::CrisisLead,
                "only crisis leads and administrators create organisation-wide channels",
            ),
            UseCase::InviteToChannel => between_people(Role::Member, "guests cannot invite people"),
            UseCase::Post => between_people(Role::Guest, "only people with an account post"),
            UseCase::Announce => between_people(
                Role::CrisisLead,
                "only crisis leads and administrators send announcements",
            ),
            UseCase::ChangeMessage => {
                between_people(Role::Guest, "only people with an account change messages")
            }
            UseCase::DeleteOthersMessages => between_people(
                Role::CrisisLead,
                "only the author, a crisis lead or an administrator deletes a message",
            ),
            UseCase::ReadRecords => {
                between_people(Role::Admin, "only administrators read deleted messages")
            }
            UseCase::Redact => between_people(Role::Admin, "only administrators redact messages"),
            UseCase::SeeWhoRead => between_people(
                Role::CrisisLead,
                "only the sender, crisis leads and administrators see who has read an announcement",
            ),
            UseCase::ReadRegister => rule(
                Role::Member,
                false,
                "guests do not see the organisation's register",
            ),
            UseCase::SeePrivateContacts => rule(
                Role::CrisisLead,
                false,
                "only crisis leads and administrators see private numbers and addresses",
            ),
            UseCase::ChangeRegister => rule(
                Role::Admin,
                false,
                "only administrators change the register",
            ),
            UseCase::ArrangeOnCall => rule(
                Role::CrisisLead,
                false,
                "only crisis leads and administrators arrange who is on call",
            ),
            UseCase::ManageAccounts => {
                rule(Role::Admin, false, "only administrators manage accounts")
            }
            UseCase::ChangeOrgSettings => rule(
                Role::Admin,
                false,
                "only administrators change the organisation's settings",
            ),
            UseCase::ReadJournal => {
                rule(Role::Admin, false, "only administrators read the journal")
            }
            UseCase::CreateOrg => Rule {
                accounts: false,
                least: Role::Admin,
                system: false,
                operator: true,
                refusal: "only the server's operator creates organisations",
            },
            UseCase::ReadOverview => rule(
                Role::Member,
                false,
                "guests do not see the organisation's services",
            ),
            UseCase::SetServiceState => rule(
                Role::CrisisLead,
                false,
                "only crisis leads and administrators set a service's state",
            ),
            UseCase::KeepServices => rule(
                Role::CrisisLead,
                false,
                "only crisis leads and administrators keep the list of services",
            ),
            UseCase::ReadPlans => rule(
                Role::Member,
                false,
                "guests do not see the organisation's plans",
            ),
            UseCase::KeepPlans => rule(
                Role::CrisisLead,
                false,
                "only crisis leads and administrators write plans",
            ),
            UseCase::ApprovePlans => rule(
                Role::CrisisLead,
                false,
                "only crisis leads and administrators approve plans",
            ),
            UseCase::ActivatePlans => rule(
                Role::CrisisLead,
                false,
                "only crisis leads and administrators activate plans",
            ),
            UseCase::ReadIncidents => rule(
                Role::Guest,
                false,
                "only people of the organisation and invited guests see incidents",
            ),
            UseCase::WorkIncidents => rule(
                Role::Member,
                false,
                "guests do not work an incident's checklist or log",
            ),
            UseCase::LeadIncidents => rule(
                Role::CrisisLead,
                false,
                "only crisis leads and administrators hand over roles and end incidents",
            ),
            UseCase::ReadAfterAction => rule(
                Role::CrisisLead,
                false,
                "only crisis leads and administrators read after-action reports",
            ),
            UseCase::TakeOfflineKit => rule(
                Role::CrisisLead,
                false,
                "only crisis leads and administrators take the offline kit",
            ),
            UseCase::ReadPriorityList => between_people(
                Role::Member,
                "only holders of the positions named for it open the priority list",
            ),
            UseCase::KeepPriorityList => rule(
                Role::Admin,
                false,
                "only administrators name who opens the priority list",
            ),
            UseCase::KeepPublicStatus => rule(
                Role::CrisisLead,
                false,
                "only crisis leads and administrators keep the public status page",
            ),
        }
    }

    pub fn least(self) -> Role {
        self.rule().least
    }

    pub fn refusal(self) -> &'static str {
        self.rule().refusal
    }

    /// The code errors travel with.
    pub fn as_str(self) -> &'static str {
        match self {
            UseCase::SendAlert => "send_alert",
            UseCase::StartContactCheck => "start_contact_check",
            UseCase::CloseAlert => "close_alert",
            UseCase::FollowAlerts => "follow_alerts",
            UseCase::AnswerAlert => "answer_alert",
            UseCase::CreateChannel => "create_channel",
            UseCase::CreateOrgChannel => "create_org_channel",
            UseCase::InviteToChannel => "invite_to_channel",
            UseCase::AddPushDevice => "add_push_device",
            UseCase::OwnPasskeys => "own_passkeys",
            UseCase::ReadConversation => "read_conversation",
            UseCase::Post => "post",
            UseCase::Announce => "announce",
            UseCase::ChangeMessage => "change_message",
            UseCase::DeleteOthersMessages => "delete_others_messages",
            UseCase::ReadRecords => "read_records",
            UseCase::Redact => "redact",
            UseCase::SeeWhoRead => "see_who_read",
            UseCase::ReadRegister => "read_register",
            UseCase::SeePrivateContacts => "see_private_contacts",
            UseCase::ChangeRegister => "change_register",
            UseCase::ArrangeOnCall => "arrange_on_call",
            UseCase::ManageAccounts => "manage_accounts",
            UseCase::ChangeOrgSettings => "change_org_settings",
            UseCase::ReadJournal => "read_journal",
            UseCase::CreateOrg => "create_org",
            UseCase::ReadOverview => "read_overview",
            UseCase::SetServiceState => "set_service_state",
            UseCase::KeepServices => "keep_services",
            UseCase::ReadPlans => "read_plans",
            UseCase::KeepPlans => "keep_plans",
            UseCase::ApprovePlans => "approve_plans",
            UseCase::ActivatePlans => "activate_plans",
            UseCase::ReadIncidents => "read_incidents",
            UseCase::WorkIncidents => "work_incidents",
            UseCase::LeadIncidents => "lead_incidents",
            UseCase::ReadAfterAction => "read_after_action",
            UseCase::TakeOfflineKit => "take_offline_kit",
            UseCase::ReadPriorityList => "read_priority_list",
            UseCase::KeepPriorityList => "keep_priority_list",
            UseCase::KeepPublicStatus => "keep_public_status",
        }
    }
}

/// Whether the caller may do this, by the table.
pub fn allows(caller: &Caller, use_case: UseCase) -> bool {
    let rule = use_case.rule();
    match caller {
        Caller::Account(account) => rule.accounts && account.role >= rule.least,
        Caller::Operator(_) => rule.operator,
        Caller::System => rule.system,
    }
}

/// Refuses, before anything is read or written, a caller the table does not allow.
pub fn permit(caller: &Caller, use_case: UseCase) -> Result<(), Error> {
    match allows(caller, use_case) {
        true => Ok(()),
        false => Err(Error::Refused {
            use_case,
            least: use_case.least(),
        }),
    }
}
