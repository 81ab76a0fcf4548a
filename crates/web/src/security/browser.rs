//! A browser's `User-Agent` in a few words ("Firefox on Linux", "Safari on iPhone", "curl"):
//! enough for a person to recognise their own devices in the Sessions page and the security
//! log, which also show the raw string on hover. A small table of tokens, not a full parser:
//! the order of the checks matters, since most browsers claim to be several others.

/// What `user_agent` names, in words; "Unknown device" when there is none.
pub fn describe(user_agent: Option<&str>) -> String {
    let ua = user_agent.map(str::trim).unwrap_or_default();
    if ua.is_empty() {
        return "Unknown device".into();
    }
    if let Some(tool) = tool(ua) {
        return tool.into();
    }
    match (browser(ua), platform(ua)) {
        (Some(b), Some(p)) => format!("{b} on {p}"),
        (Some(b), None) => b.into(),
        (None, Some(p)) => format!("A browser on {p}"),
        (None, None) => product(ua).unwrap_or_else(|| "Unknown browser".into()),
    }
}

/// Command-line tools and libraries, named alone.
fn tool(ua: &str) -> Option<&'static str> {
    const TOOLS: [(&str, &str); 8] = [
        ("curl/", "curl"),
        ("Wget/", "Wget"),
        ("HTTPie/", "HTTPie"),
        ("python-requests/", "Python requests"),
        ("python-httpx/", "Python httpx"),
        ("Go-http-client/", "Go HTTP client"),
        ("okhttp/", "OkHttp"),
        ("PostmanRuntime/", "Postman"),
    ];
    TOOLS
        .iter()
        .find(|(token, _)| ua.starts_with(token))
        .map(|(_, name)| *name)
}

fn browser(ua: &str) -> Option<&'static str> {
    // The most specific first: Edge, Opera, Samsung's and others also say "Chrome" and
    // "Safari"; Chrome says "Safari"; Firefox on iOS says "FxiOS".
    const BROWSERS: [(&str, &str); 12] = [
        ("Edg/", "Edge"),
        ("EdgA/", "Edge"),
        ("EdgiOS/", "Edge"),
        ("OPR/", "Opera"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("Vivaldi/", "Vivaldi"),
        ("Firefox/", "Firefox"),
        ("FxiOS/", "Firefox"),
        ("HeadlessChrome/", "Headless Chrome"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("CriOS/", "Chrome"),
    ];
    if let Some((_, name)) = BROWSERS.iter().find(|(token, _)| ua.contains(token)) {
        return Some(name);
    }
    if ua.contains("Safari/") && ua.contains("Version/") {
        return Some("Safari");
    }
    None
}

fn platform(ua: &str) -> Option<&'static str> {
    const PLATFORMS: [(&str, &str); 9] = [
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("CrOS", "ChromeOS"),
        ("Windows", "Windows"),
        ("Macintosh", "macOS"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
        ("FreeBSD", "FreeBSD"),
    ];
    PLATFORMS
        .iter()
        .find(|(token, _)| ua.contains(token))
        .map(|(_, name)| *name)
}

/// The leading product name of an agent this does not know ("MyScript/1.0" → "MyScript"),
/// when it looks like one.
fn product(ua: &str) -> Option<String> {
    let first = ua.split([' ', '/']).next()?;
    let plausible = !first.is_empty()
        && first.len() <= 32
        && first
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    plausible.then(|| first.to_string())
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn common_browsers_are_named_with_their_platform() {
        let cases = [
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
                "Firefox on Linux",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                "Safari on iPhone",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, \
                 like Gecko) Version/17.4 Safari/605.1.15",
                "Safari on macOS",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like \
                 Gecko) Chrome/131.0.0.0 Safari/537.36",
                "Chrome on Windows",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like \
                 Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like \
                 Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
                "Chrome on Android",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) FxiOS/131.0 Mobile/15E148 Safari/605.1.15",
                "Firefox on iPhone",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 HeadlessChrome/131.0.0.0 Safari/537.36",
                "Headless Chrome on Linux",
            ),
        ];
        for (ua, expected) in cases {
            assert_eq!(describe(Some(ua)), expected, "{ua}");
        }
    }

    #[test]
    fn tools_and_unknown_agents_are_named_plainly() {
        assert_eq!(describe(Some("curl/8.5.0")), "curl");
        assert_eq!(describe(Some("python-requests/2.32.3")), "Python requests");
        assert_eq!(
            describe(Some("backup-script/1.2 (+https://x)")),
            "backup-script"
        );
        assert_eq!(
            describe(Some("Mozilla/5.0 (X11; Linux)")),
            "A browser on Linux"
        );
        assert_eq!(describe(Some("¿qué?")), "Unknown browser");
        assert_eq!(describe(Some("   ")), "Unknown device");
        assert_eq!(describe(None), "Unknown device");
    }
}
