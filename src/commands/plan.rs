//! `genseed plan`: observe the org and print what apply would do. Writes nothing.

use std::process::ExitCode;

use crate::cli::{Cli, PlanArgs};
use crate::report::{Verbosity, plan_json, render_plan};

/// Run it.
pub async fn run(cli: &Cli, args: &PlanArgs, verbosity: Verbosity) -> anyhow::Result<ExitCode> {
    let settings = super::settings(cli, Some(&args.run))?;
    let (mut prepared, _) = super::prepare(settings, false).await?;
    super::integrations::select(&mut prepared, &args.run.only)?;
    if args.json {
        let doc = plan_json(
            &prepared.plan,
            &prepared.observation.org_id,
            &prepared.observation.org_name,
            &prepared.settings.env,
        );
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        let label = super::org_label(&prepared);
        print!(
            "{}",
            render_plan(&prepared.plan, &label, &prepared.settings.env, verbosity)
        );
    }
    super::integrations::check_urls(&prepared, args.offline || args.run.skip_url_check).await?;
    if args.detailed_exitcode && prepared.plan.has_changes() {
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}
