//! `genseed show FILE`: print a saved plan as `plan` would, or its JSON. Contacts
//! nothing.

use std::process::ExitCode;

use crate::cli::ShowArgs;
use crate::planfile::PlanFile;
use crate::report::{self, Ui, render_plan};

/// Run it.
pub(super) fn run(args: &ShowArgs, ui: &Ui) -> anyhow::Result<ExitCode> {
    let file = PlanFile::read(&args.file)?;
    if args.json {
        report::out_json(&serde_json::to_value(&file).expect("a plan file serializes"));
        return Ok(ExitCode::SUCCESS);
    }
    let label = if file.org.name.is_empty() {
        file.org.id.clone()
    } else {
        format!("{:?} ({})", file.org.name, file.org.id)
    };
    report::out(&render_plan(&file.plan(), &label, &file.env, ui));
    report::out(&format!(
        "Saved plan {}, made {} by genseed {} against state serial {}.\n",
        args.file.display(),
        file.created_at,
        file.genseed_version,
        file.state.serial
    ));
    Ok(ExitCode::SUCCESS)
}
