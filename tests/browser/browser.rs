//! A headless Chromium, driven over WebDriver by a chromedriver these tests
//! start themselves, with helpers that act as a person does: follow links by
//! their text, type into fields found by their label, press buttons by their
//! text, read what the page says. One file because it is one thing, the
//! browser a test holds; most of its length is the waits a real page needs.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::key::Key;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::tools::tools;

/// How long a wait for something on the page may take. Generous: CI has two
/// cores and runs two browsers at once.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// The flags that keep Chromium headless, off the network and out of any
/// existing profile (a fresh `--user-data-dir` is added per browser).
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Viewport {
    /// A 1280×900 desktop window.
    Desktop,
    /// A 390×844 phone (CSS pixels, at two device pixels each), emulated as
    /// a mobile device so the page's viewport meta tag applies.
    Phone,
}

impl Viewport {
    pub fn name(self) -> &'static str {
        match self {
            Self::Desktop => "desktop",
            Self::Phone => "phone",
        }
    }

    pub fn width(self) -> u32 {
        match self {
            Self::Desktop => 1280,
            Self::Phone => 390,
        }
    }

    fn height(self) -> u32 {
        match self {
            Self::Desktop => 900,
            Self::Phone => 844,
        }
    }
}

/// A chromedriver process on a free loopback port, killed (with the browsers
/// it started) when dropped.
struct ChromeDriver {
    child: Child,
    url: String,
}

impl ChromeDriver {
    async fn start() -> Self {
        let mut last_error = String::new();
        // The port is free when picked but could be taken before chromedriver
        // binds it; try again on another then.
        for _ in 0..3 {
            let port = free_port();
            let mut command = Command::new(&tools().chromedriver);
            command
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                // Its own process group, so drop can end the browsers with it.
                .process_group(0);
            if let Some(log) = std::env::var_os("CHROMEDRIVER_LOG") {
                let mut log_arg = std::ffi::OsString::from("--log-path=");
                log_arg.push(log);
                command.arg(log_arg).arg("--append-log").arg("--verbose");
            }
            let child = command.spawn().unwrap_or_else(|err| {
                panic!("cannot start {}: {err}", tools().chromedriver.display())
            });
            let mut driver = Self {
                child,
                url: format!("http://127.0.0.1:{port}/"),
            };
            match driver.wait_until_ready().await {
                Ok(()) => return driver,
                Err(err) => last_error = err,
            }
        }
        panic!("chromedriver did not start: {last_error}");
    }

