//! What the Airflow and Astro adapters share: a client with timeouts, bearer requests that
//! never leak the token, and base URL checks.

use std::time::Duration;

use reqwest::{Method, Url};
use serde_json::Value;

use astro_identity_domain::Sensitive;

use crate::CloudError;

/// One HTTP answer: the status and the body as text (bodies are small JSON documents).
pub(crate) struct Answer {
    pub status: u16,
    pub body: String,
    /// Where a redirect points (redirects are never followed).
    pub location: Option<String>,
    /// The `Retry-After` header of a 429 (seconds, as sent).
    pub retry_after: Option<String>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A client for one server and one bearer token.
pub(crate) struct Bearer {
    client: reqwest::Client,
    token: Sensitive<String>,
}

impl std::fmt::Debug for Bearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bearer").field("token", &self.token).finish_non_exhaustive()
    }
}

impl Bearer {
    pub fn new(token: Sensitive<String>) -> Result<Self, CloudError> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            // A redirect could carry the token to another host; the APIs never redirect.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| CloudError::Cloud {
                action: String::from("set up the HTTP client"),
                code: String::from("client"),
                message: e.to_string(),
            })?;
        Ok(Self { client, token })
    }

    /// Sends one request with the token; a transport failure is `Unreachable` naming `url`.
    pub async fn send(&self, method: Method, url: Url, body: Option<&Value>) -> Result<Answer, CloudError> {
        let endpoint = display_url(&url);
        let mut request = self.client.request(method, url).bearer_auth(self.token.expose());
        if let Some(body) = body {
            request = request.json(body);
        }
        let unreachable = |e: reqwest::Error| CloudError::Unreachable {
            endpoint: endpoint.clone(),
            detail: self.scrub(&transport_detail(&e)),
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .map(|value| self.scrub(value));
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let body = response.text().await.map_err(unreachable)?;
        Ok(Answer { status, body, location, retry_after })
    }

    /// `text` with the token cut out, for any message built from what a server answered.
    pub fn scrub(&self, text: &str) -> String {
        let token = self.token.expose();
        if token.is_empty() { text.to_owned() } else { text.replace(token.as_str(), "<redacted>") }
    }
}

/// A redirect, which is never followed (it could carry the token elsewhere): says where it
/// points, as a `Cloud` error.
pub(crate) fn redirect_error(answer: &Answer, action: String) -> CloudError {
    CloudError::Cloud {
        action,
        code: format!("HTTP {}", answer.status),
        message: format!(
            "the server redirects to {}; redirects are not followed so that the token goes nowhere \
             else: use the final address (e.g. https:// instead of http://), or check the token if \
             it points to a login page",
            answer.location.as_deref().unwrap_or("another address")
        ),
    }
}

/// What went wrong on the wire, without reqwest's "error sending request for url (…)"
/// wrapper repeating the URL.
fn transport_detail(err: &reqwest::Error) -> String {
    let mut detail = if err.is_timeout() {
        String::from("timed out")
    } else if err.is_connect() {
        String::from("could not connect")
    } else {
        String::from("the request failed")
    };
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        detail.push_str(": ");
        detail.push_str(&cause.to_string());
        source = cause.source();
    }
    detail
}

/// The URL as shown in messages: scheme, host, port and path only.
pub(crate) fn display_url(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

/// Checks a base URL typed by a person: http(s), a host, no user name or password (they
/// would end up in messages and the journal), no query or fragment. The trailing `/` is
/// dropped.
pub(crate) fn parse_base_url(text: &str, field: &str) -> Result<Url, CloudError> {
    let refuse = |reason: String| CloudError::Refused {
        reason,
        hint: format!(
            "Give the {field} as http(s)://host[:port][/path], e.g. http://localhost:8080; the token \
             goes in its own field."
        ),
    };
    let mut url = Url::parse(text.trim()).map_err(|e| refuse(format!("the {field} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(refuse(format!("{} is not an http(s) URL with a host", display_url(&url))));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse(format!("the {field} contains a user name or password")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(refuse(format!("the {field} has a query or fragment")));
    }
    let trimmed = url.path().trim_end_matches('/').to_owned();
    url.set_path(&trimmed);
    Ok(url)
}

/// `base` with `segments` appended, each percent-encoded as one path segment.
pub(crate) fn url_with(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty();
        path.extend(segments);
    }
    url
}

/// The base URL without a trailing `/`, as journal accounts and messages show it.
pub(crate) fn base_string(url: &Url) -> String {
    url.as_str().trim_end_matches('/').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_checked_and_trimmed() {
        let url = parse_base_url("http://localhost:8080/", "Airflow URL").expect("valid");
        assert_eq!(base_string(&url), "http://localhost:8080");
        let url = parse_base_url(" https://org.astronomer.run/d123/ ", "Airflow URL").expect("valid");
        assert_eq!(base_string(&url), "https://org.astronomer.run/d123");
        assert_eq!(
            url_with(&url, &["api", "v2", "connections", "a b/c"]).as_str(),
            "https://org.astronomer.run/d123/api/v2/connections/a%20b%2Fc"
        );
        for bad in
            ["localhost:8080", "ftp://x", "http://user:pw@x", "http://x/?token=1", "http://x/#f", "nope"]
        {
            let err = parse_base_url(bad, "Airflow URL").expect_err(bad);
            assert_eq!(err.code(), "refused", "{bad}");
            assert!(!err.to_string().contains("pw"), "{err}");
        }
    }

    #[test]
    fn the_token_never_shows() {
        let bearer = Bearer::new(Sensitive::new(String::from("tok-123"))).expect("client");
        assert!(!format!("{bearer:?}").contains("tok-123"));
        assert_eq!(bearer.scrub("bad token tok-123!"), "bad token <redacted>!");
    }
}
