pub async fn run(
    _cli: &crate::cli::Cli,
    _a: &crate::cli::DiffArgs,
    _ui: &crate::report::Ui,
) -> anyhow::Result<std::process::ExitCode> {
    todo!()
}
