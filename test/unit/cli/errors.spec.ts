import * as assert from "assert";
import { CommandError, ConcurrentUpdateError } from "@pulumi/pulumi/automation";
import type { ClassifyContext } from "../../../cli/errors";
import { classifyError } from "../../../cli/errors";
import { EnvironmentError, InvalidInputError } from "../../../model/errors";
import { GitError } from "../../../provider/git/git";
import { GitHubError } from "../../../provider/scm/github";

/** A CommandError as the Automation API makes it (its constructor is internal). */
function pulumiError(stderr: string, kind: typeof CommandError = CommandError): CommandError {
    const result = {
        stdout: "",
        stderr,
        code: 3,
        toString: () => `code: 3\n stdout: \n stderr: ${stderr}\n err?: \n`,
    };
    return new (kind as unknown as new (r: typeof result) => CommandError)(result);
}

const tokenMissing =
    "Command failed with exit code 3: pulumi stack select\nerror: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions\n";

interface Case {
    readonly name: string;
    readonly error: unknown;
    readonly context?: ClassifyContext;
    readonly exitCode: number;
    /** Every one must match the message. */
    readonly message: readonly RegExp[];
    /** None may match. */
    readonly not?: readonly RegExp[];
}

const cases: readonly Case[] = [
    {
        name: "invalid input: its exit code and message",
        error: new InvalidInputError('unknown product "x"'),
        exitCode: 2,
        message: [/^unknown product "x"$/],
    },
    {
        name: "environment error",
        error: new EnvironmentError("no Pulumi CLI"),
        exitCode: 3,
        message: [/^no Pulumi CLI$/],
    },
    {
        name: "git: unreachable repository",
        error: new GitError(["fetch", "origin"], 128, "fatal: repository '/nope' does not exist"),
        exitCode: 3,
        message: [/git fetch origin failed \(exit 128\): fatal: repository '\/nope' does not exist/],
    },
    {
        name: "GitHub 401 keeps its hint",
        error: new GitHubError("create pull request", 401, "Bad credentials"),
        exitCode: 3,
        message: [/GitHub create pull request: 401 Bad credentials/, /check PROMOTIONS_SCM_TOKEN/],
    },
    {
        name: "GitHub 404 keeps its hint",
        error: new GitHubError("get repository", 404, "Not Found"),
        exitCode: 3,
        message: [/does the token reach this repository/],
    },
    {
        name: "Pulumi Cloud without a token",
        error: pulumiError(tokenMissing),
        context: { stateUrl: "https://api.pulumi.com" },
        exitCode: 3,
        message: [
            /"https:\/\/api\.pulumi\.com" \(--state\)/,
            /PULUMI_ACCESS_TOKEN is not set/,
            /--state file:\/\/DIR/,
        ],
        not: [/Command failed|stdout|err\?/],
    },
    {
        name: "a backend URL Pulumi cannot use (gopher://)",
        error: pulumiError(tokenMissing),
        context: { stateUrl: "gopher://x" },
        exitCode: 3,
        message: [
            /Pulumi cannot use the state backend "gopher:\/\/x" \(--state\)/,
            /Pass --state file:\/\/DIR/,
        ],
    },
    {
        name: "an unreachable bucket",
        error: pulumiError('error: read ".pulumi/meta.yaml": blob (key ".pulumi/meta.yaml"): NoSuchBucket\n'),
        context: { stateUrl: "s3://no-such-bucket-zz" },
        exitCode: 3,
        message: [/"s3:\/\/no-such-bucket-zz" \(--state\): read "\.pulumi\/meta\.yaml"/, /promote doctor/],
    },
    {
        name: "a stack locked by another update",
        error: pulumiError("error: the stack is currently locked by 1 lock(s)", ConcurrentUpdateError),
        exitCode: 3,
        message: [/another Pulumi update holds this product's stack/, /pulumi cancel/],
    },
    {
        name: "any other Pulumi failure: its error lines only",
        error: pulumiError("warning: x\nerror: update failed\n"),
        exitCode: 1,
        message: [/^Pulumi failed: update failed$/],
    },
    {
        name: "a full or read-only state: every error of a multi-error, with its path, and what to do",
        error: pulumiError(
            "error: 2 errors occurred:\n\t* writing /s/.pulumi/stacks/p/web.json: read-only file system\n" +
                "\t* unlocking /s/.pulumi/locks/x.json: read-only file system\n\n",
        ),
        exitCode: 3,
        message: [
            /^the storage of the state backend \(--state\) refused a write: 2 errors occurred: \* writing \/s\/\.pulumi\/stacks\/p\/web\.json: read-only file system; \* unlocking \/s\/\.pulumi\/locks\/x\.json: read-only file system\. Free space/,
            /promote retry ID/,
        ],
    },
    {
        name: "stdout closed by the reader",
        error: Object.assign(new Error("write EPIPE"), { code: "EPIPE", syscall: "write" }),
        exitCode: 0,
        message: [/^$/],
    },
    {
        name: "anything else: 1, the message, no stack",
        error: new RangeError("pre-action smoke failed"),
        exitCode: 1,
        message: [/^pre-action smoke failed$/],
        not: [/\n\s+at /],
    },
    {
        name: "anything else with PROMOTIONS_DEBUG=1: the stack",
        error: new TypeError("x is undefined"),
        context: { debug: true },
        exitCode: 1,
        message: [/^TypeError: x is undefined\n\s+at /],
    },
    { name: "a thrown string", error: "boom", exitCode: 1, message: [/^boom$/] },
];

describe("classifyError", () => {
    for (const c of cases) {
        it(c.name, () => {
            const got = classifyError(c.error, c.context);
            assert.strictEqual(got.exitCode, c.exitCode);
            for (const re of c.message) {
                assert.match(got.message, re);
            }
            for (const re of c.not ?? []) {
                assert.doesNotMatch(got.message, re);
            }
        });
    }
});
