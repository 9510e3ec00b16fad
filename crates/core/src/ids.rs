//! Typed identifiers, so a person id can never be passed where a group id is expected.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($($name:ident),* $(,)?) => {$(
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        #[schema(value_type = String, format = Uuid)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered id (UUIDv7), so ids sort roughly by creation.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    )*};
}

id_type!(
    NodeId,
    OrgId,
    PersonId,
    GroupId,
    PositionId,
    AccountId,
    ApiTokenId,
    ChannelId,
    MessageId,
    AttachmentId,
    AlertId,
    DeliveryId,
    OverrideId,
    ServiceId,
    PlanId,
    IncidentId,
    TaskId,
    EntryId,
    CallId,
    NoticeId,
    PressReleaseId,
    SubscriptionId,
    SubscriptionRequestId,
    PublicDeliveryId,
    ActivationBatchId,
    AlertTemplateId,
    ActivationSendId
);
