use clap::Parser;

#[tokio::main]
async fn main() {
    regnotify::install_crypto_provider();
    let cli = regnotify::cli::Cli::parse();
    if let Err(error) = cli.run().await {
        eprintln!("regnotify: {error}");
        std::process::exit(error.exit_code());
    }
}
