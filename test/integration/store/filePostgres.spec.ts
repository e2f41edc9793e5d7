import { FileKvStore } from "../../../engine/store/file";
import { PostgresKvStore } from "../../../engine/store/postgres";
import { describeKvContract } from "../../support/kvContract";
import type { PostgresServer } from "../../support/postgres";
import { startPostgres } from "../../support/postgres";
import { removeTempDirs, tempDir } from "../../support/tmp";

/** The coordination store's contract (test/support/kvContract.ts), as the S3 store meets it, for files and PostgreSQL. */
describe("the file and PostgreSQL coordination stores", function () {
    after(removeTempDirs);

    const dir = tempDir("kv-file");
    describeKvContract("files (file:// backends)", () =>
        Promise.resolve({ store: new FileKvStore(dir), cleanup: () => Promise.resolve() }),
    );

    let pg: PostgresServer | undefined;
    after(async () => {
        await pg?.stop();
        pg = undefined;
    });
    describeKvContract("PostgreSQL (postgres:// backends)", async () => {
        pg ??= await startPostgres();
        const store = new PostgresKvStore(pg.url);
        return { store, cleanup: () => store.close() };
    });
});
