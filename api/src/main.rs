//! The `ai-admin` binary; see `ai_admin_api::cli` for its commands.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    match ai_admin_api::cli::run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One clear line: configuration errors already name the variable.
            eprintln!("ai-admin: {error:#}");
            ExitCode::FAILURE
        }
    }
}
