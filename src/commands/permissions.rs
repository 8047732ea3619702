//! The permission preflight of plan (`--check-permissions`) and apply (always, before
//! the first write): read the OAuth client's grants and refuse a plan they do not
//! allow, naming every missing permission. See [`crate::permissions`].

use anyhow::anyhow;

use super::{Prepared, Reported};
use crate::permissions::{self, fetch};
use crate::report::{self, Ui};

/// Check that the client may perform every operation of the plan. When its grants
/// cannot be read, warn and go on, or (`require`) refuse.
pub(super) async fn check(prepared: &Prepared, require: bool, ui: &Ui) -> anyhow::Result<()> {
    let needs = permissions::needs(&prepared.plan, &prepared.ctx);
    if needs.is_empty() {
        return Ok(());
    }
    let access = fetch::fetch(&prepared.conn.client, &prepared.ctx.resolver)
        .await
        .map_err(|e| anyhow!("cannot read the OAuth client's permissions: {e}"))?;
    let (client, grants) = match access {
        fetch::Access::Grants { client, grants } => (client, grants),
        fetch::Access::Unknown(why) if require => {
            return Err(anyhow!(
                "could not verify the OAuth client's permissions: {why}; nothing was changed\nhint: grant the client a role with oauth:client:view and authorization:role:view, or run without --require-permission-check"
            ));
        }
        fetch::Access::Unknown(why) => {
            report::warning(
                ui,
                &format!(
                    "could not verify the OAuth client's permissions ({why}); going on: a missing permission fails only the changes that need it"
                ),
            );
            return Ok(());
        }
    };
    let missing = permissions::missing(&needs, &grants);
    if missing.is_empty() {
        return Ok(());
    }
    let message = permissions::render(&client, &missing, &grants);
    if ui.json {
        let mut doc = report::json::error(&message);
        doc["error"]["missingPermissions"] = permissions::to_json(&missing);
        report::out_json(&doc);
    } else {
        report::error(ui, &message);
    }
    Err(anyhow!(Reported))
}
