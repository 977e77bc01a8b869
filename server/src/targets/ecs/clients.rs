//! The AWS clients of one target, and AWS errors in plain words.
//!
//! Credentials come from the SDK's default chain, a stored access key, or a
//! role assumed on top of either. The HTTP client is rustls with ring (one TLS
//! stack for the whole binary); throttling is retried by the SDK (standard
//! mode, 5 attempts with backoff).

use std::sync::OnceLock;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_ecs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls;
use aws_smithy_runtime_api::client::http::SharedHttpClient;

use super::target::{CredentialSource, TargetAccess};
use crate::deploy::Failure;

/// One client per AWS service a deploy touches.
#[derive(Clone, Debug)]
pub struct Aws {
    pub ec2: aws_sdk_ec2::Client,
    pub ecr: aws_sdk_ecr::Client,
    pub ecs: aws_sdk_ecs::Client,
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    pub iam: aws_sdk_iam::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub sts: aws_sdk_sts::Client,
    pub region: String,
}

fn http_client() -> SharedHttpClient {
    static CLIENT: OnceLock<SharedHttpClient> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            aws_smithy_http_client::Builder::new()
                .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::Ring))
                .build_https()
        })
        .clone()
}

impl Aws {
    pub async fn connect(access: &TargetAccess) -> Result<Self, AwsError> {
        let target = &access.target;
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http_client())
            .region(Region::new(target.region.clone()))
            .retry_config(RetryConfig::standard().with_max_attempts(5));
        if let Some(endpoint) = &target.endpoint_url {
            loader = loader.endpoint_url(endpoint);
        }
        if let (Some(id), Some(secret)) = (&target.access_key_id, &access.secret_access_key) {
            loader = loader.credentials_provider(aws_credential_types::Credentials::new(
                id.clone(),
                secret.clone(),
                None,
                None,
                "slipway-target",
            ));
        }
        let mut config: SdkConfig = loader.load().await;
        if target.credentials == CredentialSource::AssumeRole
            && let Some(role) = &target.role_arn
        {
            let provider = aws_config::sts::AssumeRoleProvider::builder(role)
                .session_name(format!("slipway-{}", target.name))
                .configure(&config)
                .build()
                .await;
            config = config
                .into_builder()
                .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(provider))
                .build();
        }
        Ok(Self::from_config(&config, &target.region))
    }

    pub fn from_config(config: &SdkConfig, region: &str) -> Self {
        Self {
            ec2: aws_sdk_ec2::Client::new(config),
            ecr: aws_sdk_ecr::Client::new(config),
            ecs: aws_sdk_ecs::Client::new(config),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(config),
            iam: aws_sdk_iam::Client::new(config),
            logs: aws_sdk_cloudwatchlogs::Client::new(config),
            ssm: aws_sdk_ssm::Client::new(config),
            sts: aws_sdk_sts::Client::new(config),
            region: region.to_owned(),
        }
    }
}

/// An AWS call that failed: the IAM action it needed, AWS's error code, and
/// a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    pub action: &'static str,
    pub code: Option<String>,
    pub message: String,
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AwsError {}

impl AwsError {
    pub fn is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }

    pub fn new(action: &'static str, message: impl Into<String>) -> Self {
        Self { action, code: None, message: message.into() }
    }
}

impl From<AwsError> for Failure {
    fn from(error: AwsError) -> Self {
        Failure::new(error.message)
    }
}

impl From<AwsError> for crate::Error {
    fn from(error: AwsError) -> Self {
        crate::Error::Upstream { code: "aws_error", message: error.message }
    }
}

/// Codes AWS uses for a missing permission.
const DENIED: [&str; 5] =
    ["AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess", "AuthorizationError"];
const BAD_CREDENTIALS: [&str; 6] = [
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "ExpiredToken",
    "ExpiredTokenException",
    "SignatureDoesNotMatch",
    "AuthFailure",
];

/// `action` is the IAM action of the call, e.g. "ecs:CreateService".
pub fn explain(action: &'static str, code: Option<&str>, message: Option<&str>, other: &str) -> AwsError {
    let detail = message.unwrap_or(other).trim().trim_end_matches('.');
    let text = match code {
        Some(code) if DENIED.contains(&code) => format!(
            "AWS refused {action}: the target's credentials lack the \"{action}\" permission. \
             Add it to their IAM policy (docs/aws/slipway-iam-policy.json lists everything Slipway needs). AWS said: {detail}."
        ),
        Some(code) if BAD_CREDENTIALS.contains(&code) => format!(
            "AWS did not accept the target's credentials ({code}) when calling {action}: check the access key, \
             or the role Slipway assumes. AWS said: {detail}."
        ),
        Some(code) if code.contains("Throttl") || code == "RequestLimitExceeded" => {
            format!("AWS kept throttling {action} after 5 attempts; try again in a minute. AWS said: {detail}.")
        }
        Some(code) if code.contains("LimitExceeded") || code.starts_with("TooMany") || code.contains("Quota") => {
            format!(
                "{action} hit an AWS quota ({code}): {detail}. Raise the quota in the Service Quotas console, \
                 or remove resources you no longer use."
            )
        }
        Some(code) => format!("AWS refused {action} ({code}): {detail}."),
        None => format!("Calling AWS ({action}) failed: {detail}."),
    };
    AwsError { action, code: code.map(str::to_owned), message: text }
}

