import type { Catalog } from "../components/catalog";
import { authorize } from "../components/promotionPermission.authorize";
import type { EngineLocation } from "../engine/pulumi/engineLocator";
import type { ProgressEvent, PromoteEngineOptions } from "../engine/promoteEngine";
import { PromoteEngine } from "../engine/promoteEngine";
import { TriggerWatcher } from "../engine/triggers/triggerWatcher";
import { InvalidInputError } from "../model/errors";
import type { CliEngine, CliSettings, CliWatcher, EngineExtras } from "./context";

/** The engine options for the CLI's settings (the only place settings become engine options). */
export function engineOptions(
    settings: CliSettings,
    catalog: Catalog,
    engine: EngineLocation,
    onProgress?: (e: ProgressEvent) => void,
    extras: EngineExtras = {},
): PromoteEngineOptions {
    return {
        catalog,
        engine,
        backendUrl: settings.stateUrl,
        ...(settings.storeUrl ? { storeUrl: settings.storeUrl } : {}),
        passphrase: settings.passphrase,
        gitCacheDir: settings.gitCacheDir,
        gitTokens: settings.gitTokens,
        inheritedPath: settings.searchPath,
        workflowDir: settings.configDir,
        ...(settings.argo ? { argo: settings.argo } : {}),
        ...(settings.argocd ? { argocd: settings.argocd } : {}),
        scm: settings.scm,
        ...(settings.heartbeatMs ? { heartbeatMs: settings.heartbeatMs } : {}),
        ...(settings.publicUrl ? { publicUrl: settings.publicUrl } : {}),
        ...(settings.runtime ? { runtime: settings.runtime } : {}),
        notifications: { env: process.env, ...(extras.warn ? { warn: extras.warn } : {}) },
        // An approval needs the `approve` permission on that environment (no rules: everyone may).
        canApprove: (subject, { product, environment }) => {
            const a = authorize(catalog, subject, "approve", { product, environment });
            return a.allowed ? undefined : a.reason;
        },
        onProgress,
        ...(extras.metrics ? { metrics: extras.metrics } : {}),
        ...(extras.drain ? { drain: extras.drain } : {}),
    };
}

/** The real engine (loaded lazily by cli/main.ts, so `doctor` and `validate` work without it). */
export function createEngine(
    settings: CliSettings,
    catalog: Catalog,
    engine: EngineLocation,
    onProgress?: (e: ProgressEvent) => void,
    extras?: EngineExtras,
): PromoteEngine {
    return PromoteEngine.create(engineOptions(settings, catalog, engine, onProgress, extras));
}

/** A trigger watcher for the given products (every product with flows by default). */
export function createWatcher(
    settings: CliSettings,
    catalog: Catalog,
    engine: CliEngine,
    o: {
        readonly products?: readonly string[];
        readonly log: (line: string) => void;
        /** A resume loop runs beside the watcher: releases that wait are left to it (TriggerWatcherOptions.noWait). */
        readonly noWait?: boolean;
    },
): CliWatcher {
    for (const p of o.products ?? []) {
        if (!catalog.products.some((x) => x.name === p)) {
            throw new InvalidInputError(
                `unknown product "${p}" (--product): one of ${catalog.products.map((x) => x.name).join(", ") || "(none defined)"}`,
                { path: "--product" },
            );
        }
    }
    return new TriggerWatcher({
        catalog,
        engine,
        ...(o.products ? { products: o.products } : {}),
        gitCacheDir: settings.gitCacheDir,
        credentials: { tokens: settings.gitTokens },
        ...(settings.argocd ? { argocd: settings.argocd } : {}),
        log: o.log,
        ...(o.noWait ? { noWait: true } : {}),
    });
}
