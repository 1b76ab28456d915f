//! A small, conforming Kommo chat integration, run by the built-in
//! conformance suite (`scenarios/conformance/`). See `integration/mod.rs`.

#[path = "integration/mod.rs"]
mod integration;

#[tokio::main]
async fn main() {
    integration::main(integration::Defects::default()).await;
}
