/**
 * The dynamic-provider host of the promote stacks: the process the engine starts to serve their dynamic
 * resources. It speaks Pulumi's resource-provider gRPC protocol exactly as @pulumi/pulumi's own host
 * (`cmd/dynamic-provider`) does: each resource carries its provider as serialized JavaScript (`__provider`),
 * which is loaded once per process and called for check, diff, create, read, update and delete.
 *
 * Why not the SDK's host: it loads the whole SDK before it serves (about a second here, on every update, for
 * one constant); this one loads gRPC and the protocol's messages only (about 0.15 s). The engine's shim
 * (scripts/pulumi-resource-pulumi-nodejs) runs it when `PROMOTIONS_DYNAMIC_PROVIDER_HOST` names it, which
 * only the promote stacks' workspaces set; any other program keeps the SDK's host.
 */
import type * as grpc from "@grpc/grpc-js";
import * as path from "path";
import type * as PluginPb from "@pulumi/pulumi/proto/plugin_pb";
import type * as ProviderGrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import type * as ProviderPb from "@pulumi/pulumi/proto/provider_pb";
import type * as AnyPb from "google-protobuf/google/protobuf/any_pb";
import type * as EmptyPb from "google-protobuf/google/protobuf/empty_pb";
import type * as StatusPb from "@pulumi/pulumi/proto/status_pb";
import type * as StructPb from "google-protobuf/google/protobuf/struct_pb";
import requireFromString = require("require-from-string");

/** Modules as the SDK resolves them (its gRPC, its protobuf runtime): the messages must be its own classes. */
const sdkRoot = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const fromSdk = <T>(id: string): T => require(require.resolve(id, { paths: [sdkRoot] })) as T;

const grpcJs = fromSdk<typeof grpc>("@grpc/grpc-js");
const providerPb = fromSdk<typeof ProviderPb>("@pulumi/pulumi/proto/provider_pb");
const providerGrpc = fromSdk<typeof ProviderGrpc>("@pulumi/pulumi/proto/provider_grpc_pb");
const pluginPb = fromSdk<typeof PluginPb>("@pulumi/pulumi/proto/plugin_pb");
const statusPb = fromSdk<typeof StatusPb>("@pulumi/pulumi/proto/status_pb");
const { Struct } = fromSdk<typeof StructPb>("google-protobuf/google/protobuf/struct_pb");
const { Empty } = fromSdk<typeof EmptyPb>("google-protobuf/google/protobuf/empty_pb");
const { Any } = fromSdk<typeof AnyPb>("google-protobuf/google/protobuf/any_pb");
const sdkVersion = fromSdk<{ version: string }>("@pulumi/pulumi/package.json").version;

/** The property holding a resource's serialized provider, and the protocol's sentinels (SDK: runtime/rpc). */
const providerKey = "__provider";
const unknownValue = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const specialSigKey = "4dabf18193072939515e22adb298388d";
const secretSig = "1b47061264138c4ac30d75fd1eb44270";

type Props = Record<string, unknown>;
interface DynamicProvider {
    configure?(req: { config: ProviderConfig }): Promise<void>;
    check?(
        olds: Props,
        news: Props,
    ): Promise<{ inputs?: Props; failures?: { property: string; reason: string }[] }>;
    diff?(
        id: string,
        olds: Props,
        news: Props,
    ): Promise<{ changes?: boolean; replaces?: string[]; deleteBeforeReplace?: boolean }>;
    create(inputs: Props): Promise<{ id: string; outs?: Props }>;
    read?(id: string, props: Props): Promise<{ id: string; props?: Props; inputs?: Props }>;
    update?(id: string, olds: Props, news: Props): Promise<{ outs?: Props } | undefined>;
    delete?(id: string, props: Props): Promise<void>;
}

/** The configuration a provider's `configure` reads (SDK: cmd/dynamic-provider/config). */
class ProviderConfig {
    constructor(
        private readonly raw: Props,
        private readonly project: string,
    ) {}
    get(key: string): unknown {
        return this.raw[key.includes(":") ? key : `${this.project}:${key}`];
    }
    require(key: string): unknown {
        const value = this.get(key);
        if (value === undefined) {
            throw new Error(`Missing required configuration key: ${key}`);
        }
        return value;
    }
}

const unwrapSecret = (v: unknown): unknown =>
    v !== null && typeof v === "object" && (v as Props)[specialSigKey] === secretSig ? (v as Props).value : v;

