import { isSecretEnvName } from "../../model/redact";

/** What every gate sees of the CLI's environment, besides what its `passEnv` lists. */
export const baseGateVariables = ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "USER", "TMPDIR"] as const;

/**
 * The variables of `source` a gate may see: the base ones and those its `passEnv` names (`*` matches any
 * characters), never one of our own credentials (`isSecretEnvName`, the code hosts' token variables
 * included), whatever the list says.
 */
export function gateEnvironment(
    source: Readonly<Record<string, string | undefined>>,
    passEnv: readonly string[] = [],
): Record<string, string> {
    const patterns = [...baseGateVariables, ...passEnv].map(
        (p) => new RegExp(`^${p.split("*").map(escapeRegExp).join(".*")}$`),
    );
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(source)) {
        if (value !== undefined && !isSecretEnvName(name, source) && patterns.some((r) => r.test(name))) {
            out[name] = value;
        }
    }
    return out;
}

function escapeRegExp(s: string): string {
    return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
