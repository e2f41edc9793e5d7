import { CommandError, ConcurrentUpdateError } from "@pulumi/pulumi/automation";
import { engineErrors, exitCodes, PromotionError } from "../model/errors";
import { displayText } from "./display";

export interface Classified {
    readonly exitCode: number;
    /** What to print after `error: ` (empty: print nothing). */
    readonly message: string;
}

export interface ClassifyContext {
    /** The state backend in use, to name it when Pulumi cannot use it. */
    readonly stateUrl?: string;
    /** PROMOTIONS_DEBUG=1: add the stack of an unexpected error. */
    readonly debug?: boolean;
}

/** The `error: ...` lines of Pulumi's stderr inside a CommandError (its message also holds stdout and more). */
function pulumiErrors(e: CommandError): string[] {
    const result = (e as unknown as { commandResult?: { stderr?: string } }).commandResult;
    return engineErrors(result?.stderr ?? e.message);
}

/** The state backend's storage refused a write: its disk is full, or it is read-only. */
const storageTrouble = /no space left on device|read-only file system|disk quota exceeded/i;

const backendTrouble =
    /PULUMI_ACCESS_TOKEN|unable to open state directory|blob \(key|meta\.yaml|NoSuchBucket|failed to log ?in|login|credentials|no such host|connection refused/i;

function commandError(e: CommandError, ctx: ClassifyContext): Classified {
    const errors = pulumiErrors(e);
    const detail = displayText(errors.join("; ") || "no error message");
    const state = ctx.stateUrl
        ? `the state backend "${displayText(ctx.stateUrl)}" (--state)`
        : "the state backend (--state)";
    if (errors.some((l) => l.includes("PULUMI_ACCESS_TOKEN"))) {
        const cloud = ctx.stateUrl === undefined || /^https?:\/\//.test(ctx.stateUrl);
        return {
            exitCode: exitCodes.environment,
            message: cloud
                ? `Pulumi cannot log in to ${state}: PULUMI_ACCESS_TOKEN is not set. ` +
                  "Set PULUMI_ACCESS_TOKEN for Pulumi Cloud, or pass --state file://DIR (or s3://, azblob://, gs://)"
                : `Pulumi cannot use ${state}: it is not a file://, s3://, azblob://, gs:// or Pulumi Cloud URL ` +
                  "(Pulumi takes it for Pulumi Cloud and asks for PULUMI_ACCESS_TOKEN). " +
                  "Pass --state file://DIR or a bucket URL such as s3://BUCKET?region=REGION",
        };
    }
    if (errors.some((l) => storageTrouble.test(l))) {
        return {
            exitCode: exitCodes.environment,
            message:
                `the storage of ${state} refused a write: ${detail}. Free space on it or make it writable, then ` +
                "run 'promote retry ID' for the release (a write that failed left the previous state readable; " +
                "'promote doctor' checks every state file)",
        };
    }
    if (errors.some((l) => backendTrouble.test(l))) {
        return {
            exitCode: exitCodes.environment,
            message: `Pulumi cannot use ${state}: ${detail}. Check the URL and its credentials (promote doctor checks them)`,
        };
    }
    return { exitCode: exitCodes.failed, message: `Pulumi failed: ${detail}` };
}

/**
 * The one place errors become exit codes and messages (README, "Exit codes"): our errors by their exit code
 * (git and code-host problems are EnvironmentErrors: 3), Pulumi unable to use the state backend or a stack locked by
 * another update 3, a closed stdout (`promote preview | head`) a quiet 0, anything else 1. Never a stack
 * trace unless `debug`.
 */
export function classifyError(e: unknown, ctx: ClassifyContext = {}): Classified {
    if (e instanceof PromotionError) {
        return { exitCode: e.exitCode, message: e.message };
    }
    if ((e as NodeJS.ErrnoException | undefined)?.code === "EPIPE") {
        return { exitCode: exitCodes.ok, message: "" };
    }
    if (e instanceof ConcurrentUpdateError) {
        return {
            exitCode: exitCodes.environment,
            message:
                "another Pulumi update holds this product's stack (its lock in the state backend): wait for it " +
                "to finish; if that process died, run 'pulumi cancel' on the stack",
        };
    }
    if (e instanceof CommandError) {
        return commandError(e, ctx);
    }
    const message = e instanceof Error ? e.message : String(e);
    return {
        exitCode: exitCodes.failed,
        message: ctx.debug && e instanceof Error && e.stack ? e.stack : message,
    };
}
