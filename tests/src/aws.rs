//! AWS targets against moto: each test gets its own region (moto keeps state
//! per region), a target pointing at moto, and SDK clients to read state back.

use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use slipway_server::targets::ecs::Aws;
use slipway_server::targets::ecs::target::{AwsTarget, CredentialSource, TargetAccess};

use crate::deploys::Api;
use crate::moto::moto;
use crate::registry::registry;

/// Regions moto knows; each test takes the next one, so tests never see each other's resources.
const REGIONS: [&str; 12] = [
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-southeast-1",
    "ap-southeast-2",
];

pub fn fresh_region() -> &'static str {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    REGIONS[NEXT.fetch_add(1, Ordering::SeqCst) % REGIONS.len()]
}

pub const ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// The API body of a target in `region` on moto, pushing to the test registry.
pub fn target_body(name: &str, region: &str) -> Value {
    json!({
        "name": name,
        "region": region,
        "credentials": "access_key",
        "access_key_id": ACCESS_KEY_ID,
        "secret_access_key": SECRET_ACCESS_KEY,
        "base_domain": "apps.example.com",
        "endpoint_url": moto().endpoint,
        "registry_override": registry().address,
    })
}

/// Creates a target over the API; returns its name.
pub async fn create_target(api: &Api, region: &str) -> String {
    let name =
        crate::unique("t").replace('_', "-").chars().take(20).collect::<String>().trim_end_matches('-').to_owned();
    let (status, answer) = api.post("/api/v1/targets", target_body(&name, region)).await;
    assert_eq!(status, 201, "creating a target: {answer}");
    name
}

/// SDK clients on moto in `region`, for reading state back.
pub async fn sdk(region: &str) -> Aws {
    let target = AwsTarget {
        id: 0,
        name: "reader".into(),
        region: region.into(),
        credentials: CredentialSource::AccessKey,
        access_key_id: Some(ACCESS_KEY_ID.into()),
        has_secret_access_key: true,
        role_arn: None,
        cluster: String::new(),
        vpc_id: None,
        subnets: vec![],
        public_ip: true,
        load_balancer: String::new(),
        certificate_arn: None,
        base_domain: String::new(),
        execution_role_arn: None,
        log_retention_days: 30,
        keep_images: 20,
        rollout_timeout_secs: 60,
        endpoint_url: Some(moto().endpoint.clone()),
        registry_override: None,
        apps: vec![],
        created_at: String::new(),
        updated_at: String::new(),
    };
    Aws::connect(&TargetAccess { target, secret_access_key: Some(SECRET_ACCESS_KEY.into()) })
        .await
        .expect("SDK clients on moto")
}

/// Requests an ACM certificate from moto (for HTTPS listeners); returns its ARN.
pub async fn request_certificate(region: &str, domain: &str) -> String {
    let answer: Value = reqwest::Client::new()
        .post(&moto().endpoint)
        .header("Content-Type", "application/x-amz-json-1.1")
        .header("X-Amz-Target", "CertificateManager.RequestCertificate")
        .header(
            "Authorization",
            format!("AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/20260101/{region}/acm/aws4_request, SignedHeaders=host, Signature=0"),
        )
        .body(json!({ "DomainName": domain, "ValidationMethod": "DNS" }).to_string())
        .send()
        .await
        .expect("RequestCertificate")
        .json()
        .await
        .expect("RequestCertificate JSON");
    answer["CertificateArn"].as_str().unwrap_or_else(|| panic!("no certificate ARN: {answer}")).to_owned()
}
