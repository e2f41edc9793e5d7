import pino from "pino";
import type { ProgressEvent } from "../engine/promoteEngine";
import { redact } from "../model/redact";
import type { Terminal } from "./context";
import { displayText } from "./display";

/** What a log line is about, where known. */
export interface LogFields {
    readonly release?: string;
    readonly product?: string;
    readonly environment?: string;
    readonly [key: string]: string | number | boolean | undefined;
}

/** `promote serve`'s log: `[component] text` lines on a terminal, one JSON object a line otherwise. */
export interface ServeLog {
    info(component: string, msg: string, fields?: LogFields): void;
    warn(component: string, msg: string, fields?: LogFields): void;
    /** The engine's progress: each release and environment status, as a line with its fields (JSON only). */
    readonly progress?: (e: ProgressEvent) => void;
}

export type LogFormat = "json" | "text";

/** Today's text lines on stderr. */
export function textLog(io: Terminal): ServeLog {
    return {
        info: (component, msg) => io.err(`[${component}] ${displayText(msg)}`),
        warn: (component, msg) => io.err(`[${component}] ${displayText(msg)}`),
    };
}

/**
 * JSON lines (pino) on stderr: `time`, `level`, `component`, `msg`, and `release`, `product`, `environment`
 * where known. Each serialized line goes through the redactor, fields included, so a secret a message or an
 * error quotes never reaches the log collector.
 */
export function jsonLog(io: Pick<Terminal, "errRaw">): ServeLog {
    const logger = pino(
        {
            base: undefined,
            timestamp: pino.stdTimeFunctions.isoTime,
            formatters: { level: (label) => ({ level: label }) },
            hooks: { streamWrite: (line) => redact(line) },
        },
        { write: (line: string) => io.errRaw(line) },
    );
    const clean = (fields: LogFields | undefined) =>
        Object.fromEntries(Object.entries(fields ?? {}).filter(([, v]) => v !== undefined));
    // A release's product and status, for the environment events (which name only the release).
    const releases = new Map<
        string,
        { product: string; status: string; environments: Map<string, string> }
    >();
    return {
        info: (component, msg, fields) => logger.info({ component, ...clean(fields) }, msg),
        warn: (component, msg, fields) => logger.warn({ component, ...clean(fields) }, msg),
        progress: (e) => {
            if (e.type === "release") {
                const r = e.release;
                const known = releases.get(r.id);
                if (known?.status !== r.status) {
                    const line = `release ${r.id} ${r.status}${r.waitKind ? ` (${r.waitKind})` : ""}`;
                    const fields = {
                        component: "release",
                        release: r.id,
                        product: r.product,
                        flow: r.flow,
                        status: r.status,
                        ...(r.waitKind ? { waitKind: r.waitKind } : {}),
                        ...(r.error ? { error: r.error } : {}),
                    };
                    if (r.status === "Failed") {
                        logger.warn(fields, line);
                    } else {
                        logger.info(fields, line);
                    }
                }
                releases.set(r.id, {
                    product: r.product,
                    status: r.status,
                    environments: known?.environments ?? new Map(),
                });
                if (releases.size > 2000) {
                    releases.delete(releases.keys().next().value!);
                }
                for (const env of r.environments) {
                    environment(r.id, env.name, env.status, env.error, env.waitKind);
                }
            } else if (e.type === "environment") {
                const env = e.environment;
                environment(e.releaseId, env.name, env.status, env.error, env.waitKind);
            } else {
                logger.info(
                    { component: "release", release: e.releaseId, behind: e.behind.join(",") },
                    `release ${e.releaseId} queued behind ${e.behind.join(", ")}`,
                );
            }
        },
    };

    function environment(
        releaseId: string,
        name: string,
        status: string,
        error: string | undefined,
        waitKind: string | undefined,
    ): void {
        const known = releases.get(releaseId);
        if (known?.environments.get(name) === status) {
            return;
        }
        known?.environments.set(name, status);
        const fields = {
            component: "release",
            release: releaseId,
            ...(known ? { product: known.product } : {}),
            environment: name,
            status,
            ...(waitKind ? { waitKind } : {}),
            ...(error ? { error } : {}),
        };
        const line = `release ${releaseId} ${name} ${status}${waitKind ? ` (${waitKind})` : ""}`;
        if (status === "Failed") {
            logger.warn(fields, line);
        } else {
            logger.info(fields, line);
        }
    }
}
