/**
 * One write of a {@link ReleaseStore} in a process of its own, for a process already running an inline update
 * (see inlineUpdates.ts): `{options, op, args}` as JSON on stdin, the passphrase in PULUMI_CONFIG_PASSPHRASE.
 * Exits 0 once written (a decision's answer as JSON on stdout), else 1 with the reason on stderr.
 */
import { messageOf } from "../model/errors";
import type { StoreWrite } from "./releaseStore";
import { ReleaseStore } from "./releaseStore";

async function main(): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) {
        chunks.push(chunk as Buffer);
    }
    const write = JSON.parse(Buffer.concat(chunks).toString("utf8")) as StoreWrite;
    const store = new ReleaseStore({
        ...write.options,
        passphrase: process.env.PULUMI_CONFIG_PASSPHRASE ?? "",
    });
    const answer = await store.apply(write);
    if (answer) {
        await new Promise<void>((resolve) =>
            process.stdout.write(`\n${JSON.stringify(answer)}\n`, () => resolve()),
        );
    }
}

main().then(
    () => process.exit(0),
    (e: unknown) => {
        process.stderr.write(messageOf(e));
        process.exit(1);
    },
);
