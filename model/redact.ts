import * as fs from "fs";

/**
 * One redactor for every secret this process holds: our Git, SCM, Argo and webhook tokens and the state
 * passphrase. Whatever we store or print (gate logs and messages, release records, errors, CLI output) goes
 * through `redact` or `redactDeep`, so a secret a gate echoes, or one an error message quotes, never reaches
 * a record or a terminal.
 */

/** Environment variables that hold our own credentials, named exactly. */
export const secretEnvNames = [
    "PROMOTIONS_GIT_TOKEN",
    "PROMOTIONS_GIT_TOKENS",
    "PULUMI_CONFIG_PASSPHRASE",
    "PULUMI_CONFIG_PASSPHRASE_FILE",
    "PULUMI_ACCESS_TOKEN",
    "PROMOTIONS_GITHUB_TOKEN",
    "PROMOTIONS_SCM_TOKEN",
    "PROMOTIONS_ARGO_TOKEN",
    "PROMOTIONS_ARGOCD_TOKEN",
    "PROMOTIONS_WEBHOOK_SECRET",
    // libpq's password for a postgres:// state backend
    "PGPASSWORD",
] as const;

/**
 * The variables the hosts configuration (`PROMOTIONS_HOSTS`) names as holding a code host's token or webhook
 * secret (`tokenEnv`, `webhookSecretEnv`): any name the user chose, e.g. `GITLAB_TOKEN`. A configuration that
 * does not parse names none (the CLI refuses it).
 */
export function hostSecretEnvNames(env: Readonly<Record<string, string | undefined>>): string[] {
    try {
        const entries = JSON.parse(env.PROMOTIONS_HOSTS ?? "[]") as unknown;
        return Array.isArray(entries)
            ? entries.flatMap((e: unknown) =>
                  ["tokenEnv", "webhookSecretEnv"]
                      .map((k) => (e as Record<string, unknown> | null)?.[k])
                      .filter((v): v is string => typeof v === "string"),
              )
            : [];
    } catch {
        return [];
    }
}

/**
 * True for a variable that holds one of our credentials: the names above, any `PROMOTIONS_*` name
 * containing TOKEN, SECRET or PASSPHRASE, and the code hosts' token and webhook variables `env`'s
 * `PROMOTIONS_HOSTS` names. Such variables never reach a gate, even when its `passEnv` lists them.
 */
export function isSecretEnvName(
    name: string,
    env: Readonly<Record<string, string | undefined>> = process.env,
): boolean {
    return (
        (secretEnvNames as readonly string[]).includes(name) ||
        /^PROMOTIONS_.*(TOKEN|SECRET|PASSPHRASE)/.test(name) ||
        hostSecretEnvNames(env).includes(name)
    );
}

/** Values this short are left alone: replacing every "a" or "42" would destroy the text and hide nothing. */
const minimumLength = 4;

class SecretRegistry {
    private readonly values = new Set<string>();
    private seeded = false;

    /** Remembers a secret (and its URL-encoded form) from now on; short or empty values are ignored. */
    add(value: string | undefined): void {
        for (const v of [value, value === undefined ? undefined : encodeURIComponent(value)]) {
            if (v !== undefined && v.trim().length >= minimumLength) {
                this.values.add(v);
                this.values.add(v.trim());
            }
        }
    }

    /** Stops redacting a value (a token revoked and replaced; tests that registered one). */
    forget(value: string): void {
        for (const v of [value, encodeURIComponent(value)]) {
            this.values.delete(v);
            this.values.delete(v.trim());
        }
    }

    /**
     * Remembers the secrets held by these environment variables (see `isSecretEnvName`): the values of
     * `PROMOTIONS_GIT_TOKENS` (JSON, host to token) one by one, and the content of the passphrase file.
     */
    addFromEnv(env: Readonly<Record<string, string | undefined>>): void {
        for (const [name, value] of Object.entries(env)) {
            if (value === undefined || !isSecretEnvName(name, env)) {
                continue;
            }
            if (name === "PROMOTIONS_GIT_TOKENS") {
                this.addJsonValues(value);
            } else if (name === "PULUMI_CONFIG_PASSPHRASE_FILE") {
                this.addFileContent(value);
            } else {
                this.add(value);
            }
        }
    }

    /** The secrets known now, longest first (so a secret containing another is replaced whole). */
    list(): string[] {
        this.seed();
        return [...this.values].sort((a, b) => b.length - a.length);
    }

    private seed(): void {
        if (!this.seeded) {
            this.seeded = true;
            this.addFromEnv(process.env);
        }
    }

    private addJsonValues(json: string): void {
        try {
            const parsed = JSON.parse(json) as unknown;
            if (parsed !== null && typeof parsed === "object") {
                for (const v of Object.values(parsed)) {
                    if (typeof v === "string") {
                        this.add(v);
                    }
                }
                return;
            }
        } catch {
            // not JSON: the CLI refuses it; hide it whole meanwhile
        }
        this.add(json);
    }

    private addFileContent(file: string): void {
        try {
            this.add(fs.readFileSync(file, "utf8"));
        } catch {
            // unreadable: the path itself is no secret, and Pulumi reports the problem
        }
    }
}

/** The process-wide secret registry, seeded from `process.env` when first used. */
export const secrets = new SecretRegistry();

/** The text with every known secret replaced by `***`. */
export function redact(text: string): string {
    let out = text;
    for (const secret of secrets.list()) {
        if (out.includes(secret)) {
            out = out.split(secret).join("***");
        }
    }
    return out;
}

/** A JSON-able value (a record, a result) with every string in it redacted; keys are kept. */
export function redactDeep<T>(value: T): T {
    if (typeof value === "string") {
        return redact(value) as T;
    }
    if (Array.isArray(value)) {
        return value.map((v: unknown) => redactDeep(v)) as T;
    }
    if (value !== null && typeof value === "object" && !(value instanceof Date)) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v)])) as T;
    }
    return value;
}