let config: Props = {};
const providers = new Map<string, DynamicProvider>();

/** The resource's provider, deserialized (and configured) once per process. */
async function providerOf(props: Props): Promise<DynamicProvider> {
    const source = props[providerKey];
    if (typeof source !== "string") {
        throw new Error(`the resource has no serialized provider (${providerKey})`);
    }
    let provider = providers.get(source);
    if (!provider) {
        provider = (requireFromString(source) as { handler(): DynamicProvider }).handler();
        providers.set(source, provider);
        if (provider.configure) {
            const project = process.env.PULUMI_NODEJS_PROJECT ?? process.env.PULUMI_PROJECT ?? "";
            await provider.configure({ config: new ProviderConfig(config, project) });
        }
    }
    return provider;
}

const withProvider = (result: Props | undefined, props: Props): Props =>
    Object.assign(result ?? {}, { [providerKey]: props[providerKey] });

const toStruct = (o: Props) => Struct.fromJavaScript(o as Parameters<typeof Struct.fromJavaScript>[0]);
const fromStruct = (s: StructPb.Struct | undefined): Props => (s?.toJavaScript() ?? {}) as Props;

type Unary<Req, Res> = (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => void;

/**
 * A method whose failure is logged (the engine shows the provider's stderr with the resource) and returned as
 * the call's error, as the SDK's host does for everything but create and update.
 */
function logged<Req, Res>(run: (req: Req) => Promise<Res>): Unary<Req, Res> {
    return (call, callback) => {
        run(call.request).then(
            (res) => callback(null, res),
            (e: unknown) => {
                const err = e instanceof Error ? e : new Error(String(e));
                console.error(`${err}: ${err.stack}`);
                callback(err, null);
            },
        );
    };
}

/**
 * A create or update: its failure is the resource's error. One carrying an `id` (the resource exists but did
 * not become ready) is reported as an initialization failure, with its properties and reasons.
 */
function resourceError(e: unknown): grpc.ServiceError {
    const err = (e instanceof Error ? e : new Error(String(e))) as Error & {
        id?: string;
        properties?: Props;
        reasons?: string[];
    };
    const metadata = new grpcJs.Metadata();
    if (err.id) {
        const detail = new providerPb.ErrorResourceInitFailed();
        detail.setId(err.id);
        detail.setProperties(toStruct(err.properties ?? {}));
        detail.setReasonsList(err.reasons ?? []);
        const packed = new Any();
        packed.pack(detail.serializeBinary(), "pulumirpc.ErrorResourceInitFailed");
        const status = new statusPb.Status();
        status.setCode(grpcJs.status.UNKNOWN);
        status.setMessage(err.message);
        status.addDetails(packed);
        metadata.add("grpc-status-details-bin", Buffer.from(status.serializeBinary()));
    }
    return Object.assign(new Error(err.message), {
        code: grpcJs.status.UNKNOWN,
        details: err.message,
        metadata,
    });
}

function writing<Req, Res>(run: (req: Req) => Promise<Res>): Unary<Req, Res> {
    return (call, callback) => {
        run(call.request).then(
            (res) => callback(null, res),
            (e: unknown) => {
                const response = resourceError(e);
                callback(response, null, response.metadata);
            },
        );
    };
}

/** The methods the dynamic provider serves; gRPC answers every other one UNIMPLEMENTED, as the SDK's host. */
const service: grpc.UntypedServiceImplementation = {
    cancel: logged(async () => new Empty()),
    getPluginInfo: logged(async () => {
        const info = new pluginPb.PluginInfo();
        info.setVersion(sdkVersion);
        return info;
    }),
    configure: logged(async (req: ProviderPb.ConfigureRequest) => {
        const args = req.getArgs();
        if (!args) {
            throw new Error("ConfigureRequest missing args");
        }
        config = Object.fromEntries(
            Object.entries(fromStruct(args))
                .filter(([k]) => k !== providerKey)
                .map(([k, v]) => [k, unwrapSecret(v)]),
        );
        const res = new providerPb.ConfigureResponse();
        res.setAcceptsecrets(false);
        return res;
    }),
    invoke: logged(async (req: ProviderPb.InvokeRequest): Promise<ProviderPb.InvokeResponse> => {
        throw new Error(`unknown function ${req.getTok()}`);
    }),
    check: logged(async (req: ProviderPb.CheckRequest) => {
        const olds = fromStruct(req.getOlds());
        const news = fromStruct(req.getNews());
        const provider = await providerOf(news[providerKey] === unknownValue ? olds : news);
        const result = provider.check ? await provider.check(olds, news) : {};
        const inputs = result.inputs ?? news;
        inputs[providerKey] = news[providerKey];
        const res = new providerPb.CheckResponse();
        res.setInputs(toStruct(inputs));
        res.setFailuresList(
            (result.failures ?? []).map((f) => {
                const failure = new providerPb.CheckFailure();
                failure.setProperty(f.property);
                failure.setReason(f.reason);
                return failure;
            }),
        );
        return res;
    }),
    diff: logged(async (req: ProviderPb.DiffRequest) => {
        const olds = fromStruct(req.getOlds());
        const news = fromStruct(req.getNews());
        const provider = await providerOf(news[providerKey] === unknownValue ? olds : news);
        const res = new providerPb.DiffResponse();
        if (provider.diff) {
            const result = await provider.diff(req.getId(), olds, news);
            const { DIFF_SOME, DIFF_NONE, DIFF_UNKNOWN } = providerPb.DiffResponse.DiffChanges;
            res.setChanges(
                result.changes === true ? DIFF_SOME : result.changes === false ? DIFF_NONE : DIFF_UNKNOWN,
            );
            if (result.replaces?.length) {
                res.setReplacesList(result.replaces);
            }
            if (result.deleteBeforeReplace) {
                res.setDeletebeforereplace(true);
            }
        }
        return res;
    }),
    create: writing(async (req: ProviderPb.CreateRequest) => {
        const props = fromStruct(req.getProperties());
        const result = await (await providerOf(props)).create(props);
        const res = new providerPb.CreateResponse();
        res.setId(result.id);
        res.setProperties(toStruct(withProvider(result.outs, props)));
        return res;
    }),
    read: logged(async (req: ProviderPb.ReadRequest) => {
        const props = fromStruct(req.getProperties());
        const provider = await providerOf(props);
        const res = new providerPb.ReadResponse();
        if (!provider.read) {
            // No read: the resource is as its state says.
            res.setId(req.getId());
            res.setProperties(req.getProperties());
            return res;
        }
        // The serialized provider stays in what a read returns, so later operations still find it.
        const result = await provider.read(req.getId(), props);
        res.setId(result.id);
        res.setProperties(toStruct(withProvider(result.props, props)));
        if (result.inputs) {
            res.setInputs(toStruct(withProvider(result.inputs, props)));
        }
        return res;
    }),
    update: writing(async (req: ProviderPb.UpdateRequest) => {
        const olds = fromStruct(req.getOlds());
        const news = fromStruct(req.getNews());
        const provider = await providerOf(news);
        const result = (provider.update ? await provider.update(req.getId(), olds, news) : undefined) ?? {};
        const res = new providerPb.UpdateResponse();
        res.setProperties(toStruct(withProvider(result.outs, news)));
        return res;
    }),
    delete: logged(async (req: ProviderPb.DeleteRequest) => {
        const props = fromStruct(req.getProperties());
        const provider = await providerOf(props);
        await provider.delete?.(req.getId(), props);
        return new Empty();
    }),
};

/** An error nothing caught fails the process (as the SDK's host: logged once, then a non-zero exit). */
function exitOnUncaught(): void {
    const seen = new Set<unknown>();
    const handler = (err: unknown) => {
        if (!seen.has(err)) {
            seen.add(err);
            console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
        }
    };
    process.on("uncaughtException", handler);
    process.on("unhandledRejection", handler);
    process.on("exit", (code) => {
        if (code === 0 && seen.size > 0) {
            process.exitCode = 1;
        }
    });
}

/** Serves on a loopback port and prints it: the engine reads the port from the host's first line. */
async function main(args: readonly string[]): Promise<void> {
    if (args.length === 0) {
        console.error("fatal: Missing <engine> address");
        process.exit(-1);
    }
    exitOnUncaught();
    const server = new grpcJs.Server({
        // As the SDK's hosts: messages up to 400 MiB, and a request may wait half an hour for its turn.
        "grpc.max_receive_message_length": 400 * 1024 * 1024,
        "grpc.server_max_unrequested_time_in_server": 30 * 60,
    });
    server.addService(providerGrpc.ResourceProviderService, service);
    const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", grpcJs.ServerCredentials.createInsecure(), (err, p) =>
            err ? reject(err) : resolve(p),
        ),
    );
    console.log(String(port));
}

if (require.main === module) {
    void main(process.argv.slice(2));
}
