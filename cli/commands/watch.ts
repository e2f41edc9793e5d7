import { createHmac, timingSafeEqual } from "crypto";
import * as http from "http";
import type { AddressInfo } from "net";
import { parseDuration } from "../../model/duration";
import { loadCatalog } from "../../components/config";
import { InvalidInputError } from "../../model/errors";
import { gitCacheDir } from "../../engine/promoteEngine";
import type { TriggerOutcome } from "../../engine/triggerWatcher";
import { TriggerWatcher } from "../../engine/triggerWatcher";
import { stringFlag } from "../args";
import type { CliContext } from "../context";
import { engineFor, gitTokens } from "../engine";
import { ProgressView } from "../progress";

async function makeWatcher(ctx: CliContext): Promise<TriggerWatcher> {
    const catalog = loadCatalog(ctx.configPath);
    const products = stringFlag(ctx.args, "product")?.split(",").filter(Boolean);
    for (const p of products ?? []) {
        if (!catalog.products.some((x) => x.name === p)) {
            throw new InvalidInputError(`unknown product "${p}"`);
        }
    }
    const view = new ProgressView(ctx);
    return new TriggerWatcher({
        catalog,
        engine: await engineFor(ctx, view.handle),
        ...(products ? { products } : {}),
        gitCacheDir: ctx.env.PROMOTIONS_GIT_CACHE ?? gitCacheDir(ctx.cacheDir),
        credentials: { tokens: gitTokens(ctx.env) },
        ...(ctx.env.PROMOTIONS_ARGOCD_URL
            ? { argocd: { url: ctx.env.PROMOTIONS_ARGOCD_URL, token: ctx.env.PROMOTIONS_ARGOCD_TOKEN } }
            : {}),
        log: (line) => ctx.err(`[watch] ${line}`),
    });
}

function interval(ctx: CliContext, fallback: string): number {
    const text = stringFlag(ctx.args, "interval") ?? fallback;
    const ms = parseDuration(text);
    if (ms === undefined) {
        throw new InvalidInputError(`--interval "${text}": a duration such as 30s or 5m`);
    }
    return ms;
}

function report(ctx: CliContext, outcomes: readonly TriggerOutcome[]): void {
    for (const o of outcomes) {
        ctx.out(
            o.releaseId
                ? `${o.application} ${o.commit.slice(0, 12)} "${o.subject}" → flow ${o.flow}: release ${o.releaseId} ${o.status}`
                : `${o.application} ${o.commit.slice(0, 12)} "${o.subject}": ${o.skipped}`,
        );
    }
}

/** Stops on SIGINT/SIGTERM. */
function stopSignal(): AbortSignal {
    const controller = new AbortController();
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
        process.once(sig, () => controller.abort());
    }
    return controller.signal;
}

/** `promote watch [--product P[,Q]] [--interval D] [--once]`: releases what new trigger commits call for. */
export async function watch(ctx: CliContext): Promise<number> {
    const watcher = await makeWatcher(ctx);
    if (ctx.args.flags.once) {
        report(ctx, await watcher.pollOnce());
        return 0;
    }
    const every = interval(ctx, "1m");
    ctx.err(`[watch] polling every ${every / 1000}s; Ctrl-C stops`);
    const signal = stopSignal();
    while (!signal.aborted) {
        try {
            report(ctx, await watcher.pollOnce());
        } catch (e) {
            ctx.err(`[watch] poll failed: ${e instanceof Error ? e.message : String(e)}`);
        }
        await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, every);
            signal.addEventListener("abort", () => {
                clearTimeout(t);
                resolve();
            });
        });
    }
    return 0;
}

/** True when `signature` is GitHub's `sha256=<hex HMAC of body>` for `secret`. */
export function validSignature(secret: string, body: Buffer, signature: string | undefined): boolean {
    if (!signature?.startsWith("sha256=")) {
        return false;
    }
    const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(body).digest("hex")}`);
    const got = Buffer.from(signature);
    return got.length === expected.length && timingSafeEqual(got, expected);
}

/**
 * `promote serve [--port N] [--interval D]`: accepts GitHub push webhooks at /webhooks/github (HMAC-verified
 * with PROMOTIONS_WEBHOOK_SECRET) and reads the trigger branches when one arrives; with --interval it also
 * polls, so a missed webhook is caught up.
 */
export async function serve(ctx: CliContext): Promise<number> {
    const secret = ctx.env.PROMOTIONS_WEBHOOK_SECRET;
    if (!secret) {
        throw new InvalidInputError(
            "set PROMOTIONS_WEBHOOK_SECRET to the webhook's secret (the same value as in GitHub's settings)",
        );
    }
    const watcher = await makeWatcher(ctx);
    let running: Promise<void> | undefined;
    let again = false;
    const poll = (): void => {
        if (running) {
            again = true;
            return;
        }
        running = watcher
            .pollOnce()
            .then((o) => report(ctx, o))
            .catch((e: unknown) =>
                ctx.err(`[serve] poll failed: ${e instanceof Error ? e.message : String(e)}`),
            )
            .finally(() => {
                running = undefined;
                if (again) {
                    again = false;
                    poll();
                }
            });
    };
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const reply = (status: number, body: object) => {
                res.writeHead(status, { "Content-Type": "application/json" });
                res.end(JSON.stringify(body));
            };
            if (
                req.method !== "POST" ||
                new URL(req.url ?? "/", "http://x").pathname !== "/webhooks/github"
            ) {
                return reply(404, { message: "POST /webhooks/github" });
            }
            const delivery = String(req.headers["x-github-delivery"] ?? "?");
            const body = Buffer.concat(chunks);
            if (!validSignature(secret, body, req.headers["x-hub-signature-256"] as string | undefined)) {
                ctx.err(`[serve] rejected webhook delivery ${delivery}: bad or missing X-Hub-Signature-256`);
                return reply(401, { message: "bad signature" });
            }
            const event = String(req.headers["x-github-event"] ?? "");
            if (event === "ping") {
                return reply(200, { message: "pong" });
            }
            if (event !== "push") {
                return reply(204, {});
            }
            ctx.err(`[serve] push delivery ${delivery}: reading trigger branches`);
            poll();
            return reply(202, { message: "accepted" });
        });
    });
    const port = Number(stringFlag(ctx.args, "port") ?? "8080");
    await new Promise<void>((resolve) =>
        server.listen(port, stringFlag(ctx.args, "host") ?? "127.0.0.1", resolve),
    );
    const addr = server.address() as AddressInfo;
    ctx.out(`listening on http://${addr.address}:${addr.port}/webhooks/github`);
    const signal = stopSignal();
    const every = stringFlag(ctx.args, "interval") ? interval(ctx, "1m") : undefined;
    const timer = every ? setInterval(poll, every) : undefined;
    await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
    if (timer) {
        clearInterval(timer);
    }
    server.close();
    await running;
    return 0;
}
