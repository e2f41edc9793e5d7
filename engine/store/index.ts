import { EnvironmentError } from "../../model/errors";
import { displayBackendUrl, fileUrlPath } from "../pulumi/stateBackend";
import { FileKvStore, fileStoreRoot } from "./file";
import type { KvStore } from "./kv";
import { PostgresKvStore } from "./postgres";
import { s3Store } from "./s3";

export type { KvStore } from "./kv";

/**
 * The coordination store for a backend URL: the `--store` URL when given (PROMOTIONS_STORE), else the state
 * backend's own. Files for `file://`, a table for `postgres://`, conditional object writes for `s3://`. A
 * backend with none of these (Pulumi Cloud, `azblob://`, `gs://`) needs a store named explicitly.
 */
export function openKvStore(url: string): KvStore {
    if (url.startsWith("file://")) {
        return new FileKvStore(fileStoreRoot(fileUrlPath(url)));
    }
    if (/^postgres(ql)?:\/\//.test(url)) {
        return new PostgresKvStore(url);
    }
    if (url.startsWith("s3://")) {
        return s3Store(url);
    }
    if (/^(https?|azblob|gs):\/\//.test(url)) {
        throw new EnvironmentError(
            `the state backend "${displayBackendUrl(url)}" (--state) has no store for release records and coordination (one with compare-and-set writes): set PROMOTIONS_STORE to file://DIR, postgres://… or s3://BUCKET to keep them there (Pulumi keeps the promote stacks where they are), or pass --state file://DIR, postgres://… or s3://BUCKET`,
        );
    }
    throw new EnvironmentError(
        `neither Pulumi nor the release store can use the state backend "${displayBackendUrl(url)}" (--state): pass --state file://DIR, postgres://… or s3://BUCKET`,
    );
}
