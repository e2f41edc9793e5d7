#!/usr/bin/env node
// A Pulumi Node.js language host, installed as `pulumi-language-nodejs` when the Go module proxy does not
// serve Pulumi's own (its module has no release tags). It speaks Pulumi's LanguageRuntime gRPC service and
// runs programs exactly as Pulumi's host does: by spawning `@pulumi/pulumi/cmd/run` from the program's own
// node_modules with the same flags and environment. Everything it loads comes from that SDK, so it has no
// dependency of its own and one copy serves every project.
"use strict";
const path = require("path");
const fs = require("fs");
const { spawn } = require("child_process");

function parseArgs(argv) {
    const flags = {};
    const positional = [];
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        const m = /^--?([\w-]+)(?:=(.*))?$/.exec(arg);
        if (!m) {
            positional.push(arg);
        } else if (m[2] !== undefined) {
            flags[m[1]] = m[2];
        } else if (["root", "tracing", "logflow", "v"].includes(m[1]) && i + 1 < argv.length) {
            flags[m[1]] = argv[++i];
        } else {
            flags[m[1]] = "true";
        }
    }
    return { flags, positional };
}

const { flags, positional } = parseArgs(process.argv.slice(2));
let engineAddress = positional[0] || "";
const searchFrom = [flags.root, process.cwd()].filter(Boolean);

function resolveSdk(from) {
    const pkg = require.resolve("@pulumi/pulumi/package.json", { paths: from });
    return path.dirname(pkg);
}

let sdkDir;
try {
    sdkDir = resolveSdk(searchFrom);
} catch {
    process.stderr.write(
        "It looks like the Pulumi SDK has not been installed. Have you run npm install? " +
            `(searched from ${searchFrom.join(", ")})\n`,
    );
    process.exit(1);
}
const sdkRequire = (m) => require(require.resolve(m, { paths: [sdkDir] }));
const grpc = sdkRequire("@grpc/grpc-js");
const langproto = require(path.join(sdkDir, "proto/language_pb.js"));
const langrpc = require(path.join(sdkDir, "proto/language_grpc_pb.js"));
const plugproto = require(path.join(sdkDir, "proto/plugin_pb.js"));
const sdkVersion = require(path.join(sdkDir, "package.json")).version;

function programLocation(req) {
    const info = req.getInfo ? req.getInfo() : undefined;
    const root = (info && info.getRootDirectory()) || req.getPwd() || process.cwd();
    const dir = (info && info.getProgramDirectory()) || req.getPwd() || root;
    const entry = (info && info.getEntryPoint()) || req.getProgram() || ".";
    const options = info && info.getOptions() ? info.getOptions().toJavaScript() : {};
    return { root, dir, entry, options };
}

function run(call, callback) {
    const req = call.request;
    const { root, dir, entry, options } = programLocation(req);
    let runPath;
    try {
        runPath = path.join(resolveSdk([dir]), "cmd", "run");
    } catch {
        const resp = new langproto.RunResponse();
        resp.setError(`@pulumi/pulumi is not installed for the program in ${dir}: run npm install there`);
        return callback(undefined, resp);
    }
    const args = [runPath];
    const add = (k, v) => {
        if (v !== undefined && v !== "") {
            args.push(`--${k}`, String(v));
        }
    };
    add("monitor", req.getMonitorAddress());
    add("engine", engineAddress);
    add("organization", req.getOrganization());
    add("project", req.getProject());
    add("stack", req.getStack());
    add("pwd", dir);
    add("root-directory", root);
    if (req.getDryrun()) {
        args.push("--dry-run");
    }
    add("parallel", req.getParallel());
    add("tracing", flags.tracing);
    args.push(entry === "" ? "." : entry, ...req.getArgsList());

    const config = {};
    for (const [k, v] of req.getConfigMap().entries()) {
        config[k] = v;
    }
    const env = {
        ...process.env,
        PULUMI_CONFIG: JSON.stringify(config),
        PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(req.getConfigsecretkeysList()),
        PULUMI_NODEJS_TYPESCRIPT: options.typescript === false ? "false" : "true",
    };
    if (options.tsconfig) {
        env.PULUMI_NODEJS_TSCONFIG_PATH = options.tsconfig;
    }
    const nodeargs =
        typeof options.nodeargs === "string" ? options.nodeargs.split(/\s+/).filter(Boolean) : [];
    const child = spawn(process.execPath, [...nodeargs, ...args], { cwd: dir, env, stdio: "inherit" });
    child.on("error", (err) => {
        const resp = new langproto.RunResponse();
        resp.setError(`could not run node: ${err.message}`);
        callback(undefined, resp);
    });
    child.on("exit", (code, signal) => {
        const resp = new langproto.RunResponse();
        if (code === 32) {
            // The SDK already reported the error to the user.
            resp.setBail(true);
        } else if (code !== 0) {
            resp.setError(
                signal
                    ? `Program exited with signal ${signal}`
                    : `Program exited with non-zero exit code: ${code}`,
            );
        }
        callback(undefined, resp);
    });
}

function installDependencies(call) {
    const req = call.request;
    const info = req.getInfo();
    const dir = (info && info.getProgramDirectory()) || req.getDirectory() || process.cwd();
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const child = spawn(npm, ["install"], { cwd: dir, env: process.env });
    const send = (field) => (chunk) => {
        const resp = new langproto.InstallDependenciesResponse();
        resp[field](chunk);
        call.write(resp);
    };
    child.stdout.on("data", send("setStdout"));
    child.stderr.on("data", send("setStderr"));
    child.on("exit", (code) => {
        if (code === 0) {
            call.end();
        } else {
            call.emit("error", {
                code: grpc.status.UNKNOWN,
                details: `npm install failed with exit code ${code}`,
            });
        }
    });
}

