import * as assert from "assert";
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { ResourceProviderClient } from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as pb from "@pulumi/pulumi/proto/provider_pb";
import { Status } from "@pulumi/pulumi/proto/status_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { removeTempDirs, tempDir } from "../../support/tmp";

/**
 * Our dynamic-provider host against @pulumi/pulumi's own, call for call: the same requests to both, over gRPC,
 * must get the same answers (results, failures, errors and their details).
 */
const ours = require.resolve("../../../provider/dynamic/providerHost");
const sdks = require.resolve("@pulumi/pulumi/cmd/dynamic-provider");

/** A provider as a dynamic resource carries it: serialized JavaScript whose `handler()` returns it. */
const provider = `
exports.handler = () => ({
    async check(olds, news) {
        if (news.bad) {
            return { inputs: news, failures: [{ property: "bad", reason: "bad is not allowed" }] };
        }
        return { inputs: { ...news, checked: true } };
    },
    async diff(id, olds, news) {
        if (news.diffThrows) {
            throw new Error("diff could not read " + id);
        }
        return { changes: olds.v === news.v ? false : true, replaces: news.replace ? ["v"] : [], deleteBeforeReplace: Boolean(news.replace) };
    },
    async create(inputs) {
        if (inputs.fail === "init") {
            throw Object.assign(new Error("created but not ready"), { id: "r-init", properties: { v: inputs.v }, reasons: ["crashed"] });
        }
        if (inputs.fail) {
            throw new Error("create refused: " + inputs.fail);
        }
        return { id: "r-" + inputs.v, outs: { v: inputs.v, made: true } };
    },
    async update(id, olds, news) {
        return { outs: { v: news.v, updatedFrom: olds.v, id } };
    },
    async read(id, props) {
        return { id, props: { ...props, read: true } };
    },
    async delete(id, props) {
        require("fs").appendFileSync(props.marker, id + "\\n");
    },
});
`;

interface Host {
    readonly client: ResourceProviderClient;
    readonly child: ChildProcess;
}

async function startHost(script: string): Promise<Host> {
    const child = spawn(process.execPath, [script, "127.0.0.1:1"], {
        cwd: path.resolve(__dirname, "../../../.."),
        stdio: ["ignore", "pipe", "pipe"],
    });
    const port = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout!.on("data", (d: Buffer) => {
            out += d.toString();
            if (out.includes("\n")) {
                resolve(out.split("\n")[0].trim());
            }
        });
        child.on("exit", (code) => reject(new Error(`${script} exited ${code} before it served`)));
    });
    return {
        child,
        client: new ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()),
    };
}

type Answer = { ok: unknown } | { code: number; details: string; status?: unknown };

/** One unary call, its answer as plain data (an error as its code, message and any packed status). */
function call<Req>(host: Host, method: string, req: Req): Promise<Answer> {
    return new Promise((resolve) => {
        type Unary = (
            r: Req,
            cb: (err: grpc.ServiceError | null, res?: { toObject(): unknown }) => void,
        ) => void;
        const fn = (host.client as unknown as Record<string, Unary>)[method].bind(host.client);
        fn(req, (err, res) => {
            if (err) {
                const bin = err.metadata?.get("grpc-status-details-bin")[0];
                resolve({
                    code: err.code,
                    details: err.details,
                    ...(bin ? { status: Status.deserializeBinary(bin as Buffer).toObject() } : {}),
                });
            } else {
                resolve({ ok: res!.toObject() });
            }
        });
    });
}

type Props = Record<string, unknown>;

const struct = (o: Props) =>
    Struct.fromJavaScript({ __provider: provider, ...o } as Parameters<typeof Struct.fromJavaScript>[0]);

/** A check, diff or update request: the resource's old and new inputs, each with the serialized provider. */
function oldsAndNews<R extends { setOlds(s: Struct): void; setNews(s: Struct): void }>(
    r: R,
    olds: Props,
    news: Props,
): R {
    r.setOlds(struct(olds));
    r.setNews(struct(news));
    return r;
}

