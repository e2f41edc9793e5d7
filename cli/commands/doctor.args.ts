import type { HostEntry } from "../../provider/scm/scm";
import type { CommandSpec } from "../spec";

export interface DoctorCommandOptions {
    readonly configPath: string;
    /** `--config` or PROMOTIONS_CONFIG named the definitions (else the default ./promotions). */
    readonly configNamed: boolean;
    readonly stateUrl: string;
    /** PROMOTIONS_STORE: the release store, when not the state backend's own. */
    readonly storeUrl?: string;
    readonly passphrase: string;
    readonly cacheDir: string;
    readonly searchPath?: string;
    /** The hosts configuration (PROMOTIONS_HOSTS): each host's token is checked. */
    readonly hosts?: readonly HostEntry[];
}

export const doctorSpec = {
    summary:
        "check Node.js, git, the Pulumi engine, the state backend, the definitions and each configured code host's token",
    usage: "promote [--config DIR|MODULE] [--state URL] doctor",
    options: {},
    help: {},
    build: (_v, _p, s): DoctorCommandOptions => ({
        configPath: s.configPath,
        configNamed: s.configNamed,
        stateUrl: s.stateUrl,
        ...(s.storeUrl ? { storeUrl: s.storeUrl } : {}),
        passphrase: s.passphrase,
        cacheDir: s.cacheDir,
        ...(s.searchPath !== undefined ? { searchPath: s.searchPath } : {}),
        ...(s.scm.hosts && s.scm.hosts.length > 0 ? { hosts: s.scm.hosts } : {}),
    }),
} satisfies CommandSpec<DoctorCommandOptions>;
