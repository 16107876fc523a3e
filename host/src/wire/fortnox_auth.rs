//! Fortnox access tokens for one connection. Refresh tokens are single use and rotate, so
//! a refresh is single-flight (one at a time, later callers reuse its result, and no other
//! process or host refreshes meanwhile) and the new pair is kept before the new access
//! token is used: a crash can never leave the connection holding only a spent refresh token.

use crate::state::secrets::{FORTNOX_TOKENS, Secrets};
use anyhow::Result;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Mutex;

/// Refresh this long before expiry, so a token never dies in the middle of a page.
const EARLY: Duration = Duration::from_secs(300);

/// The integration as registered in Fortnox's developer portal.
#[derive(Clone)]
pub struct FortnoxApp {
    pub client_id: String,
    pub client_secret: String,
    /// e.g. `https://apps.fortnox.se`; the token endpoint is `/oauth-v1/token` under it.
    pub auth_base: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSet {
    pub access_token: String,
    /// None for service accounts (client credentials).
    pub refresh_token: Option<String>,
    /// Unix seconds.
    pub expires_at: u64,
    /// Set for a service account: new access tokens come from client credentials.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// Set when Fortnox refused the chain: no call is made until the merchant reconnects.
    #[serde(default)]
    pub needs_reconnect: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// Only the merchant can fix this: the consent was revoked or the chain broken.
    NeedsReconnect(String),
    /// Fortnox could not be reached or answered oddly; try again later.
    Failed(String),
}

impl std::fmt::Display for AuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthError::NeedsReconnect(why) => write!(
                f,
                "Fortnox no longer accepts this connection's login ({why}); run `woonox connect fortnox` to connect it again"
            ),
            AuthError::Failed(why) => write!(f, "could not get a Fortnox access token: {why}"),
        }
    }
}

impl std::error::Error for AuthError {}

pub struct FortnoxTokens {
    app: FortnoxApp,
    secrets: Arc<Secrets>,
    connection: String,
    current: Mutex<Option<TokenSet>>,
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()
}

impl FortnoxTokens {
    /// The connection's kept tokens; there may be none yet.
    pub fn load(app: FortnoxApp, secrets: Arc<Secrets>, connection: &str) -> Result<FortnoxTokens> {
        let current = secrets.read::<TokenSet>(connection, FORTNOX_TOKENS)?;
        Ok(FortnoxTokens { app, secrets, connection: connection.to_owned(), current: Mutex::new(current) })
    }

    /// The integration this login belongs to.
    pub fn app(&self) -> &FortnoxApp {
        &self.app
    }

    /// A valid access token, refreshing first when it is about to expire.
    pub async fn access_token(&self) -> Result<String, AuthError> {
        let mut current = self.current.lock().await;
        match current.as_ref() {
            Some(TokenSet { needs_reconnect: Some(why), .. }) => Err(AuthError::NeedsReconnect(why.clone())),
            Some(set) if set.expires_at > now() + EARLY.as_secs() => Ok(set.access_token.clone()),
            Some(_) => self.renew(&mut current, None).await,
            None => Err(AuthError::NeedsReconnect("no Fortnox tokens stored".into())),
        }
    }

    /// Fortnox answered 401 to `rejected`: renew unless another caller already has.
    pub async fn after_unauthorized(&self, rejected: &str) -> Result<String, AuthError> {
        let mut current = self.current.lock().await;
        match current.as_ref() {
            Some(TokenSet { needs_reconnect: Some(why), .. }) => Err(AuthError::NeedsReconnect(why.clone())),
            Some(set) if set.access_token != rejected => Ok(set.access_token.clone()),
            Some(_) => self.renew(&mut current, Some(rejected)).await,
            None => Err(AuthError::NeedsReconnect("no Fortnox tokens stored".into())),
        }
    }

    /// Why the connection needs a reconnect, if Fortnox refused its token chain.
    pub async fn needs_reconnect(&self) -> Option<String> {
        self.current.lock().await.as_ref().and_then(|set| set.needs_reconnect.clone())
    }

    /// Stores the first token set (from `woonox connect fortnox`).
    pub async fn store(&self, set: TokenSet) -> Result<()> {
        self.secrets.write(&self.connection, FORTNOX_TOKENS, &set)?;
        *self.current.lock().await = Some(set);
        Ok(())
    }