function requests(marker: string): [string, unknown][] {
    const check = (olds: Props, news: Props) => {
        const r = new pb.CheckRequest();
        r.setUrn("urn:pulumi:s::p::pulumi-nodejs:dynamic:Resource::a");
        return oldsAndNews(r, olds, news);
    };
    const diff = (olds: Props, news: Props) => {
        const r = new pb.DiffRequest();
        r.setId("r-1");
        return oldsAndNews(r, olds, news);
    };
    const create = (props: Props) => {
        const r = new pb.CreateRequest();
        r.setProperties(struct(props));
        return r;
    };
    const update = new pb.UpdateRequest();
    update.setId("r-1");
    oldsAndNews(update, { v: 1 }, { v: 2 });
    const read = new pb.ReadRequest();
    read.setId("r-1");
    read.setProperties(struct({ v: 1 }));
    const del = new pb.DeleteRequest();
    del.setId("r-9");
    del.setProperties(struct({ marker }));
    // A preview: the new inputs' provider is not known yet, the old one serves.
    const unknownProvider = new pb.CheckRequest();
    unknownProvider.setOlds(struct({ v: 1 }));
    unknownProvider.setNews(
        Struct.fromJavaScript({ __provider: "04da6b54-80e4-46f7-96ec-b56ff0331ba9", v: 3 }),
    );
    const configure = new pb.ConfigureRequest();
    configure.setArgs(Struct.fromJavaScript({ "p:k": "v" }));
    return [
        ["configure", configure],
        ["check", check({}, { v: 1 })],
        ["check", check({}, { v: 1, bad: true })],
        ["check", unknownProvider],
        ["diff", diff({ v: 1 }, { v: 1 })],
        ["diff", diff({ v: 1 }, { v: 2 })],
        ["diff", diff({ v: 1 }, { v: 2, replace: true })],
        ["diff", diff({ v: 1 }, { v: 2, diffThrows: true })],
        ["create", create({ v: 1 })],
        ["create", create({ v: 1, fail: "no room" })],
        ["create", create({ v: 1, fail: "init" })],
        ["update", update],
        ["read", read],
        ["delete", del],
        ["cancel", new Empty()],
        ["checkConfig", new pb.CheckRequest()],
    ];
}

describe("the promote stacks' dynamic-provider host", function () {
    this.timeout(60_000);
    after(removeTempDirs);
    const hosts: Host[] = [];
    afterEach(() => {
        for (const h of hosts.splice(0)) {
            h.client.close();
            h.child.kill();
        }
    });

    it("answers every call as @pulumi/pulumi's own host does", async () => {
        const dir = tempDir("provider-host");
        const answers: Answer[][] = [];
        for (const script of [sdks, ours]) {
            const host = await startHost(script);
            hosts.push(host);
            const marker = path.join(dir, `deleted-${answers.length}`);
            const got: Answer[] = [];
            for (const [method, req] of requests(marker)) {
                got.push(await call(host, method, req));
            }
            assert.strictEqual(fs.readFileSync(marker, "utf8"), "r-9\n", "delete ran the provider's delete");
            answers.push(got);
        }
        const [sdk, own] = answers;
        const methods = requests("").map(([m]) => m);
        for (const [i, method] of methods.entries()) {
            if (method === "checkConfig") {
                // Both refuse it as unimplemented (the words differ: gRPC's own for ours).
                assert.strictEqual((own[i] as { code: number }).code, grpc.status.UNIMPLEMENTED);
                assert.strictEqual((sdk[i] as { code: number }).code, grpc.status.UNIMPLEMENTED);
                continue;
            }
            assert.deepStrictEqual(own[i], sdk[i], `${method} (#${i}) as the SDK's host answers it`);
        }
        // The cases that matter most, spelled out.
        assert.deepStrictEqual((own[2] as { ok: { failuresList: unknown } }).ok.failuresList, [
            { property: "bad", reason: "bad is not allowed" },
        ]);
        assert.strictEqual((own[9] as { details: string }).details, "create refused: no room");
        const init = own[10] as { code: number; status: { detailsList: { typeUrl: string }[] } };
        assert.strictEqual(init.code, grpc.status.UNKNOWN);
        assert.match(init.status.detailsList[0].typeUrl, /pulumirpc\.ErrorResourceInitFailed$/);
    });

    it("reports its SDK's version and loads none of the SDK's runtime", async () => {
        const host = await startHost(ours);
        hosts.push(host);
        const info = await call(host, "getPluginInfo", new Empty());
        const version = (require("@pulumi/pulumi/package.json") as { version: string }).version;
        assert.deepStrictEqual(info, { ok: { version } });
        const loaded = spawnSyncLoaded(ours);
        assert.ok(loaded.length > 0);
        assert.deepStrictEqual(
            loaded.filter((m) => /@pulumi[\\/]pulumi[\\/](runtime|resource|output|index)/.test(m)),
            [],
        );
    });
});

/** The modules the host loads before it serves. */
function spawnSyncLoaded(script: string): string[] {
    const probe = `require(${JSON.stringify(script)}); console.log(JSON.stringify(Object.keys(require.cache)));`;
    const out = require("child_process").execFileSync(process.execPath, ["-e", probe], {
        encoding: "utf8",
    }) as string;
    return JSON.parse(out.trim().split("\n").pop()!) as string[];
}
