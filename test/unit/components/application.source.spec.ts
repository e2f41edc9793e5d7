import * as assert from "assert";
import {
    fileInApplicationProblem,
    repoUrlProblem,
    sourcePathProblem,
    targetRevisionProblem,
} from "../../../components/application.source";

/** [value, a regex the reason must match, or undefined when the value is accepted]. */
type Table = readonly (readonly [string, RegExp | undefined])[];

function check(name: string, problem: (v: string) => string | undefined, table: Table): void {
    describe(name, () => {
        for (const [value, expected] of table) {
            it(`${expected ? "refuses" : "accepts"} ${JSON.stringify(value)}`, () => {
                const reason = problem(value);
                if (expected === undefined) {
                    assert.strictEqual(reason, undefined);
                } else {
                    assert.match(reason ?? "(accepted)", expected);
                }
            });
        }
    });
}

check("repoURL", repoUrlProblem, [
    ["https://github.com/acme/gitops.git", undefined],
    ["http://localhost:8080/gitops.git", undefined],
    ["ssh://git@github.com/acme/gitops.git", undefined],
    ["git://example.com/gitops.git", undefined],
    ["file:///srv/git/gitops.git", undefined],
    ["git@github.com:acme/gitops.git", undefined],
    ["github.com:acme/gitops.git", undefined],
    ["-uhttps://x", /starts with "-".*option/],
    ["ext::sh -c touch% /tmp/pwned", /"ext::" transport/],
    ["fd::17", /"fd::" transport/],
    ["https://example.com/r.git --upload-pack=touch /tmp/x", /git option \(--upload-pack\)/],
    ["ftp://example.com/r.git", /scheme "ftp" is not supported .*https, http, ssh, git, file/],
    ["https://", /no host or path/],
    ["https://example.com/r\n.git", /control characters/],
    ["/srv/git/gitops.git", /not a repository URL git can clone/],
    ["gitops", /not a repository URL/],
]);

check("targetRevision", targetRevisionProblem, [
    ["main", undefined],
    ["HEAD", undefined],
    ["release/1.2", undefined],
    ["v1.2.0", undefined],
    ["0123456789abcdef0123456789abcdef01234567", undefined],
    ["--upload-pack=x", /starts with "-"/],
    ["-b", /starts with "-"/],
    ["main..dev", /contains "\.\."/],
    ["my branch", /contains spaces.*check-ref-format/],
    ["main\u0007", /control characters/],
    ["main~1", /contains "~"/],
    ["main^", /contains "\^"/],
    ["a:b", /contains ":"/],
    ["feature*", /contains "\*"/],
    ["main@{1}", /"@\{"/],
    ["@", /"@"/],
    ["/main", /starts or ends with "\/"/],
    ["main/", /starts or ends with "\/"/],
    ["a//b", /"\/\/"/],
    ["main.lock", /\.lock/],
    [".hidden", /starts with "\."/],
    ["main.", /ends with "\."/],
]);

check("path", sourcePathProblem, [
    [".", undefined],
    ["apps/web/dev", undefined],
    ["apps/../web/dev", undefined],
    ["../../../etc", /leaves the repository/],
    ["apps/../../x", /leaves the repository/],
    ["..", /leaves the repository/],
    ["/etc/passwd", /is absolute: .* e\.g\. etc\/passwd/],
    ["C:\\work", /is absolute/],
    ["apps\n", /control characters/],
]);

check("a template's file", fileInApplicationProblem, [
    ["values.yaml", undefined],
    ["config/values.yaml", undefined],
    ["../secret.yaml", /leaves the application's path/],
    ["a/../../secret.yaml", /leaves the application's path/],
    ["/etc/shadow", /is absolute/],
]);
