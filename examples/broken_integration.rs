//! The reference integration with four defects, to show what the conformance
//! suite catches: it reuses msgids, accepts forged webhooks, never reports
//! successful delivery, and reports error 905 without text.

#[path = "integration/mod.rs"]
mod integration;

#[tokio::main]
async fn main() {
    integration::main(integration::Defects {
        reuse_msgid: true,
        accept_forged: true,
        no_delivery_status: true,
        error_905_without_text: true,
    })
    .await;
}
