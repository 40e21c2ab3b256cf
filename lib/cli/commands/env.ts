// `corso env`: Corso's environment variable guide (src/cli/help/env.go): an intro on stderr and
// three tables on stdout.
import { info, printTable } from "../print.ts";

const CORSO = "Corso";
const AZURE = "Azure AD App Credentials";
const AWS = "AWS Credentials";

export const ENV_VARS: { category: string; name: string; description: string }[] = [
  {
    category: CORSO,
    name: "CORSO_PASSPHRASE",
    description: "Passphrase to protect encrypted repository contents. It is impossible to use the repository or recover any backups without this key.",
  },
  { category: AZURE, name: "AZURE_CLIENT_ID", description: "Client ID for your Azure AD application used to access your M365 tenant." },
  { category: AZURE, name: "AZURE_TENANT_ID", description: "ID for the M365 tenant where the Azure AD application is registered." },
  { category: AZURE, name: "AZURE_CLIENT_SECRET", description: "Azure secret for your Azure AD application used to access your M365 tenant." },
  { category: AWS, name: "AWS_ACCESS_KEY_ID", description: "Access key for an IAM user or role for accessing an S3 bucket." },
  { category: AWS, name: "AWS_SECRET_ACCESS_KEY", description: "Secret key associated with the access key." },
  { category: AWS, name: "AWS_SESSION_TOKEN", description: "Session token required when using temporary credentials." },
];

export async function printEnvGuide(): Promise<void> {
  info(
    "\n--- Environment Variable Guide ---\n",
    "As a best practice, Corso retrieves credentials and sensitive information from environment variables.\n ",
    "\n",
  );
  for (const [i, cat] of [CORSO, AZURE, AWS].entries()) {
    if (i > 0) info("\n");
    printTable(
      [cat, " "],
      ENV_VARS.filter((v) => v.category === cat).map((v) => [v.name, v.description]),
    );
  }
}
