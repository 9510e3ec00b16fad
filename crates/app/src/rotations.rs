//! On-call rotations of positions and the overrides that put someone else on call for a
//! while. Members see who is on call; crisis leads and administrators arrange it.

use crate::policy::{permit, Caller, UseCase};
use crate::{App, Error};
use beredskap_core::register::{Org, Position};
use beredskap_core::rotation::{Override, OverrideInput, Rotation, RotationInput};

/// A position's rotation (if it has one) and its overrides.
pub async fn schedule(
    app: &App,
    caller: &Caller,
    org: &Org,
    position: &Position,
) -> Result<(Option<Rotation>, Vec<Override>), Error> {
    permit(caller, UseCase::ReadRegister)?;
    let rotation = app.store.rotation(org.id, position.id).await?;
    let overrides = app.store.overrides(org.id, position.id).await?;
    Ok((rotation, overrides))
}

/// Who holds `position` at `at`, whoever is on call first: for use cases already
/// permitted (a plan's sheet, an activation's checklist).
pub(crate) async fn holders_now(
    app: &App,
    org: &Org,
    position: &Position,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<beredskap_core::PersonId>, Error> {
    let rotation = app.store.rotation(org.id, position.id).await?;
    let overrides = app.store.overrides(org.id, position.id).await?;
    Ok(beredskap_core::rotation::holders_at(
        position,
        rotation.as_ref(),
        &overrides,
        at,
    ))
}

/// Puts a position on a rotation, replacing the one it had.
pub async fn set_rotation(
    app: &App,
    caller: &Caller,
    org: &Org,
    position: &Position,
    input: RotationInput,
) -> Result<Rotation, Error> {
    permit(caller, UseCase::ArrangeOnCall)?;
    let rotation = input.validate(position.id).map_err(Error::Invalid)?;
    Ok(app
        .store
        .set_rotation(&caller.actor(), org.id, rotation)
        .await?)
}

/// Puts someone else on call for a while (illness, a swap).
pub async fn add_override(
    app: &App,
    caller: &Caller,
    org: &Org,
    position: &Position,
    input: OverrideInput,
) -> Result<Override, Error> {
    permit(caller, UseCase::ArrangeOnCall)?;
    let o = input.validate(position.id).map_err(Error::Invalid)?;
    Ok(app.store.add_override(&caller.actor(), org.id, o).await?)
}
