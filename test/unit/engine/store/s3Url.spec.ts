import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseS3BackendUrl, s3Credentials, s3Store } from "../../../../engine/store/s3";

describe("the S3 store's reading of a Pulumi s3:// backend URL", () => {
    it("the SDK v1 form Pulumi translates: scheme-less endpoint, disableSSL, s3ForcePathStyle", () => {
        const t = parseS3BackendUrl(
            "s3://state?endpoint=127.0.0.1:7070&disableSSL=true&s3ForcePathStyle=true&region=eu-west-1",
        );
        assert.deepStrictEqual(t, {
            bucket: "state",
            root: ".promotions/",
            region: "eu-west-1",
            bucketUrl: "http://127.0.0.1:7070/state",
            endpoint: "http://127.0.0.1:7070",
            writeHeaders: {},
        });
    });

    it("the gocloud.dev v2 form: endpoint with scheme, use_path_style, awssdk=v2, a key prefix", () => {
        const t = parseS3BackendUrl(
            "s3://state/teams/payments?endpoint=https://minio.example:9000&use_path_style=true&awssdk=v2&region=us-east-2",
        );
        assert.strictEqual(t.root, "teams/payments/.promotions/");
        assert.strictEqual(t.bucketUrl, "https://minio.example:9000/state");
        assert.strictEqual(t.region, "us-east-2");
    });

    it("disable_https or disableSSL make it http (an explicit https endpoint too), else https; virtual-hosted without path style", () => {
        assert.strictEqual(
            parseS3BackendUrl("s3://b?endpoint=s3.example:9000").bucketUrl,
            "https://b.s3.example:9000",
        );
        assert.strictEqual(
            parseS3BackendUrl("s3://b?endpoint=s3.example&disable_https=true&use_path_style=1").bucketUrl,
            "http://s3.example/b",
        );
        assert.strictEqual(
            parseS3BackendUrl("s3://b?endpoint=https://s3.example&disable_https=true&use_path_style=1")
                .bucketUrl,
            "http://s3.example/b",
        );
        assert.strictEqual(
            parseS3BackendUrl("s3://b?disable_https=true").bucketUrl,
            "http://b.s3.us-east-1.amazonaws.com",
        );
    });

    it("AWS itself: the region from the URL, else AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1", () => {
        assert.strictEqual(
            parseS3BackendUrl("s3://b", { AWS_REGION: "ap-south-1" }).bucketUrl,
            "https://b.s3.ap-south-1.amazonaws.com",
        );
        assert.strictEqual(
            parseS3BackendUrl("s3://b", { AWS_DEFAULT_REGION: "sa-east-1" }).region,
            "sa-east-1",
        );
        assert.strictEqual(parseS3BackendUrl("s3://b").region, "us-east-1");
        assert.strictEqual(
            parseS3BackendUrl("s3://b?region=cn-north-1&dualstack=true").bucketUrl,
            "https://b.s3.dualstack.cn-north-1.amazonaws.com.cn",
        );
        assert.strictEqual(
            parseS3BackendUrl("s3://b?region=us-east-1&s3ForcePathStyle=true").bucketUrl,
            "https://s3.us-east-1.amazonaws.com/b",
        );
    });

    it("AWS_ENDPOINT_URL_S3 (then AWS_ENDPOINT_URL) when the URL names no endpoint", () => {
        const env = { AWS_ENDPOINT_URL_S3: "http://10.0.0.5:9000", AWS_ENDPOINT_URL: "http://other" };
        assert.strictEqual(
            parseS3BackendUrl("s3://b?use_path_style=true", env).bucketUrl,
            "http://10.0.0.5:9000/b",
        );
    });

    it("server-side encryption settings become write headers", () => {
        assert.deepStrictEqual(parseS3BackendUrl("s3://b?ssetype=aws:kms&kmskeyid=key-1").writeHeaders, {
            "x-amz-server-side-encryption": "aws:kms",
            "x-amz-server-side-encryption-aws-kms-key-id": "key-1",
        });
    });

    it("refuses what it cannot honour, saying what to do", () => {
        assert.throws(
            () => parseS3BackendUrl("file:///tmp/x"),
            /not an S3 backend URL: write s3:\/\/<bucket>/,
        );
        assert.throws(
            () => parseS3BackendUrl("s3://b?colour=blue"),
            /unknown query parameter "colour"; known: /,
        );
        assert.throws(
            () => parseS3BackendUrl("s3://b?role=arn:aws:iam::1:role/x"),
            /does not assume "\?role=" yet; drop it and give the role's credentials in AWS_ACCESS_KEY_ID/,
        );
        assert.throws(
            () => parseS3BackendUrl("s3://b?anonymous=true"),
            /cannot be anonymous; drop "\?anonymous="/,
        );
        assert.throws(
            () => parseS3BackendUrl("s3://b?endpoint=http://[bad"),
            /its endpoint "http:\/\/\[bad" is not a URL/,
        );
    });

    it("credentials: the AWS variables first, else the profile's static keys in the shared credentials file", () => {
        assert.deepStrictEqual(
            s3Credentials({
                AWS_ACCESS_KEY_ID: "AKIA1",
                AWS_SECRET_ACCESS_KEY: "s1",
                AWS_SESSION_TOKEN: "t1",
            }),
            { accessKeyId: "AKIA1", secretAccessKey: "s1", sessionToken: "t1" },
        );
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promotions-awscreds-"));
        try {
            const file = path.join(dir, "credentials");
            fs.writeFileSync(
                file,
                "[default]\naws_access_key_id = AKIADEF\naws_secret_access_key = sdef\n\n" +
                    "# a comment\n[ci]\naws_access_key_id=AKIACI\naws_secret_access_key=sci\naws_session_token=tci\n",
            );
            const env = { AWS_SHARED_CREDENTIALS_FILE: file };
            assert.deepStrictEqual(s3Credentials(env), { accessKeyId: "AKIADEF", secretAccessKey: "sdef" });
            assert.deepStrictEqual(s3Credentials({ ...env, AWS_PROFILE: "ci" }), {
                accessKeyId: "AKIACI",
                secretAccessKey: "sci",
                sessionToken: "tci",
            });
            assert.strictEqual(s3Credentials(env, "missing"), undefined);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("where names the bucket, prefix and endpoint, and no credential", () => {
        const store = s3Store("s3://b/p?endpoint=http://127.0.0.1:1&use_path_style=true", {
            AWS_ACCESS_KEY_ID: "AKIAWHERE",
            AWS_SECRET_ACCESS_KEY: "secret-where",
        });
        assert.strictEqual(store.where, "s3://b/p/.promotions/ at http://127.0.0.1:1");
    });
});