    /// Runs with the in-process lock held and the kept tokens locked against every other
    /// process and host, so there is never a second refresh in flight. A pair another
    /// process already renewed is adopted instead of spending its refresh token.
    async fn renew(&self, current: &mut Option<TokenSet>, rejected: Option<&str>) -> Result<String, AuthError> {
        let outcome = self
            .secrets
            .locked::<TokenSet, _>(&self.connection, FORTNOX_TOKENS, async |kept| {
                Ok(self.renew_locked(kept, current, rejected).await)
            })
            .await;
        outcome.map_err(|e| AuthError::Failed(format!("cannot keep the new tokens: {e:#}")))?
    }

    /// What to keep (written before the lock is let go) and the token to use.
    async fn renew_locked(
        &self,
        kept: Option<TokenSet>,
        current: &mut Option<TokenSet>,
        rejected: Option<&str>,
    ) -> (Option<TokenSet>, Result<String, AuthError>) {
        if let Some(kept) = kept.clone()
            && Some(&kept) != current.as_ref()
            && Some(kept.access_token.as_str()) != rejected
            && kept.expires_at > now() + EARLY.as_secs()
        {
            let token = kept.access_token.clone();
            *current = Some(kept);
            return (None, Ok(token));
        }
        let Some(old) = kept.or_else(|| current.clone()) else {
            return (None, Err(AuthError::NeedsReconnect("no Fortnox tokens stored".into())));
        };
        let (form, tenant) = match (&old.tenant_id, &old.refresh_token) {
            (Some(tenant), _) => (vec![("grant_type", "client_credentials".to_owned())], Some(tenant.clone())),
            (None, Some(refresh)) => {
                (vec![("grant_type", "refresh_token".to_owned()), ("refresh_token", refresh.clone())], None)
            }
            (None, None) => return (None, Err(AuthError::NeedsReconnect("no refresh token stored".into()))),
        };
        match request_token(&self.app, form, tenant.clone()).await {
            Ok(mut fresh) => {
                // Kept before use: the old refresh token is already spent.
                fresh.tenant_id = tenant;
                let token = fresh.access_token.clone();
                *current = Some(fresh.clone());
                (Some(fresh), Ok(token))
            }
            Err(AuthError::NeedsReconnect(why)) => {
                // Remembered, so a status page can say so and nothing hammers Fortnox.
                let marked = TokenSet { needs_reconnect: Some(why.clone()), ..old };
                *current = Some(marked.clone());
                (Some(marked), Err(AuthError::NeedsReconnect(why)))
            }
            Err(e) => (None, Err(e)),
        }
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    refresh_token: Option<String>,
    expires_in: u64,
}

/// POSTs to the token endpoint with the client's Basic credentials.
pub async fn request_token(
    app: &FortnoxApp,
    form: Vec<(&'static str, String)>,
    tenant_id: Option<String>,
) -> Result<TokenSet, AuthError> {
    let url = format!("{}/oauth-v1/token", app.auth_base.trim_end_matches('/'));
    // The client secret goes there: the same address rules as every other call.
    let origin = crate::wire::http_policy::Origin::parse(&url).map_err(AuthError::Failed)?;
    crate::wire::destination::resolve(&origin.host, origin.port, Default::default())
        .await
        .map_err(AuthError::Failed)?;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", app.client_id, app.client_secret));
    let answer = tokio::task::spawn_blocking(move || -> Result<(u16, String), String> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        let mut request = agent.post(&url).header("Authorization", &format!("Basic {basic}"));
        if let Some(tenant) = &tenant_id {
            request = request.header("TenantId", tenant);
        }
        let mut response = request.send_form(form.iter().map(|(k, v)| (*k, v.as_str()))).map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        Ok((status, response.body_mut().read_to_string().map_err(|e| e.to_string())?))
    })
    .await
    .map_err(|e| AuthError::Failed(e.to_string()))?
    .map_err(AuthError::Failed)?;
    let (status, body) = answer;
    match status {
        200 => {
            let t: TokenAnswer =
                serde_json::from_str(&body).map_err(|e| AuthError::Failed(format!("unexpected token answer: {e}")))?;
            Ok(TokenSet {
                access_token: t.access_token,
                refresh_token: t.refresh_token,
                expires_at: now() + t.expires_in,
                tenant_id: None,
                needs_reconnect: None,
            })
        }
        400 | 401 => {
            let why = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["error_description"].as_str().or(v["error"].as_str()).map(str::to_owned))
                .unwrap_or_else(|| format!("HTTP {status}"));
            Err(AuthError::NeedsReconnect(why))
        }
        _ => Err(AuthError::Failed(format!("the token endpoint answered HTTP {status}"))),
    }
}
