// Fixtures shared by the component tests and the accessibility test (src/a11y.test.ts), so
// both render the same data.
import type { AirflowConnection, CredentialSummary } from "../ipc";

/** What the home screen receives: one SSO profile, gcloud's sign-in, one keyring entry. */
export function credentialSummary(overrides: Partial<CredentialSummary> = {}): CredentialSummary {
  return {
    aws: {
      configFile: "/home/ada/.aws/config",
      credentialsFile: "/home/ada/.aws/credentials",
      profiles: [
        {
          name: "data-sso",
          kind: "sso",
          region: "eu-west-1",
          accountId: "111122223333",
          role: "DataEngineer",
        },
      ],
      problem: null,
    },
    gcp: {
      adcPath: "/home/ada/.config/gcloud/application_default_credentials.json",
      fromEnv: false,
      adc: { state: "found", kind: "authorized_user", principal: null, project: "astro-data" },
    },
    keyring: { unavailable: null, held: [{ provider: "aws", profile: "prod" }] },
    ...overrides,
  };
}

/** An AWS connection with three of its formats. */
export const awsConnection: AirflowConnection = {
  connId: "aws_default",
  connType: "aws",
  connTypeLabel: "Amazon Web Services",
  extraJson: "{}",
  envVar: "AIRFLOW_CONN_AWS_DEFAULT",
  envJson: "{}",
  providerPackage: "apache-airflow-providers-amazon",
  providerRequirement: "apache-airflow-providers-amazon",
  formats: [
    {
      format: "ui",
      label: "Airflow UI",
      text: "Connection Id: aws_default",
      note: null,
      envVar: null,
    },
    {
      format: "env-json",
      label: "Env var (JSON)",
      text: '{"conn_type":"aws"}',
      note: "Set it in the Deployment's environment variables.",
      envVar: "AIRFLOW_CONN_AWS_DEFAULT",
    },
    {
      format: "cli",
      label: "Airflow CLI",
      text: "airflow connections add …",
      note: null,
      envVar: null,
    },
  ],
};