    async fn wait_until_ready(&mut self) -> Result<(), String> {
        let client = reqwest::Client::new();
        let status_url = format!("{}status", self.url);
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().map_err(|err| err.to_string())? {
                return Err(format!("chromedriver exited with {status}"));
            }
            if let Ok(response) = client.get(&status_url).send().await
                && let Ok(body) = response.json::<Value>().await
                && body["value"]["ready"] == json!(true)
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("no answer at {status_url}"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        // The whole process group: chromedriver and any Chromium it started.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}

/// A chromedriver-only command: run one Chrome DevTools Protocol method.
#[derive(Debug)]
struct Cdp {
    method: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (reqwest::Method, Option<String>) {
        // reqwest's Method is the `http` crate's, the type fantoccini takes.
        let body = json!({ "cmd": self.method, "params": self.params });
        (reqwest::Method::POST, Some(body.to_string()))
    }
}

/// One headless Chromium with a fresh profile, looking at one running app.
pub struct Browser {
    client: Client,
    base: String,
    pub viewport: Viewport,
    // Dropped in this order: the driver (and its browser) before the profile.
    _driver: ChromeDriver,
    _profile: TempDir,
}

impl Browser {
    /// A desktop-sized browser with JavaScript on.
    pub async fn desktop(app_address: &str) -> Self {
        Self::start(app_address, Viewport::Desktop, true).await
    }

    /// A browser signed in as the test app's admin.
    pub async fn start(app_address: &str, viewport: Viewport, javascript: bool) -> Self {
        let browser = Self::signed_out(app_address, viewport, javascript).await;
        browser
            .sign_in_as(crate::app::STAFF_EMAIL, crate::app::STAFF_PASSWORD)
            .await;
        browser
    }

    /// A browser no one has signed in on.
    pub async fn signed_out(app_address: &str, viewport: Viewport, javascript: bool) -> Self {
        let tools = tools();
        let driver = ChromeDriver::start().await;
        let profile = tempfile::Builder::new()
            .prefix("chromium-profile-")
            .tempdir()
            .expect("a temporary Chromium profile folder");
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|&flag| flag.into()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.push(format!(
            "--window-size={},{}",
            viewport.width(),
            viewport.height()
        ));
        let mut options = json!({
            "binary": tools.chromium,
            "args": args,
        });
        if viewport == Viewport::Phone {
            options["mobileEmulation"] = json!({
                "deviceMetrics": {
                    "width": viewport.width(),
                    "height": viewport.height(),
                    "pixelRatio": 2,
                    "mobile": true,
                    "touch": true,
                }
            });
        }
        if !javascript {
            options["args"]
                .as_array_mut()
                .unwrap()
                .push("--blink-settings=scriptEnabled=false".into());
            options["prefs"] = json!({ "profile.managed_default_content_settings.javascript": 2 });
        }
        let capabilities = json!({
            "browserName": "chrome",
            // Dialogs are the tests' to answer, never answered for them.
            "unhandledPromptBehavior": "ignore",
            "goog:chromeOptions": options,
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url)
            .await
            .unwrap_or_else(|err| {
                panic!(
                    "chromedriver could not start {}: {err}",
                    tools.chromium.display()
                )
            });
        let browser = Self {
            client,
            base: app_address.trim_end_matches('/').to_owned(),
            viewport,
            _driver: driver,
            _profile: profile,
        };
        // Keeps every response body, so that the HTML of a page that answered
        // a POST can be read back too (see `source_as_received`).
        browser.cdp("Network.enable", json!({})).await;
        browser
    }

    /// Signs in through the sign-in page, as a person would: every page but
    /// that one needs it.
    pub async fn sign_in_as(&self, email: &str, password: &str) {
        self.open("/").await;
        self.wait_for_heading("Sign in").await;
        self.fill("Email", email).await;
        self.fill("Password", password).await;
        self.click_button("Sign in").await;
        self.wait_for_heading("Students").await;
    }

    /// Ends the WebDriver session (closing Chromium) and stops chromedriver.
    pub async fn quit(self) {
        let _ = self.client.clone().close().await;
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Types an address into the address bar, as it were.
    pub async fn open(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.client
            .goto(&url)
            .await
            .unwrap_or_else(|err| panic!("cannot open {url}: {err}"));
    }

    /// The path of the page shown, e.g. `/3/edit/`.
    pub async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("the current URL")
            .path()
            .to_owned()
    }

    /// Polls `probe` until it gives `Some`, or fails the test after
    /// [`PATIENCE`] saying what it waited for.
    pub async fn wait_for<T>(
        &self,
        what: &str,
        mut probe: impl AsyncFnMut() -> Result<Option<T>, CmdError>,
    ) -> T {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let last = match probe().await {
                Ok(Some(value)) => return value,
                Ok(None) => "not yet".to_owned(),
                Err(err) => err.to_string(),
            };
            if Instant::now() > deadline {
                let url = self.client.current_url().await.map(|u| u.to_string());
                panic!("waited {PATIENCE:?} for {what} (last: {last}); page: {url:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for an element matching `css` (`what` names it in a failure).
    pub async fn wait_for_element(&self, what: &str, css: &str) {
        self.wait_for(what, async || Ok(self.has(css).await.then_some(())))
            .await;
    }

    /// Waits for the page's main heading to read `text`.
    pub async fn wait_for_heading(&self, text: &str) {
        self.wait_for(&format!("the heading {text:?}"), async || {
            let heading = self.client.find(Locator::Css("h1")).await?.text().await?;
            Ok((heading.trim() == text).then_some(()))
        })
        .await;
    }

    /// The main heading.
    pub async fn heading(&self) -> String {
        self.text_of("h1").await
    }

    /// The visible text of the first element matching `css`.
    pub async fn text_of(&self, css: &str) -> String {
        self.wait_for(&format!("an element {css}"), async || {
            Ok(Some(
                self.client.find(Locator::Css(css)).await?.text().await?,
            ))
        })
        .await
    }

    /// Everything the page's main region says, as rendered text.
    pub async fn main_text(&self) -> String {
        self.text_of("main").await
    }

    /// Whether an element matching `css` is on the page now.
    pub async fn has(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("find elements")
            .is_empty()
    }

    /// Waits for the status region (`role="status"`) to announce a message and
    /// returns it.
    pub async fn flash(&self) -> String {
        self.wait_for("a message in the role=status region", async || {
            let region = self.client.find(Locator::Css("[role=status]")).await?;
            let text = region.text().await?;
            Ok((!text.trim().is_empty()).then(|| text.trim().to_owned()))
        })
        .await
    }

    /// The first displayed element whose rendered text, spaces normalised, is
    /// `text` or starts with `text` and a space (so "Edit" finds a link read
    /// out as "Edit Sammy Shark"). `tag` is `a` or `button`.
    async fn by_text(&self, tag: &str, text: &str) -> Element {
        let literal = xpath_literal(text);
        let xpath = format!(
            "//{tag}[normalize-space(.)={literal} or starts-with(normalize-space(.), concat({literal}, ' '))]"
        );
        self.wait_for(&format!("a {tag} reading {text:?}"), async || {
            for element in self.client.find_all(Locator::XPath(&xpath)).await? {
                if element.is_displayed().await? {
                    return Ok(Some(element));
                }
            }
            Ok(None)
        })
        .await
    }

    /// Clicks the link that reads `text`.
    pub async fn click_link(&self, text: &str) {
        let link = self.by_text("a", text).await;
        link.click()
            .await
            .unwrap_or_else(|err| panic!("cannot click the link {text:?}: {err}"));
    }

    /// Clicks the button that reads `text`.
    pub async fn click_button(&self, text: &str) {
        let button = self.by_text("button", text).await;
        button
            .click()
            .await
            .unwrap_or_else(|err| panic!("cannot click the button {text:?}: {err}"));
    }

    /// The `<label>` whose own text (without the required marker) is `label`.
    async fn label(&self, label: &str) -> Element {
        let xpath = format!(
            "//label[normalize-space(text()[1])={}]",
            xpath_literal(label)
        );
        self.wait_for(&format!("a label {label:?}"), async || {
            Ok(self
                .client
                .find_all(Locator::XPath(&xpath))
                .await?
                .into_iter()
                .next())
        })
        .await
    }

    /// The form control labelled `label` (through the label's `for`).
    pub async fn control(&self, label: &str) -> Element {
        let for_id = self
            .label(label)
            .await
            .attr("for")
            .await
            .expect("label attribute")
            .unwrap_or_else(|| panic!("the label {label:?} names no control (no `for`)"));
        self.client
            .find(Locator::Id(&for_id))
            .await
            .unwrap_or_else(|_| panic!("the label {label:?} is for #{for_id}, which is missing"))
    }

    /// Clicks the label `label`, as a person does, and types `value` into the
    /// control that then has the focus, replacing what it held. Fails if the
    /// click did not focus the labelled control.
    pub async fn fill(&self, label: &str, value: &str) {
        let expected = self.control(label).await;
        self.label(label)
            .await
            .click()
            .await
            .unwrap_or_else(|err| panic!("cannot click the label {label:?}: {err}"));
        let focused = self.client.active_element().await.expect("active element");
        assert_eq!(
            focused.element_id(),
            expected.element_id(),
            "clicking the label {label:?} should focus its control"
        );
        focused.clear().await.expect("clear the field");
        if !value.is_empty() {
            focused
                .send_keys(value)
                .await
                .unwrap_or_else(|err| panic!("cannot type into {label:?}: {err}"));
        }
    }

    /// What the control labelled `label` holds now.
    pub async fn value_of(&self, label: &str) -> String {
        self.control(label)
            .await
            .prop("value")
            .await
            .expect("value property")
            .unwrap_or_default()
    }

    /// Presses Tab once.
    pub async fn press_tab(&self) {
        let tab = KeyActions::new("keyboard".into())
            .then(KeyAction::Down {
                value: Key::Tab.into(),
            })
            .then(KeyAction::Up {
                value: Key::Tab.into(),
            });
        self.client.perform_actions(tab).await.expect("press Tab");
    }

    /// Runs `script` (a function body; `arguments` are `args`) in the page.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|err| panic!("script failed: {err}\n{script}"))
    }

    /// Waits for the open dialog (alert, confirm) and returns its text.
    pub async fn dialog_text(&self) -> String {
        self.wait_for("a dialog", async || {
            match self.client.get_alert_text().await {
                Ok(text) => Ok(Some(text)),
                Err(err) if err.is_no_such_alert() => Ok(None),
                Err(err) => Err(err),
            }
        })
        .await
    }

    /// Whether a dialog is open now.
    pub async fn dialog_is_open(&self) -> bool {
        match self.client.get_alert_text().await {
            Ok(_) => true,
            Err(err) if err.is_no_such_alert() => false,
            Err(err) => panic!("cannot ask for a dialog: {err}"),
        }
    }

    /// Runs one Chrome DevTools Protocol method through chromedriver.
    pub async fn cdp(&self, method: &'static str, params: Value) -> Value {
        self.client
            .issue_cmd(Cdp { method, params })
            .await
            .unwrap_or_else(|err| panic!("CDP {method} failed: {err}"))
    }

    /// The HTML of the shown page exactly as the server sent it (not the DOM
    /// re-serialised), also when it answered a form's POST. The network domain,
    /// enabled at start, keeps the body of the request that loaded the frame,
    /// and a navigation's request id is its loader id.
    pub async fn source_as_received(&self) -> String {
        let tree = self.cdp("Page.getResourceTree", json!({})).await;
        let frame = &tree["frameTree"]["frame"];
        let body = self
            .cdp(
                "Network.getResponseBody",
                json!({ "requestId": frame["loaderId"] }),
            )
            .await;
        assert_eq!(
            body["base64Encoded"],
            json!(false),
            "the page should be text"
        );
        body["body"].as_str().expect("the page's HTML").to_owned()
    }

    /// Saves a screenshot of the viewport as
    /// `target/screenshots/<page>-<viewport>.png`.
    pub async fn screenshot(&self, page: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("create the screenshot folder");
        let path = dir.join(format!("{page}-{}.png", self.viewport.name()));
        std::fs::write(&path, png).expect("write the screenshot");
        path
    }

    /// Fails if the page is wider than the viewport (it would scroll sideways)
    /// or, on a phone, if the browser had to zoom out to fit it.
    pub async fn assert_no_horizontal_scroll(&self, page: &str) {
        let sizes = self
            .js(
                "return { scrollWidth: document.documentElement.scrollWidth, \
                 innerWidth: window.innerWidth, clientWidth: document.documentElement.clientWidth };",
                vec![],
            )
            .await;
        let scroll_width = sizes["scrollWidth"].as_u64().unwrap();
        let inner_width = sizes["innerWidth"].as_u64().unwrap();
        assert!(
            scroll_width <= inner_width,
            "{page} at {} scrolls sideways: {sizes}",
            self.viewport.name()
        );
        if self.viewport == Viewport::Phone {
            assert_eq!(
                inner_width,
                u64::from(Viewport::Phone.width()),
                "{page} on a phone is laid out at another width (zoomed out?): {sizes}"
            );
        }
    }
}

/// Where screenshots go: `$SCREENSHOT_DIR`, else `target/screenshots`.
pub fn screenshot_dir() -> PathBuf {
    std::env::var_os("SCREENSHOT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots"))
}

/// `text` as an XPath string literal.
fn xpath_literal(text: &str) -> String {
    if !text.contains('\'') {
        format!("'{text}'")
    } else if !text.contains('"') {
        format!("\"{text}\"")
    } else {
        let parts: Vec<String> = text.split('\'').map(|part| format!("'{part}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}
