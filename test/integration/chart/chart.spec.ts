import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { isMap, parseAllDocuments, parseDocument } from "yaml";
import { removeTempDirs, tempDir } from "../../support/tmp";

/**
 * The Helm chart (charts/pulumi-promotions), linted and rendered with the Helm v4 that scripts/install.sh
 * builds (scripts/provision-helm.sh), every rendered manifest validated offline against the Kubernetes API
 * schemas that kubernetes-models carries. Those are Kubernetes 1.34's: its PodSpec has 1.34's
 * `hostnameOverride` (checked below, so an upgrade of the package that changes the version fails here and
 * gets this name updated), and the render targets the same version (`--kube-version`).
 */
const kubeVersion = "1.34.0";
/** The Helm that scripts/provision-helm.sh builds. */
const helmVersion = "v4.3.2";
const root = path.resolve(__dirname, "..", "..", "..", "..");
const chart = path.join(root, "charts", "pulumi-promotions");
const ciValues = (name: string) => path.join(chart, "ci", `${name}-values.yaml`);

/** PROMOTIONS_HELM, else where scripts/provision-helm.sh caches it. */
function helmBinary(): string {
    const cache =
        process.env.PULUMI_PROMOTIONS_CACHE ??
        path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "pulumi-promotions");
    const candidates = [process.env.PROMOTIONS_HELM, path.join(cache, "helm", helmVersion, "helm")];
    const found = candidates.find((c): c is string => !!c && fs.existsSync(c));
    if (!found) {
        throw new Error(
            "Helm v4 is not installed: run 'bash scripts/install.sh' (it builds Helm from its Go module into " +
                "~/.cache/pulumi-promotions/helm) or set PROMOTIONS_HELM to a helm v4 binary",
        );
    }
    return found;
}

