//! A Service Quotas endpoint (awsJson1_1, `X-Amz-Target: ServiceQuotasV20190624.<Operation>`)
//! that answers `GetServiceQuota` with what a test set: an applied value, or an error by its
//! `__type`, as the real service does. moto knows only VPC quotas, so IAM's needs this.

use std::io::{BufRead, BufReader, Read, Write};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::Error;
use crate::fake_server::{lock, serve_on_loopback};

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct QuotaRequest {
    pub target: String,
    pub authorization: String,
    pub body: Value,
}

#[derive(Default)]
struct State {
    /// `Ok(value)` or `Err((status, __type))`.
    answer: Option<Result<f64, (u16, String)>>,
    seen: Vec<QuotaRequest>,
}

pub struct ServiceQuotasFake {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl ServiceQuotasFake {
    pub fn start() -> Result<Self, Error> {
        let (url, state) = serve_on_loopback(State::default(), |stream, state| {
            // A broken connection is the client's to report.
            let _ = serve(stream, state);
        })?;
        Ok(Self { url, state })
    }

    /// The account's applied value of every quota asked for.
    pub fn applied(&self, value: f64) {
        lock(&self.state).answer = Some(Ok(value));
    }

    /// Every request fails with `status` and this `__type` (e.g. `AccessDeniedException`).
    pub fn refuse(&self, status: u16, error_type: &str) {
        lock(&self.state).answer = Some(Err((status, error_type.to_owned())));
    }

    pub fn seen(&self) -> Vec<QuotaRequest> {
        lock(&self.state).seen.clone()
    }
}

fn serve(stream: std::net::TcpStream, state: &Mutex<State>) -> Result<(), Error> {
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let (mut length, mut target, mut authorization) = (0usize, String::new(), String::new());
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap_or(0),
                "x-amz-target" => target = value.trim().to_owned(),
                "authorization" => authorization = value.trim().to_owned(),
                _ => {}
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut state = lock(state);
    state.seen.push(QuotaRequest { target: target.clone(), authorization, body: body.clone() });
    let (status, answer) = match (&state.answer, target.as_str()) {
        (Some(Ok(value)), "ServiceQuotasV20190624.GetServiceQuota") => (
            200,
            json!({"Quota": {
                "ServiceCode": body["ServiceCode"], "QuotaCode": body["QuotaCode"],
                "ServiceName": "AWS Identity and Access Management (IAM)",
                "QuotaName": "Role trust policy length", "Value": value, "Unit": "None",
                "Adjustable": true, "GlobalQuota": true
            }}),
        ),
        (Some(Err((status, kind))), _) => {
            (*status, json!({"__type": kind, "Message": "refused by the test"}))
        }
        _ => (400, json!({"__type": "UnknownOperationException", "Message": target})),
    };
    let text = answer.to_string();
    write!(
        writer,
        "HTTP/1.1 {status} X\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
        text.len()
    )?;
    Ok(())
}