/// Turns an SDK error into an `AwsError` for `action`.
pub fn refused<E, R>(action: &'static str, error: SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    match &error {
        SdkError::ServiceError(service) => {
            let e = service.err();
            explain(action, e.code(), e.message(), &DisplayErrorContext(&error).to_string())
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => AwsError::new(
            action,
            format!(
                "Could not reach AWS to call {action}: {}. Check the network, and the target's region and endpoint.",
                DisplayErrorContext(&error)
            ),
        ),
        _ => {
            let context = DisplayErrorContext(&error).to_string();
            let message = if context.contains("no credentials") || context.contains("credentials provider") {
                format!(
                    "No AWS credentials for {action}: the target uses the default credential chain and none was found \
                     (environment, profile, instance or task role). Store an access key on the target, or provide one. ({context})"
                )
            } else {
                format!("Calling AWS ({action}) failed: {context}")
            };
            AwsError::new(action, message)
        }
    }
}

/// A look-up that may find nothing: `Ok(None)` when AWS answers with the
/// error code `missing` (e.g. "NoSuchEntity"), the value otherwise.
pub fn unless_missing<T, E, R>(
    action: &'static str,
    missing: &str,
    result: Result<T, SdkError<E, R>>,
) -> Result<Option<T>, AwsError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(value) => Ok(Some(value)),
        Err(error) => {
            let error = refused(action, error);
            if error.is(missing) { Ok(None) } else { Err(error) }
        }
    }
}

/// `.map_err(failed("ecs:CreateService"))` on an SDK call.
pub fn failed<E, R>(action: &'static str) -> impl FnOnce(SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    move |error| refused(action, error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_denied_names_the_permission() {
        let error = explain("ecs:CreateService", Some("AccessDeniedException"), Some("User is not authorized"), "");
        assert!(error.message.contains("lack the \"ecs:CreateService\" permission"), "{}", error.message);
        assert!(error.message.contains("slipway-iam-policy.json"));
    }

    #[test]
    fn quotas_and_credentials_in_plain_words() {
        let quota =
            explain("elasticloadbalancing:CreateLoadBalancer", Some("TooManyLoadBalancers"), Some("limit 50"), "");
        assert!(quota.message.contains("hit an AWS quota"), "{}", quota.message);
        let creds = explain("sts:GetCallerIdentity", Some("InvalidClientTokenId"), None, "bad token");
        assert!(creds.message.contains("did not accept the target's credentials"), "{}", creds.message);
        assert!(creds.message.contains("bad token"));
    }
}

#[cfg(test)]
mod policy_tests {
    use std::collections::BTreeSet;

    /// Every IAM action the AWS target calls (named in `failed(..)` /
    /// `refused(..)` / `AwsError::new(..)`) is granted by the documented policy.
    #[test]
    fn the_documented_iam_policy_grants_every_call() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let policy = std::fs::read_to_string(root.join("../docs/aws/slipway-iam-policy.json")).unwrap();
        let policy: serde_json::Value = serde_json::from_str(&policy).unwrap();
        let granted: BTreeSet<String> = policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| match &s["Action"] {
                serde_json::Value::String(one) => vec![one.clone()],
                many => many.as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_owned()).collect(),
            })
            .collect();
        let mut called = BTreeSet::new();
        for file in std::fs::read_dir(root.join("src/targets/ecs")).unwrap() {
            let text = std::fs::read_to_string(file.unwrap().path()).unwrap();
            for piece in text.split('"').skip(1).step_by(2) {
                let service = piece.split(':').next().unwrap_or_default();
                let is_action = ["ec2", "ecr", "ecs", "elasticloadbalancing", "iam", "logs", "ssm", "sts"]
                    .contains(&service)
                    && piece.split(':').nth(1).is_some_and(|a| {
                        a.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                            && a.chars().all(|c| c.is_ascii_alphanumeric())
                    })
                    && piece.matches(':').count() == 1;
                if is_action {
                    called.insert(piece.to_owned());
                }
            }
        }
        assert!(called.len() > 40, "found the calls: {called:?}");
        // Granted to the task execution role Slipway creates, not to Slipway itself.
        let execution_role_only = ["ssm:GetParameters"];
        let missing: Vec<&String> =
            called.iter().filter(|a| !granted.contains(*a) && !execution_role_only.contains(&a.as_str())).collect();
        assert!(missing.is_empty(), "the policy lacks {missing:?}");
    }
}