interface Run {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

function helm(...args: string[]): Run {
    const r = spawnSync(helmBinary(), args, {
        encoding: "utf8",
        // Helm's own settings (repositories, cache) in a throwaway home: the test reads nothing of the user's.
        env: {
            PATH: process.env.PATH ?? "/usr/bin:/bin",
            HOME: home,
            HELM_CONFIG_HOME: home,
            HELM_CACHE_HOME: home,
            HELM_DATA_HOME: home,
        },
    });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function render(...valuesFiles: string[]): Run {
    return helm(
        "template",
        "promotions",
        chart,
        "--namespace",
        "platform",
        "--kube-version",
        kubeVersion,
        ...valuesFiles.flatMap((f) => ["--values", f]),
    );
}

interface Manifest {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: { readonly name: string; readonly [k: string]: unknown };
    readonly [k: string]: unknown;
}

function manifests(r: Run): Manifest[] {
    assert.strictEqual(r.code, 0, `helm template failed:\n${r.stderr}`);
    return parseAllDocuments(r.stdout)
        .map((d) => {
            assert.deepStrictEqual(d.errors, [], `helm template printed invalid YAML:\n${r.stdout}`);
            return d.toJS() as Manifest | null;
        })
        .filter((m): m is Manifest => m !== null);
}

// kubernetes-models is ES modules only; this project compiles to CommonJS, whose `import()` TypeScript would
// turn into `require`, which the package's exports refuse.
const importEsm = new Function("specifier", "return import(specifier)") as (s: string) => Promise<unknown>;

type Model = new (data: unknown) => { validate(): void };
const modules: Record<string, string> = {
    v1: "kubernetes-models/v1",
    "apps/v1": "kubernetes-models/apps/v1",
    "networking.k8s.io/v1": "kubernetes-models/networking.k8s.io/v1",
};

/** Validates one manifest against its kind's schema; returns the validator's message, or undefined. */
async function schemaProblem(m: Manifest): Promise<string | undefined> {
    const module = modules[m.apiVersion];
    assert.ok(module, `${m.kind} ${m.metadata.name}: no schema module for apiVersion ${m.apiVersion}`);
    const models = (await importEsm(module)) as Record<string, Model>;
    const model = models[m.kind];
    assert.ok(model, `${m.kind} ${m.metadata.name}: kubernetes-models has no ${m.apiVersion} ${m.kind}`);
    try {
        new model(m).validate();
        return undefined;
    } catch (e) {
        return (e as Error).message;
    }
}

async function assertValid(ms: readonly Manifest[]): Promise<void> {
    for (const m of ms) {
        const problem = await schemaProblem(m);
        assert.strictEqual(
            problem,
            undefined,
            `${m.kind} ${m.metadata.name} fails the ${kubeVersion} schema: ${problem}`,
        );
    }
}

function byKind(ms: readonly Manifest[], kind: string): Manifest[] {
    return ms.filter((m) => m.kind === kind);
}

// The shapes the assertions below read.
interface Container {
    name: string;
    args?: string[];
    command?: string[];
    env?: {
        name: string;
        value?: string;
        valueFrom?: { secretKeyRef?: { name: string; optional?: boolean } };
    }[];
    envFrom?: { secretRef: { name: string; optional?: boolean } }[];
    securityContext: Record<string, unknown>;
    volumeMounts: { name: string; mountPath: string }[];
    readinessProbe: { httpGet: { path: string } };
    livenessProbe: { httpGet: { path: string } };
}
interface PodSpec {
    containers: Container[];
    initContainers?: Container[];
    volumes: { name: string; [k: string]: unknown }[];
    securityContext: Record<string, unknown>;
    shareProcessNamespace?: boolean;
    terminationGracePeriodSeconds: number;
}
function podSpec(ms: readonly Manifest[]): PodSpec {
    const [deployment] = byKind(ms, "Deployment");
    return (deployment as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
}
function env(c: Container, name: string) {
    return c.env?.find((e) => e.name === name);
}

let home: string;

describe("Helm chart (charts/pulumi-promotions)", function () {
    this.timeout(120_000);

    before(() => {
        home = tempDir("helm-home");
        helmBinary();
    });
    after(removeTempDirs);

    it("is linted and rendered by Helm v4", () => {
        const version = helm("version", "--template", "{{.Version}}");
        assert.strictEqual(
            version.stdout,
            helmVersion,
            `not Helm ${helmVersion}: ${version.stdout}${version.stderr}`,
        );
        const lint = helm(
            "lint",
            chart,
            "--strict",
            "--kube-version",
            kubeVersion,
            "--values",
            ciValues("required"),
        );
        assert.strictEqual(lint.code, 0, `helm lint:\n${lint.stdout}${lint.stderr}`);
    });

    it("validates against the schemas of Kubernetes 1.34 (kubernetes-models carries that version)", async () => {
        const specFile = path.join(root, "node_modules", "kubernetes-models", "v1", "PodSpec.d.ts");
        assert.match(
            fs.readFileSync(specFile, "utf8"),
            /hostnameOverride/,
            "kubernetes-models is older than 1.34",
        );
        // And the validation is real: a manifest that breaks the schema is refused, naming the field.
        const [deployment] = byKind(manifests(render(ciValues("required"))), "Deployment");
        const broken = JSON.parse(JSON.stringify(deployment)) as { spec: { replicas: unknown } };
        broken.spec.replicas = "two";
        assert.match(
            (await schemaProblem(broken as unknown as Manifest)) ?? "",
            /spec\/replicas must be integer/,
        );
    });

    it("with the required values: a Deployment, Service and ServiceAccount, locked down and probed", async () => {
        const ms = manifests(render(ciValues("required")));
        await assertValid(ms);
        assert.deepStrictEqual(ms.map((m) => m.kind).sort(), ["Deployment", "Service", "ServiceAccount"]);
        const pod = podSpec(ms);
        assert.strictEqual(pod.containers.length, 1);
        const [serve] = pod.containers;
        assert.deepStrictEqual(serve.args, [
            "serve",
            "--host",
            "0.0.0.0",
            "--port",
            "8080",
            "--shutdown-grace",
            "55s",
        ]);
        // serve's grace ends before the pod's: it exits on its own, having handed over what it could not finish.
        assert.strictEqual(pod.terminationGracePeriodSeconds, 60);
        assert.strictEqual(serve.readinessProbe.httpGet.path, "/readyz");
        assert.strictEqual(serve.livenessProbe.httpGet.path, "/healthz");
        assert.deepStrictEqual(serve.securityContext, {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
        });
        assert.strictEqual(pod.securityContext.runAsNonRoot, true);
        // The passphrase is a file from the Secret, never an environment value.
        assert.strictEqual(env(serve, "PULUMI_CONFIG_PASSPHRASE"), undefined);
        assert.strictEqual(
            env(serve, "PULUMI_CONFIG_PASSPHRASE_FILE")?.value,
            "/var/run/secrets/promotions/passphrase/passphrase",
        );
        const passphrase = pod.volumes.find((v) => v.name === "passphrase") as {
            secret?: { secretName: string };
        };
        assert.strictEqual(passphrase.secret?.secretName, "promotions-state");
        // Every writable path is a volume (the root filesystem is read-only).
        const mounts = serve.volumeMounts.map((m) => m.mountPath);
        for (const dir of [
            "/var/lib/promotions/state",
            "/var/cache/promotions",
            "/var/lib/promotions/work",
            "/tmp",
        ]) {
            assert.ok(mounts.includes(dir), `${dir} is not mounted: ${mounts.join(", ")}`);
        }
        for (const name of ["state", "cache", "workspaces"]) {
            assert.ok(
                pod.volumes.find((v) => v.name === name)?.emptyDir,
                `${name} is not an emptyDir by default`,
            );
        }
        // No optional feature is on without its Secret.
        for (const name of ["PROMOTIONS_WEBHOOK_SECRET", "PROMOTIONS_GIT_TOKENS", "PROMOTIONS_SCM_TOKEN"]) {
            assert.strictEqual(env(serve, name), undefined, `${name} is set without its Secret`);
        }
    });

    it("definitions from a ConfigMap; optional Secrets marked optional, required ones not", async () => {
        const ms = manifests(render(ciValues("configmap")));
        await assertValid(ms);
        const pod = podSpec(ms);
        const [serve] = pod.containers;
        const defs = pod.volumes.find((v) => v.name === "definitions") as {
            projected?: { sources: { configMap: { name: string } }[] };
        };
        assert.strictEqual(defs.projected?.sources[0].configMap.name, "promotions-definitions");
        assert.strictEqual(env(serve, "PROMOTIONS_CONFIG")?.value, "/definitions");
        assert.strictEqual(
            env(serve, "PROMOTIONS_STATE")?.value,
            "postgres://promotions@db.internal:5432/promotions?sslmode=require",
        );
        for (const [name, secret] of [
            ["PROMOTIONS_GIT_TOKENS", "promotions-git"],
            ["PROMOTIONS_SCM_TOKEN", "promotions-scm"],
            ["PROMOTIONS_WEBHOOK_SECRET", "promotions-webhook"],
        ]) {
            assert.deepStrictEqual(
                env(serve, name)?.valueFrom?.secretKeyRef && {
                    name: env(serve, name)?.valueFrom?.secretKeyRef?.name,
                    optional: env(serve, name)?.valueFrom?.secretKeyRef?.optional,
                },
                { name: secret, optional: true },
                `${name} is not an optional reference to ${secret}`,
            );
        }
        assert.deepStrictEqual(serve.envFrom, [
            { secretRef: { name: "promotions-db" } },
            { secretRef: { name: "promotions-notifications", optional: true } },
        ]);
        // OIDC is asked for: its Secret is required, and its values reach the flags through $(VAR).
        assert.strictEqual(
            env(serve, "PROMOTIONS_OIDC_ISSUER")?.valueFrom?.secretKeyRef?.optional,
            undefined,
        );
        // The pod's grace period and serve's agree: serve exits 5 s before the pod would be killed.
        assert.strictEqual(podSpec(ms).terminationGracePeriodSeconds, 120);
        assert.deepStrictEqual(serve.args?.slice(4), [
            "8080",
            "--shutdown-grace",
            "115s",
            "--interval",
            "2m",
            "--product",
            "web,api",
            "--trusted-proxy",
            "10.0.0.0/8",
            "--oidc-issuer",
            "$(PROMOTIONS_OIDC_ISSUER)",
            "--oidc-audience",
            "$(PROMOTIONS_OIDC_AUDIENCE)",
            "--oidc-groups-claim",
            "roles",
        ]);
    });

    it("code hosts: PROMOTIONS_HOSTS names each host's token and webhook variables, filled from the Secret keys given", async () => {
        const ms = manifests(render(ciValues("hosts")));
        await assertValid(ms);
        const [serve] = podSpec(ms).containers;
        assert.deepStrictEqual(JSON.parse(env(serve, "PROMOTIONS_HOSTS")?.value ?? "null"), [
            {
                prefix: "https://gitlab.example.com/",
                kind: "gitlab",
                tokenEnv: "PROMOTIONS_HOST_TOKEN_0",
                webhookSecretEnv: "PROMOTIONS_HOST_WEBHOOK_0",
            },
            {
                prefix: "https://bitbucket.org/acme/",
                kind: "bitbucket",
                apiUrl: "https://api.bitbucket.org/2.0",
                tokenEnv: "PROMOTIONS_HOST_TOKEN_1",
            },
        ]);
        for (const [name, secret, key] of [
            ["PROMOTIONS_HOST_TOKEN_0", "promotions-gitlab", "token"],
            ["PROMOTIONS_HOST_WEBHOOK_0", "promotions-gitlab", "webhook"],
            ["PROMOTIONS_HOST_TOKEN_1", "promotions-bitbucket", "access-token"],
        ]) {
            assert.deepStrictEqual(
                env(serve, name)?.valueFrom?.secretKeyRef,
                { name: secret, key, optional: true },
                name,
            );
        }
        assert.strictEqual(env(serve, "PROMOTIONS_HOST_WEBHOOK_1"), undefined);
        // The same configuration the CLI (and `promote doctor` in the pod) reads.
        const { hostsFrom } = await import("../../../provider/scm/hosts");
        assert.deepStrictEqual(
            hostsFrom({
                PROMOTIONS_HOSTS: env(serve, "PROMOTIONS_HOSTS")!.value!,
                PROMOTIONS_HOST_TOKEN_1: "t",
            }).map((h) => [h.kind, h.token]),
            [
                ["gitlab", undefined],
                ["bitbucket", "t"],
            ],
        );
    });

    it("definitions from a git repository: cloned by an init container, kept in sync by a sidecar", async () => {
        const ms = manifests(render(ciValues("git")));
        await assertValid(ms);
        const pod = podSpec(ms);
        assert.deepStrictEqual(
            pod.initContainers?.map((c) => c.command),
            [["/usr/local/bin/sync-definitions", "clone"]],
        );
        const sidecar = pod.containers.find((c) => c.name === "sync-definitions");
        assert.deepStrictEqual(sidecar?.command, ["/usr/local/bin/sync-definitions", "watch"]);
        assert.strictEqual(env(sidecar, "REPOSITORY")?.value, "https://git.example.com/platform/gitops.git");
        assert.strictEqual(env(sidecar, "SYNC_INTERVAL_SECONDS")?.value, "30");
        assert.strictEqual(env(sidecar, "RESTART_ON_CHANGE")?.value, "1");
        assert.strictEqual(pod.shareProcessNamespace, true);
        assert.strictEqual(env(sidecar, "PROMOTIONS_GIT_TOKENS")?.valueFrom?.secretKeyRef?.optional, true);
        assert.deepStrictEqual(sidecar?.securityContext, pod.containers[0].securityContext);
        assert.strictEqual(
            env(pod.containers[0], "PROMOTIONS_CONFIG")?.value,
            "/definitions/repo/promotions",
        );
    });

    it("an Ingress with the console behind a path prefix", async () => {
        const ms = manifests(render(ciValues("ingress")));
        await assertValid(ms);
        const [ingress] = byKind(ms, "Ingress") as unknown as {
            spec: {
                ingressClassName: string;
                tls: unknown[];
                rules: { host: string; http: { paths: { path: string; pathType: string }[] } }[];
            };
        }[];
        assert.strictEqual(ingress.spec.ingressClassName, "nginx");
        assert.deepStrictEqual(ingress.spec.tls, [
            { secretName: "platform-tls", hosts: ["platform.example.com"] },
        ]);
        assert.deepStrictEqual(ingress.spec.rules[0].http.paths[0].path, "/promotions");
        assert.deepStrictEqual(ingress.spec.rules[0].http.paths[0].pathType, "Prefix");
        assert.strictEqual(
            env(podSpec(ms).containers[0], "PROMOTIONS_PUBLIC_URL")?.value,
            "https://platform.example.com/promotions",
        );
        // serve answers under the prefix itself: the Ingress forwards it unchanged, and the probes stay at the root.
        assert.strictEqual(env(podSpec(ms).containers[0], "PROMOTIONS_BASE_PATH")?.value, "/promotions");
        const probes = podSpec(ms).containers[0] as unknown as Record<string, { httpGet: { path: string } }>;
        assert.strictEqual(probes.readinessProbe.httpGet.path, "/readyz");
        assert.strictEqual(probes.livenessProbe.httpGet.path, "/healthz");
    });

    it("without a prefix: the Ingress routes / and serve gets no PROMOTIONS_BASE_PATH", () => {
        const noPrefix = path.join(tempDir("chart-values"), "no-prefix.yaml");
        fs.writeFileSync(noPrefix, "ingress: { enabled: true, host: p.example.com }\n");
        const ms = manifests(render(ciValues("required"), noPrefix));
        const [ingress] = byKind(ms, "Ingress") as unknown as {
            spec: { rules: { http: { paths: { path: string }[] } }[] };
        }[];
        assert.strictEqual(ingress.spec.rules[0].http.paths[0].path, "/");
        assert.strictEqual(env(podSpec(ms).containers[0], "PROMOTIONS_BASE_PATH"), undefined);
        assert.strictEqual(
            env(podSpec(ms).containers[0], "PROMOTIONS_PUBLIC_URL")?.value,
            "http://p.example.com",
        );
    });

    it("PersistentVolumeClaims for the state and the clone cache, an existing claim for the workspaces", async () => {
        const ms = manifests(render(ciValues("pvc")));
        await assertValid(ms);
        const claims = byKind(ms, "PersistentVolumeClaim") as unknown as {
            metadata: { name: string };
            spec: { storageClassName?: string; resources: { requests: { storage: string } } };
        }[];
        assert.deepStrictEqual(
            claims.map((c) => [c.metadata.name, c.spec.resources.requests.storage, c.spec.storageClassName]),
            [
                ["promotions-pulumi-promotions-state", "2Gi", "standard"],
                ["promotions-pulumi-promotions-cache", "10Gi", undefined],
            ],
        );
        const volumes = podSpec(ms).volumes as {
            name: string;
            persistentVolumeClaim?: { claimName: string };
        }[];
        assert.deepStrictEqual(
            volumes
                .filter((v) => v.persistentVolumeClaim)
                .map((v) => [v.name, v.persistentVolumeClaim?.claimName]),
            [
                ["state", "promotions-pulumi-promotions-state"],
                ["cache", "promotions-pulumi-promotions-cache"],
                ["workspaces", "promotions-work"],
            ],
        );
    });

    it("mounts what the image (Dockerfile) writes to, and runs what the image installs", () => {
        const dockerfile = fs.readFileSync(path.join(root, "Dockerfile"), "utf8");
        const volumes = JSON.parse(/^VOLUME (\[.*\])$/m.exec(dockerfile)?.[1] ?? "[]") as string[];
        assert.ok(volumes.length >= 3, "the Dockerfile declares no volumes");
        const ms = manifests(render(ciValues("git")));
        const pod = podSpec(ms);
        const mounts = pod.containers[0].volumeMounts.map((m) => m.mountPath);
        for (const v of volumes) {
            assert.ok(mounts.includes(v), `the image's volume ${v} is not mounted by the chart`);
        }
        assert.match(dockerfile, /^USER 10001:10001$/m);
        assert.strictEqual((pod.securityContext as { runAsUser?: number }).runAsUser, 10001);
        for (const c of [...(pod.initContainers ?? []), ...pod.containers.slice(1)]) {
            const program = c.command?.[0] ?? "";
            assert.match(dockerfile, new RegExp(`^COPY \\S+ ${program.replace(/[/.]/g, "\\$&")}$`, "m"));
        }
    });

    it("documents every value in values.yaml comments and in the chart's README", () => {
        // Maps and lists whose content is the user's (annotations, resources, …) count as one value.
        const freeForm =
            /^(resources|podSecurityContext|securityContext|nodeSelector|affinity|tolerations|.*annotations|.*Labels|.*extraEnv|definitions\.git\.resources)$/i;
        const leaves: string[] = [];
        const walk = (v: unknown, at: string) => {
            if (v !== null && typeof v === "object" && !Array.isArray(v) && !freeForm.test(at)) {
                for (const [k, child] of Object.entries(v)) {
                    walk(child, at ? `${at}.${k}` : k);
                }
            } else {
                leaves.push(at);
            }
        };
        const valuesText = fs.readFileSync(path.join(chart, "values.yaml"), "utf8");
        walk(parseAllDocuments(valuesText)[0].toJS(), "");
        assert.ok(leaves.length > 50, `only ${leaves.length} values found`);
        // The README's table names values as `a.b.c`, `a.b.c` / `.d` (a sibling) or `a.*.c` (any child of a).
        const readme = fs.readFileSync(path.join(chart, "README.md"), "utf8");
        const documented: RegExp[] = [];
        for (const row of readme.split("\n").filter((l) => l.startsWith("| `"))) {
            const names = [...row.split("|")[1].matchAll(/`([^`]+)`/g)].map((m) => m[1]);
            let parent = "";
            for (const name of names) {
                const full = name.startsWith(".") ? parent + name : name;
                parent = full.slice(0, full.lastIndexOf("."));
                for (const expanded of full.includes("{")
                    ? (/\{([^}]+)\}/.exec(full)?.[1].split(",") ?? []).map((alt) =>
                          full.replace(/\{[^}]+\}/, alt),
                      )
                    : [full]) {
                    const escaped = expanded.replace(/[.]/g, "\\.").replace(/\*/g, "[^.]+");
                    documented.push(new RegExp(`^${escaped}$`));
                }
            }
        }
        const missing = leaves.filter((leaf) => !documented.some((re) => re.test(leaf)));
        assert.deepStrictEqual(missing, [], "values missing from charts/pulumi-promotions/README.md");
        // And each value has a comment of its own just above it in values.yaml.
        const uncommented: string[] = [];
        const visit = (node: unknown, at: string) => {
            if (!isMap(node)) {
                return;
            }
            node.items.forEach((pair, i) => {
                const key = String((pair.key as { value: unknown }).value);
                const full = at ? `${at}.${key}` : key;
                const comment =
                    (pair.key as { commentBefore?: string }).commentBefore ??
                    (i === 0 ? node.commentBefore : undefined);
                if (isMap(pair.value) && !freeForm.test(full)) {
                    visit(pair.value, full);
                } else if (!comment?.trim()) {
                    uncommented.push(full);
                }
            });
        };
        visit(parseDocument(valuesText).contents, "");
        assert.deepStrictEqual(uncommented, [], "values without a comment in values.yaml");
    });

    describe("bad values fail the render, naming the field", () => {
        const write = (name: string, text: string): string => {
            const file = path.join(tempDir("chart-values"), `${name}.yaml`);
            fs.writeFileSync(file, text);
            return file;
        };

        it("no passphrase Secret: state.passphraseSecret.name is required", () => {
            const r = render(write("no-passphrase", "definitions: { configMap: { name: defs } }\n"));
            assert.notStrictEqual(r.code, 0);
            assert.match(r.stderr, /state\.passphraseSecret\.name is required/);
        });

        it("a wrong type: replicaCount as a string", () => {
            const r = render(ciValues("required"), write("wrong-type", 'replicaCount: "two"\n'));
            assert.notStrictEqual(r.code, 0);
            assert.match(r.stderr, /replicaCount/);
            assert.match(r.stderr, /integer/);
        });

        it("a host of an unknown kind: hosts[0].kind", () => {
            const r = render(
                ciValues("required"),
                write("bad-host", "hosts:\n    - prefix: https://git.example.com/\n      kind: svn\n"),
            );
            assert.notStrictEqual(r.code, 0);
            assert.match(r.stderr, /hosts\/0\/kind|hosts\.0\.kind|kind.*svn|value must be one of/);
        });

        it("a misspelt field: persistence.state.enable", () => {
            const r = render(
                ciValues("required"),
                write("typo", "persistence: { state: { enable: true } }\n"),
            );
            assert.notStrictEqual(r.code, 0);
            assert.match(r.stderr, /persistence\/state|persistence\.state/);
            assert.match(r.stderr, /enable/);
        });

        it("a prefix that is no URL path: server.basePath", () => {
            const r = render(ciValues("required"), write("bad-prefix", "server: { basePath: promotions }\n"));
            assert.notStrictEqual(r.code, 0);
            assert.match(r.stderr, /server\/basePath|server\.basePath/);
        });

        it("git definitions without a repository: definitions.git.repository is required", () => {
            const r = render(ciValues("required"), write("no-repo", "definitions: { source: git }\n"));
            assert.notStrictEqual(r.code, 0);
            assert.match(r.stderr, /definitions\.git\.repository is required/);
        });
    });
});
