//! One headless Chromium per run, launched by the first browser step (a
//! launch costs seconds, so scenarios without browser steps never pay it),
//! and the open pages of every scenario by name.

use crate::browser::driver::{Driver, Page};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

pub struct BrowserPool {
    driver: OnceCell<Result<Arc<Driver>, String>>,
    /// (scenario key, page name) → page.
    pages: Mutex<HashMap<(String, String), Arc<Page>>>,
    /// Where failing browser steps leave a PNG of the page.
    pub screenshot_dir: PathBuf,
}

impl BrowserPool {
    pub fn new(report_dir: Option<PathBuf>) -> BrowserPool {
        let base = report_dir.unwrap_or_else(|| PathBuf::from("target/kommo-sandbox"));
        BrowserPool {
            driver: OnceCell::new(),
            pages: Mutex::new(HashMap::new()),
            screenshot_dir: base.join("screenshots"),
        }
    }

    /// The shared browser, launched on first use; a failed launch is reported to every step that needs it.
    pub async fn driver(&self) -> Result<Arc<Driver>, String> {
        let launched = self
            .driver
            .get_or_init(|| async {
                let joined = tokio::task::spawn_blocking(Driver::launch).await;
                match joined {
                    Ok(Ok(d)) => Ok(Arc::new(d)),
                    Ok(Err(e)) => Err(format!("cannot start Chromium: {e:#}")),
                    Err(e) => Err(format!("cannot start Chromium: {e}")),
                }
            })
            .await;
        launched.clone()
    }

    pub fn page(&self, scenario: &str, name: &str) -> Option<Arc<Page>> {
        self.lock()
            .get(&(scenario.to_string(), name.to_string()))
            .cloned()
    }

    /// Keeps `page` under its name; a page it replaces is closed.
    pub fn put(&self, scenario: &str, name: &str, page: Page) -> Arc<Page> {
        let page = Arc::new(page);
        if let Some(old) = self
            .lock()
            .insert((scenario.to_string(), name.to_string()), page.clone())
        {
            close(&old);
        }
        page
    }

    /// Closes every page of a finished scenario.
    pub fn close_scenario(&self, scenario: &str) {
        let mut pages = self.lock();
        let keys: Vec<_> = pages
            .keys()
            .filter(|(s, _)| s == scenario)
            .cloned()
            .collect();
        for k in keys {
            if let Some(p) = pages.remove(&k) {
                close(&p);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Arc<Page>>> {
        self.pages.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn close(page: &Page) {
    let _ = page.tab().close(false);
}
