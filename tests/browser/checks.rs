//! The two outside judges: axe-core (accessibility, run inside the page) and
//! the W3C Nu HTML Checker (validity, run on the HTML the server sent).

use std::process::Command;
use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::browser::Browser;
use crate::tools::tools;

/// Runs axe-core in the page shown and fails on any serious or critical
/// violation. Lesser ones are printed, not failed.
pub async fn assert_accessible(browser: &Browser, page: &str) {
    static AXE_SOURCE: OnceLock<String> = OnceLock::new();
    let axe_source = AXE_SOURCE
        .get_or_init(|| std::fs::read_to_string(&tools().axe_core_js).expect("read axe.min.js"));
    // Injected through WebDriver, so the page's own script policy (CSP) does
    // not stand in the way, and nothing is changed in the app.
    browser.js(axe_source, vec![]).await;
    let outcome = browser
        .client()
        .execute_async(
            r#"
            const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ["violations"] })
              .then((results) => done({
                violations: results.violations.map((v) => ({
                  id: v.id,
                  impact: v.impact,
                  help: v.help,
                  nodes: v.nodes.map((n) => n.target.join(" ") + ": " + n.failureSummary),
                })),
              }))
              .catch((error) => done({ error: String(error) }));
            "#,
            vec![],
        )
        .await
        .unwrap_or_else(|err| panic!("axe-core did not run on {page}: {err}"));
    if let Some(error) = outcome.get("error") {
        panic!("axe-core failed on {page}: {error}");
    }
    let violations = outcome["violations"]
        .as_array()
        .expect("axe-core's violations");
    let describe = |v: &Value| {
        let nodes: Vec<&str> = v["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        format!(
            "  [{}] {}: {}\n    {}",
            v["impact"].as_str().unwrap_or("?"),
            v["id"].as_str().unwrap_or("?"),
            v["help"].as_str().unwrap_or("?"),
            nodes.join("\n    ")
        )
    };
    let (blocking, minor): (Vec<&Value>, Vec<&Value>) = violations
        .iter()
        .partition(|v| v["impact"] == json!("serious") || v["impact"] == json!("critical"));
    for v in &minor {
        eprintln!(
            "note: axe-core on {page} ({}): {}",
            browser.viewport.name(),
            describe(v)
        );
    }
    assert!(
        blocking.is_empty(),
        "axe-core found serious or critical problems on {page} ({}):\n{}",
        browser.viewport.name(),
        blocking
            .iter()
            .map(|v| describe(v))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Runs vnu.jar once over every page (name, HTML) and fails on any error.
pub async fn assert_valid_html(pages: Vec<(String, String)>) {
    assert!(!pages.is_empty(), "no pages to check");
    let outcome = tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().expect("temp dir for the pages");
        let mut files = Vec::new();
        for (name, html) in &pages {
            let path = dir.path().join(format!("{name}.html"));
            std::fs::write(&path, html).expect("write a page for vnu");
            files.push(path);
        }
        let output = Command::new(&tools().java)
            .arg("-jar")
            .arg(&tools().vnu_jar)
            .args(["--errors-only", "--format", "json", "--stdout"])
            .args(&files)
            .output()
            .unwrap_or_else(|err| panic!("cannot run java -jar vnu.jar: {err}"));
        (output, dir)
    })
    .await
    .expect("vnu did not finish");
    let (output, _dir) = outcome;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|_| {
        panic!(
            "vnu.jar did not report ({}):\n{stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let messages = report["messages"].as_array().expect("vnu's messages");
    let errors: Vec<String> = messages
        .iter()
        .filter(|m| m["type"] != json!("info"))
        .map(|m| {
            let file = m["url"].as_str().unwrap_or("?");
            let file = file.rsplit('/').next().unwrap_or(file);
            format!(
                "  {file}:{}:{}: {} «{}»",
                m["lastLine"],
                m["firstColumn"],
                m["message"].as_str().unwrap_or("?"),
                m["extract"].as_str().unwrap_or("").trim()
            )
        })
        .collect();
    assert!(
        errors.is_empty(),
        "the Nu HTML Checker found errors:\n{}",
        errors.join("\n")
    );
    assert!(
        output.status.success(),
        "vnu.jar failed ({}) without saying why: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}
