import * as assert from "assert";
import * as http from "http";
import type { AddressInfo } from "net";
import { approve } from "../../../cli/commands/approve";
import { promote } from "../../../cli/commands/promote";
import { reject } from "../../../cli/commands/reject";
import type { CliDeps, Terminal } from "../../../cli/context";
import { makeStyle, settingsFrom } from "../../../cli/context";
import { InvalidInputError } from "../../../model/errors";

function terminal(): Terminal & { stdout: string[] } {
    const stdout: string[] = [];
    return {
        stdout,
        out: (l) => stdout.push(l),
        err: () => undefined,
        errRaw: () => undefined,
        interactive: false,
        style: makeStyle(false),
    };
}

/** A stand-in `promote serve`: records each request, answers 200 with a record or 403 for "bob". */
async function standIn() {
    const seen: { method?: string; url?: string; auth?: string; body: unknown }[] = [];
    const server = http.createServer((req, res) => {
        let raw = "";
        req.on("data", (d: Buffer) => (raw += d.toString()));
        req.on("end", () => {
            seen.push({
                method: req.method,
                url: req.url,
                auth: req.headers.authorization,
                body: JSON.parse(raw),
            });
            res.setHeader("Content-Type", "application/json");
            if (req.headers.authorization === "Bearer pp_bob") {
                res.statusCode = 403;
                res.end(
                    JSON.stringify({
                        error: { code: "forbidden", message: "bob is not an approver of prod" },
                    }),
                );
                return;
            }
            res.end(JSON.stringify({ id: "r1", environments: [{ name: "prod", status: "Suspended" }] }));
        });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return { seen, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

describe("approve and reject through a server (PROMOTIONS_SERVER, PROMOTIONS_TOKEN)", () => {
    it("settings: the server and its token come from the environment", () => {
        const s = settingsFrom(
            { noColor: false },
            { PROMOTIONS_SERVER: "http://h:8080", PROMOTIONS_TOKEN: "pp_x" },
            "/w",
            false,
        );
        assert.deepStrictEqual(s.server, { url: "http://h:8080", token: "pp_x" });
        assert.strictEqual(settingsFrom({ noColor: false }, {}, "/w", false).server, undefined);
    });

    it("posts the decision with the token (the server decides who it is); a refusal is exit 2's error", async () => {
        const { seen, server, url } = await standIn();
        try {
            const deps = (token: string) =>
                ({
                    io: terminal(),
                    clock: { now: () => Date.now() },
                    engine: () => Promise.reject(new Error("the state is not used through a server")),
                    server: { url, token },
                }) as unknown as CliDeps;
            const opts = {
                id: "r1",
                environment: "prod",
                comment: "ok",
                by: "ignored",
                groups: [],
                json: true,
            };
            assert.strictEqual(await approve(opts, deps("pp_alice")), 0);
            await assert.rejects(
                reject(opts, deps("pp_bob")),
                (e: unknown) =>
                    e instanceof InvalidInputError && /403: bob is not an approver of prod/.test(e.message),
            );
            assert.deepStrictEqual(seen, [
                {
                    method: "POST",
                    url: "/api/v1/releases/r1/approve",
                    auth: "Bearer pp_alice",
                    body: { environment: "prod", comment: "ok" },
                },
                {
                    method: "POST",
                    url: "/api/v1/releases/r1/reject",
                    auth: "Bearer pp_bob",
                    body: { environment: "prod", comment: "ok" },
                },
            ]);
        } finally {
            server.close();
        }
    });
});

describe("promote through a server (PROMOTIONS_SERVER, PROMOTIONS_TOKEN)", () => {
    const opts = {
        product: "web",
        from: "dev",
        to: "qa",
        overrides: { preAction: "noop" },
        message: "OPS-1",
        json: true,
    };

    it("posts the promotion with its policy fields, then follows the release until it ends", async () => {
        const seen: string[] = [];
        const bodies: unknown[] = [];
        let polls = 0;
        const server = http.createServer((req, res) => {
            let raw = "";
            req.on("data", (d: Buffer) => (raw += d.toString()));
            req.on("end", () => {
                seen.push(`${req.method} ${req.url} ${req.headers.authorization}`);
                if (raw) {
                    bodies.push(JSON.parse(raw));
                }
                res.setHeader("Content-Type", "application/json");
                res.statusCode = req.method === "POST" ? 202 : 200;
                const status = req.method === "POST" ? "Running" : ++polls < 2 ? "Running" : "Succeeded";
                res.end(
                    JSON.stringify({ id: "r1", product: "web", flow: "manual", status, environments: [] }),
                );
            });
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        try {
            const io = terminal();
            const deps = {
                io,
                clock: { now: () => Date.now() },
                engine: () => Promise.reject(new Error("the state is not used through a server")),
                server: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: "pp_k" },
            } as unknown as CliDeps;
            assert.strictEqual(await promote(opts, deps), 0);
            assert.deepStrictEqual(bodies, [
                { product: "web", from: "dev", to: "qa", preAction: "noop", message: "OPS-1" },
            ]);
            assert.deepStrictEqual(seen, [
                "POST /api/v1/releases Bearer pp_k",
                "GET /api/v1/releases/r1 Bearer pp_k",
                "GET /api/v1/releases/r1 Bearer pp_k",
            ]);
            assert.strictEqual((JSON.parse(io.stdout.join("\n")) as { status: string }).status, "Succeeded");
        } finally {
            server.close();
        }
    });

    it("refuses what the API cannot carry instead of dropping it", async () => {
        const deps = {
            io: terminal(),
            clock: { now: () => Date.now() },
            engine: () => Promise.reject(new Error("unused")),
            server: { url: "http://127.0.0.1:9" },
        } as unknown as CliDeps;
        await assert.rejects(
            promote({ ...opts, overrideHold: true, overrideWindow: true }, deps),
            (e: unknown) =>
                e instanceof InvalidInputError &&
                /^--override-hold, --override-window cannot be sent through the server \(PROMOTIONS_SERVER\)/.test(
                    e.message,
                ),
        );
    });
});
