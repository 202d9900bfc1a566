//! Runs the calls of the whole API and renders their replies: JSON, or a table for a
//! person (activations, their summary, invoices).

use crate::api_args::{ApiCall, Format, LoginPlan, RequestAuth};
use crate::loopback::{self, Page, WaitError, CALLBACK_PATH};
use crate::output;
use crate::progress::Progress;
use crate::table;
use jetpack_partner_core::oauth::{self, AuthorizeParams, Grant, Scope};
use jetpack_partner_core::{ApiRequest, Auth, Client, Error, Options};
use serde_json::{json, Map, Value};
use std::io::IsTerminal;
use std::net::TcpListener;
use std::time::Instant;

/// A failed command: printed as the failure JSON, exit 1.
#[derive(Debug)]
pub struct Failure {
    pub code: String,
    pub message: String,
    pub http_status: Option<u16>,
}

impl Failure {
    pub fn new(code: &str, message: impl Into<String>) -> Failure {
        Failure {
            code: code.to_owned(),
            message: message.into(),
            http_status: None,
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure {
            code: e.code().to_owned(),
            message: e.message().to_owned(),
            http_status: e.http_status(),
        }
    }
}

/// Page size of `activations --all` when `--per_page` is not given (the server's maximum).
const ALL_PER_PAGE: u64 = 100;

/// Runs `call`; the text to print on success.
pub fn execute(
    client: &Client,
    call: ApiCall,
    format: Format,
    partner_id: &str,
    api_base: &str,
) -> Result<String, Failure> {
    let table = match format {
        Format::Json => false,
        Format::Table => true,
        Format::Auto => std::io::stdout().is_terminal(),
    };
    let body = match call {
        ApiCall::StatusV12 { site } => client.status_v12(&site)?.body,
        ApiCall::UpgradePaths { site } => client.upgrade_paths(&site)?.body,
        ApiCall::Errors { verbose } => client.errors(verbose)?.body,
        ApiCall::PartnerKeysVerify => client.partner_keys_verify()?.body,
        ApiCall::Activations {
            token,
            partner,
            key_id,
            options,
            all,
        } => {
            if all {
                let items = all_activations(client, token.expose(), &partner, &key_id, options)?;
                if table {
                    let footer = format!("{} activations.", items.len());
                    return Ok(table::activations(&items, &footer));
                }
                json!({"total": items.len(), "activations": items})
            } else {
                let body = client
                    .activations(token.expose(), &partner, &key_id, &options)?
                    .body;
                if table {
                    let items = activation_list(&body)?;
                    return Ok(table::activations(
                        items,
                        &table::page_footer(&body, items.len()),
                    ));
                }
                body
            }
        }
        ApiCall::ActivationsSummary { token, options } => {
            let body = client.activations_summary(token.expose(), &options)?.body;
            if table {
                return Ok(table::summary(&body));
            }
            body
        }
        ApiCall::Invoices {
            token,
            partner,
            key_id,
        } => {
            let body = client.invoices(token.expose(), &partner, &key_id)?.body;
            if table {
                return Ok(table::invoices(&body));
            }
            body
        }
        ApiCall::UpcomingInvoice {
            token,
            partner,
            key_id,
        } => {
            let body = client
                .upcoming_invoice(token.expose(), &partner, &key_id)?
                .body;
            if table {
                return Ok(table::invoice(&body));
            }
            body
        }
        ApiCall::Partner { token } => client.partner_details(token.expose())?.body,
        ApiCall::TokenInfo { token } => client.token_info(token.expose())?.body,
        ApiCall::Request(plan) => {
            let mut request = ApiRequest::new(&plan.method, &plan.path);
            request.query = plan.query.0;
            request.form = plan.form.map(|f| f.0);
            request.json = plan.json.map(|b| b.0);
            request.auth = match plan.auth {
                RequestAuth::Partner => Auth::Partner,
                RequestAuth::None => Auth::None,
                RequestAuth::User(token) => Auth::User(token.expose().to_owned()),
            };
            client.request(&request)?.body
        }
        ApiCall::LicenseIssue { product } => client.license_issue(&product)?.body,
        ApiCall::LicenseStatus { license_key } => client.license_status(&license_key)?.body,
        ApiCall::LicenseRevoke { license_key } => client.license_revoke(&license_key)?.body,
        ApiCall::LicenseAttach { license_key, site } => {
            client.license_attach(&license_key, &site)?.body
        }
        ApiCall::LicenseDetach {
            license_key,
            cancellation_email,
        } => {
            client
                .license_detach(&license_key, cancellation_email)?
                .body
        }
        ApiCall::ProductFamilies => client.product_families()?.body,
        ApiCall::LicensingPartner { token } => client.licensing_partner(token.expose())?.body,
        ApiCall::SiteConnection { url, local_user } => {
            client.site_connection(&url, &local_user)?.body
        }
        ApiCall::Login(plan) => return login(client, plan, partner_id, api_base),
    };
    Ok(output::success(&body))
}

/// The `activations` list of a reporting reply.
fn activation_list(body: &Value) -> Result<&[Value], Failure> {
    body.get("activations")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .ok_or_else(|| {
            Failure::new(
                "invalid_response",
                "activations: the reply has no \"activations\" list",
            )
        })
}

/// Every activation, page after page (progress on a terminal's stderr).
fn all_activations(
    client: &Client,
    token: &str,
    partner: &str,
    key_id: &str,
    mut options: Options,
) -> Result<Vec<Value>, Failure> {
    let per_page = options
        .get("per_page")
        .and_then(Value::as_u64)
        .unwrap_or(ALL_PER_PAGE);
    options.insert("per_page".into(), per_page.into());
    let mut progress = Progress::on_terminal();
    let mut items: Vec<Value> = Vec::new();
    let mut page: u64 = 1;
    loop {
        options.insert("page".into(), page.into());
        let body = client.activations(token, partner, key_id, &options)?.body;
        let list = activation_list(&body)?;
        let total = body.get("total").and_then(Value::as_u64);
        let n = list.len() as u64;
        items.extend(list.iter().cloned());
        progress.update("activations", items.len() as u64, total);
        let done = n == 0 || n < per_page || total.is_some_and(|t| items.len() as u64 >= t);
        if done {
            break;
        }
        page += 1;
    }
    progress.finish();
    Ok(items)
}

/// `login`: the authorization-code flow with a loopback redirect.
fn login(
    client: &Client,
    plan: LoginPlan,
    partner_id: &str,
    api_base: &str,
) -> Result<String, Failure> {
    // A token nobody can store is wasted: check the destination before the flow.
    if let Some(path) = &plan.token_file {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        if dir.is_some_and(|d| !d.is_dir()) || path.is_dir() {
            return Err(Failure::new(
                "invalid_argument",
                format!(
                    "token_file: cannot write '{}': no such directory, or a directory",
                    path.display()
                ),
            ));
        }
    }
    let listener = TcpListener::bind(("127.0.0.1", plan.port)).map_err(|e| {
        Failure::new(
            "transport_error",
            format!("login: cannot listen on 127.0.0.1:{}: {e}", plan.port),
        )
    })?;
    let port = listener
        .local_addr()
        .map_err(|e| Failure::new("transport_error", format!("login: {e}")))?
        .port();
    let redirect_uri = format!("http://127.0.0.1:{port}{CALLBACK_PATH}");
    let mut params = AuthorizeParams::new(partner_id, &redirect_uri);
    params.blog = plan.blog.clone();
    params.scope = match plan.scope.as_deref() {
        Some("global") => Some(Scope::Global),
        Some("auth") => Some(Scope::Auth),
        _ => None,
    };
    let (url, state) = oauth::authorize_url(api_base, &params)?;
    eprintln!("jetpack-partner: to sign in, open this address in a browser:");
    eprintln!("{url}");
    eprintln!(
        "jetpack-partner: waiting up to {} s for the authorization at {redirect_uri}",
        plan.wait.as_secs()
    );
    if plan.open && !loopback::open_browser(&url) {
        eprintln!("jetpack-partner: note: no browser could be started; open the address yourself");
    }
    let deadline = Instant::now() + plan.wait;
    let outcome = loopback::wait_for_callback(&listener, deadline, |target| {
        let received = format!("http://127.0.0.1:{port}{target}");
        let result = oauth::parse_redirect(&received, &state).and_then(|grant| match grant {
            Grant::Code { code } => client.exchange_code(&code, &redirect_uri).map(|r| r.body),
            Grant::Token {
                access_token,
                expires_in,
                token_type,
                site_id,
            } => Ok(json!({
                "access_token": access_token,
                "expires_in": expires_in,
                "token_type": token_type,
                "site_id": site_id,
            })),
        });
        let page = match &result {
            Ok(_) => Page {
                status: 200,
                message: "Signed in: jetpack-partner has the token. You can close this window."
                    .into(),
            },
            Err(e) => Page {
                status: 400,
                message: format!("Sign-in failed ({}): {}", e.code(), e.message()),
            },
        };
        (result, page)
    });
    let body = match outcome {
        Err(WaitError::TimedOut) => {
            return Err(Failure::new(
                "timeout",
                format!(
                    "login: no authorization came back within {} s (--wait)",
                    plan.wait.as_secs()
                ),
            ))
        }
        Err(WaitError::Io(e)) => {
            return Err(Failure::new(
                "transport_error",
                format!("login: the loopback listener failed: {e}"),
            ))
        }
        Ok(result) => result?,
    };
    let Some(token) = body.get("access_token").and_then(Value::as_str) else {
        return Err(Failure::new(
            "invalid_response",
            "login: the token reply has no access_token",
        ));
    };
    let mut out = Map::new();
    out.insert("success".into(), Value::Bool(true));
    if let Some(path) = &plan.token_file {
        loopback::write_private(path, &format!("{token}\n")).map_err(|e| {
            Failure::new(
                "invalid_argument",
                format!("token_file: cannot write '{}': {e}", path.display()),
            )
        })?;
        out.insert(
            "token_file".into(),
            Value::String(path.display().to_string()),
        );
    }
    if let Value::Object(fields) = &body {
        for (k, v) in fields {
            if k != "access_token" || plan.print {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(output::success(&Value::Object(out)))
}
