//! `genseed plan`: observe the org and print what apply would do. Writes nothing to the
//! org or the state (`--out FILE` saves the plan for `apply FILE`).

use std::process::ExitCode;

use crate::cli::{Cli, PlanArgs};
use crate::report::{self, Ui, render_plan};

/// Run it.
pub(super) async fn run(cli: &Cli, args: &PlanArgs, ui: &Ui) -> anyhow::Result<ExitCode> {
    let settings = super::settings(cli, Some(&args.run), ui)?;
    let (mut prepared, _) = super::prepare(settings, false, ui).await?;
    super::integrations::select(&mut prepared, &args.run.only)?;
    super::policies(&mut prepared, &args.run)?;
    let skip_urls = args.offline || args.run.skip_url_check;
    let require = args.run.require_permission_check;
    let permissions = args.check_permissions || require;
    if args.json {
        // One document on stdout: the URL check's error, or the plan.
        super::integrations::check_urls(&prepared, skip_urls, ui).await?;
        if permissions {
            super::permissions::check(&prepared, require, ui).await?;
        }
        report::out_json(&report::json::plan(&prepared.plan, &super::org(&prepared)));
    } else {
        let label = super::org_label(&prepared);
        report::out(&render_plan(
            &prepared.plan,
            &label,
            &prepared.settings.env,
            ui,
        ));
        super::integrations::check_urls(&prepared, skip_urls, ui).await?;
        if permissions {
            super::permissions::check(&prepared, require, ui).await?;
        }
    }
    if let Some(path) = &args.out {
        super::saved::write(&prepared, path)?;
        if !args.json && ui.verbosity != crate::report::Verbosity::Quiet {
            report::err(&format!(
                "Saved this plan to {p}; apply exactly it with `genseed apply {p}`.\n",
                p = path.display()
            ));
        }
    }
    if args.detailed_exitcode && prepared.plan.has_changes() {
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}
