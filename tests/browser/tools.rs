//! Finds the programs and files the browser tests need. A missing one fails
//! the test with a message naming it and how to install it: these tests never
//! skip, so CI cannot pass without them.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub struct Tools {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
    pub java: PathBuf,
    /// `axe.min.js` from the npm package axe-core.
    pub axe_core_js: PathBuf,
    /// `vnu.jar` from the npm package vnu-jar (the W3C Nu HTML Checker).
    pub vnu_jar: PathBuf,
}

/// The tools, found once per test binary. Panics if any is missing.
pub fn tools() -> &'static Tools {
    static TOOLS: OnceLock<Result<Tools, String>> = OnceLock::new();
    match TOOLS.get_or_init(find) {
        Ok(tools) => tools,
        Err(message) => panic!("{message}"),
    }
}

/// The repository's own tool folder, filled by `scripts/install-browser-tools.sh`.
fn npm_modules() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(".browser-tools/node_modules")
}

fn find() -> Result<Tools, String> {
    let mut missing = Vec::new();
    let chromium = program(
        "CHROMIUM",
        &["chromium", "chromium-browser"],
        "Debian package chromium",
        &mut missing,
    );
    let chromedriver = program(
        "CHROMEDRIVER",
        &["chromedriver"],
        "Debian package chromium-driver",
        &mut missing,
    );
    let java = program(
        "JAVA",
        &["java"],
        "Debian package default-jre-headless",
        &mut missing,
    );
    let axe_core_js = file(
        "AXE_CORE_JS",
        npm_modules().join("axe-core/axe.min.js"),
        "npm package axe-core",
        &mut missing,
    );
    let vnu_jar = file(
        "VNU_JAR",
        npm_modules().join("vnu-jar/build/dist/vnu.jar"),
        "npm package vnu-jar",
        &mut missing,
    );
    match (chromium, chromedriver, java, axe_core_js, vnu_jar) {
        (Some(chromium), Some(chromedriver), Some(java), Some(axe_core_js), Some(vnu_jar)) => {
            Ok(Tools {
                chromium,
                chromedriver,
                java,
                axe_core_js,
                vnu_jar,
            })
        }
        _ => Err(format!(
            "the browser tests cannot run: these tools are missing\n{}\n\
             Install them all with `bash scripts/install-browser-tools.sh` from the repository \
             root (it uses apt-get and npm), or set the variables above to where they are.",
            missing.join("\n")
        )),
    }
}

/// `$variable` if set, else the first of `names` on `PATH`.
fn program(
    variable: &str,
    names: &[&str],
    package: &str,
    missing: &mut Vec<String>,
) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(variable).filter(|value| !value.is_empty()) {
        let path = PathBuf::from(path);
        if path.is_file() {
            return Some(path);
        }
        missing.push(format!(
            "  - {} ({package}): {variable}={} is not a file",
            names[0],
            path.display()
        ));
        return None;
    }
    let search_path = std::env::var_os("PATH").unwrap_or_default();
    let found = names.iter().find_map(|name| {
        std::env::split_paths(&search_path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() {
        missing.push(format!(
            "  - {} ({package}): not found on PATH; or set {variable}",
            names[0]
        ));
    }
    found
}

/// `$variable` if set, else `default`; must be an existing file.
fn file(
    variable: &str,
    default: PathBuf,
    package: &str,
    missing: &mut Vec<String>,
) -> Option<PathBuf> {
    let path = std::env::var_os(variable)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
        .unwrap_or(default);
    if path.is_file() {
        Some(path)
    } else {
        missing.push(format!(
            "  - {} ({package}): no file at {}; or set {variable}",
            path.file_name().unwrap_or_default().to_string_lossy(),
            path.display()
        ));
        None
    }
}
