//! `ConversationStore` for each backend: a module of it, as `store_impl.rs` is.

use super::{ops, Backend};
use beredskap_core::store::StoreResult;
use beredskap_core::{AccountId, Actor, OrgId};

use beredskap_core::conversation::{
    Attachment, Channel, ConversationStore, Message, MessageChange, NewAttachment, NewChannel,
    NewMessage, Page, Posted, Receipt, Redacted,
};
use beredskap_core::{AttachmentId, ChannelId, MessageId};

#[async_trait::async_trait]
impl ConversationStore for Backend {
    async fn create_channel(
        &self,
        actor: &Actor,
        org: OrgId,
        creator: AccountId,
        new: NewChannel,
    ) -> StoreResult<Channel> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move {
                ops::conversation::create_channel(c, &actor, org, creator, new).await
            })
        })
        .await
    }

    async fn add_channel_members(
        &self,
        actor: &Actor,
        org: OrgId,
        by: AccountId,
        channel: ChannelId,
        members: Vec<AccountId>,
    ) -> StoreResult<()> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move {
                ops::conversation::add_channel_members(c, &actor, org, by, channel, members).await
            })
        })
        .await
    }

    async fn channels_for(&self, org: OrgId, account: AccountId) -> StoreResult<Vec<Channel>> {
        self.read(move |c| {
            Box::pin(async move { ops::conversation::channels_for(c, org, account).await })
        })
        .await
    }

    async fn channel_for(
        &self,
        org: OrgId,
        account: AccountId,
        channel: ChannelId,
    ) -> StoreResult<Channel> {
        self.read(move |c| {
            Box::pin(async move { ops::conversation::channel_for(c, org, account, channel).await })
        })
        .await
    }

    async fn channel_audience(
        &self,
        org: OrgId,
        channel: ChannelId,
    ) -> StoreResult<Vec<AccountId>> {
        self.read(move |c| {
            Box::pin(async move { ops::conversation::channel_audience(c, org, channel).await })
        })
        .await
    }

    async fn post_message(
        &self,
        actor: &Actor,
        org: OrgId,
        author: AccountId,
        new: NewMessage,
    ) -> StoreResult<Posted> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(
                async move { ops::conversation::post_message(c, &actor, org, author, new).await },
            )
        })
        .await
    }

    async fn change_message(
        &self,
        actor: &Actor,
        org: OrgId,
        by: AccountId,
        message: MessageId,
        change: MessageChange,
    ) -> StoreResult<Message> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move {
                ops::conversation::change_message(c, &actor, org, by, message, change).await
            })
        })
        .await
    }

    async fn channel_messages(
        &self,
        org: OrgId,
        account: AccountId,
        channel: ChannelId,
        page: Page,
    ) -> StoreResult<Vec<Message>> {
        self.read(move |c| {
            Box::pin(async move {
                ops::conversation::channel_messages(c, org, account, channel, page).await
            })
        })
        .await
    }

    async fn message_for(
        &self,
        org: OrgId,
        account: AccountId,
        message: MessageId,
    ) -> StoreResult<(Message, Channel)> {
        self.read(move |c| {
            Box::pin(
                async move { ops::conversation::visible_message(c, org, account, message).await },
            )
        })
        .await
    }

    async fn message_heads(
        &self,
        org: OrgId,
        ids: Vec<MessageId>,
    ) -> StoreResult<Vec<beredskap_core::conversation::MessageHead>> {
        self.read(move |c| {
            Box::pin(async move { ops::conversation::message_heads(c, org, ids).await })
        })
        .await
    }

    async fn display_names(
        &self,
        org: OrgId,
        accounts: Vec<AccountId>,
    ) -> StoreResult<std::collections::HashMap<AccountId, String>> {
        self.read(move |c| {
            Box::pin(async move { ops::conversation::display_names(c, org, accounts).await })
        })
        .await
    }

    async fn thread(
        &self,
        org: OrgId,
        account: AccountId,
        root: MessageId,
    ) -> StoreResult<Vec<Message>> {
        self.read(move |c| {
            Box::pin(async move { ops::conversation::thread(c, org, account, root).await })
        })
        .await
    }

    async fn redact_message(
        &self,
        actor: &Actor,
        org: OrgId,
        message: MessageId,
        reason: String,
    ) -> StoreResult<Redacted> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move {
                ops::conversation::redact_message(c, &actor, org, message, reason).await
            })
        })
        .await
    }

    async fn deleted_messages(
        &self,
        org: OrgId,
        messages: Vec<MessageId>,
    ) -> StoreResult<std::collections::HashSet<MessageId>> {
        self.read(move |c| {
            Box::pin(async move { ops::conversation::deleted_messages(c, org, messages).await })
        })
        .await
    }

    async fn message_versions(
        &self,
        org: OrgId,
        account: AccountId,
        message: MessageId,
    ) -> StoreResult<Vec<(i32, String, chrono::DateTime<chrono::Utc>)>> {
        self.read(move |c| {
            Box::pin(
                async move { ops::conversation::message_versions(c, org, account, message).await },
            )
        })
        .await
    }

    async fn receipts(&self, org: OrgId, message: MessageId) -> StoreResult<Vec<Receipt>> {
        self.read(move |c| {
            Box::pin(async move { ops::conversation::receipts(c, org, message).await })
        })
        .await
    }

    async fn add_attachment(
        &self,
        actor: &Actor,
        org: OrgId,
        by: AccountId,
        new: NewAttachment,
    ) -> StoreResult<Attachment> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(
                async move { ops::conversation::add_attachment(c, &actor, org, by, new).await },
            )
        })
        .await
    }

    async fn attachment_for(
        &self,
        org: OrgId,
        account: AccountId,
        id: AttachmentId,
    ) -> StoreResult<Attachment> {
        self.read(move |c| {
            Box::pin(async move { ops::conversation::attachment_for(c, org, account, id).await })
        })
        .await
    }

    async fn set_classifications(
        &self,
        actor: &Actor,
        org: OrgId,
        labels: Vec<String>,
    ) -> StoreResult<beredskap_core::register::Org> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(
                async move { ops::conversation::set_classifications(c, &actor, org, labels).await },
            )
        })
        .await
    }

    async fn unconfirmed_announcements(
        &self,
        org: OrgId,
        account: AccountId,
    ) -> StoreResult<Vec<Message>> {
        self.read(move |c| {
            Box::pin(
                async move { ops::conversation::unconfirmed_announcements(c, org, account).await },
            )
        })
        .await
    }
}