// RunPlugin: how the engine starts plugins written in Node.js, policy packs included (since v3.221.0 a Node
// policy pack runs through its language host, not through `pulumi-analyzer-policy`). Like Pulumi's own host:
// a policy pack (kind "analyzer") runs `@pulumi/pulumi/cmd/run-policy-pack <engine> <pack dir>` in the pack's
// directory, any other plugin `@pulumi/pulumi/cmd/run-plugin <dir> <args>`; stdout and stderr stream back and
// the exit code ends the stream. The pack's own node_modules come first; this project's node_modules are on
// NODE_PATH, so a pack without its own `npm install` still finds @pulumi/policy and @pulumi/pulumi.
function runPlugin(call) {
    const req = call.request;
    const info = req.getInfo();
    const dir = (info && info.getProgramDirectory()) || req.getPwd() || process.cwd();
    const analyzer = req.getKind() === "analyzer";
    const script = analyzer ? "@pulumi/pulumi/cmd/run-policy-pack" : "@pulumi/pulumi/cmd/run-plugin";
    const send = (field, value) => {
        const resp = new langproto.RunPluginResponse();
        resp[field](value);
        call.write(resp);
    };
    let runPath;
    try {
        runPath = require.resolve(script, { paths: [dir, sdkDir] });
    } catch {
        send("setStderr", Buffer.from(`${script} is not installed for ${dir}: run npm install there\n`));
        send("setExitcode", 1);
        return call.end();
    }
    const env = { ...process.env };
    for (const kv of req.getEnvList()) {
        const i = kv.indexOf("=");
        if (i > 0) {
            env[kv.slice(0, i)] = kv.slice(i + 1);
        }
    }
    const ours = path.dirname(path.dirname(sdkDir));
    env.NODE_PATH = [env.NODE_PATH, ours].filter(Boolean).join(path.delimiter);
    const options = info && info.getOptions() ? info.getOptions().toJavaScript() : {};
    env.PULUMI_NODEJS_TYPESCRIPT = options.typescript === false ? "false" : "true";
    const args = analyzer ? [runPath, ...req.getArgsList(), dir] : [runPath, dir, ...req.getArgsList()];
    const child = spawn(process.execPath, args, { cwd: analyzer ? dir : req.getPwd() || dir, env });
    child.stdout.on("data", (chunk) => send("setStdout", chunk));
    child.stderr.on("data", (chunk) => send("setStderr", chunk));
    let ended = false;
    const end = (code) => {
        if (!ended) {
            ended = true;
            send("setExitcode", code);
            call.end();
        }
    };
    child.on("error", (err) => {
        send("setStderr", Buffer.from(`could not run node: ${err.message}\n`));
        end(1);
    });
    child.on("close", (code) => end(code === null ? 1 : code));
    call.on("cancelled", () => child.kill("SIGTERM"));
}

const host = {
    handshake(call, callback) {
        engineAddress = call.request.getEngineAddress() || engineAddress;
        callback(undefined, new langproto.LanguageHandshakeResponse());
    },
    getRequiredPlugins(_call, callback) {
        callback(undefined, new langproto.GetRequiredPluginsResponse());
    },
    getRequiredPackages(_call, callback) {
        callback(undefined, new langproto.GetRequiredPackagesResponse());
    },
    run,
    getPluginInfo(_call, callback) {
        const info = new plugproto.PluginInfo();
        info.setVersion(sdkVersion);
        callback(undefined, info);
    },
    installDependencies,
    runPlugin,
    about(_call, callback) {
        const resp = new langproto.AboutResponse();
        resp.setExecutable(process.execPath);
        resp.setVersion(process.version);
        callback(undefined, resp);
    },
    getProgramDependencies(call, callback) {
        const resp = new langproto.GetProgramDependenciesResponse();
        const info = call.request.getInfo();
        const dir = (info && info.getProgramDirectory()) || process.cwd();
        try {
            const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
            const deps = Object.entries({ ...(pkg.dependencies || {}), ...(pkg.devDependencies || {}) });
            resp.setDependenciesList(
                deps.map(([name, version]) => {
                    const d = new langproto.DependencyInfo();
                    d.setName(name);
                    d.setVersion(version);
                    return d;
                }),
            );
        } catch {
            // no package.json: no dependencies to report
        }
        callback(undefined, resp);
    },
};

const server = new grpc.Server({ "grpc.max_receive_message_length": 1024 * 1024 * 400 });
const unimplemented = (call, callback) => {
    const err = { code: grpc.status.UNIMPLEMENTED, details: "not implemented by this language host" };
    if (typeof callback === "function") {
        callback(err);
    } else {
        call.emit("error", err);
    }
};
const service = langrpc.LanguageRuntimeService;
const impl = {};
for (const name of Object.keys(service)) {
    const method = service[name];
    const key = method.originalName || name;
    impl[key] = host[key] || unimplemented;
}
server.addService(service, impl);
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) {
        process.stderr.write(`could not start the language host: ${err.message}\n`);
        process.exit(1);
    }
    process.stdout.write(`${port}\n`);
});
