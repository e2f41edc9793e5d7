import { InvalidInputError } from "../../model/errors";
import { publicRecord, summary } from "../../engine/releaseRecord";
import { requireFlag } from "../args";
import type { CliContext } from "../context";
import { engineFor } from "../engine";
import { formatRelease, formatReleaseList } from "../output";
import { ProgressView } from "../progress";
import { report } from "./trigger";

/** `promote releases --product P`: every release, newest first, a column per environment. */
export async function releases(ctx: CliContext): Promise<number> {
    const product = requireFlag(ctx.args, "product", "the product whose releases to list");
    const list = await (await engineFor(ctx)).releases(product);
    if (ctx.args.flags.json) {
        ctx.out(JSON.stringify(list.map(summary), null, 2));
    } else {
        formatReleaseList(list, ctx.style).forEach((l) => ctx.out(l));
    }
    return 0;
}

function releaseId(ctx: CliContext): string {
    const id = ctx.args.positionals[0];
    if (!id) {
        throw new InvalidInputError(`missing release ID: promote ${ctx.args.command} ID`);
    }
    return id;
}

/** `promote release ID`: one release in full. */
export async function release(ctx: CliContext): Promise<number> {
    const record = await (await engineFor(ctx)).find(releaseId(ctx));
    if (ctx.args.flags.json) {
        ctx.out(JSON.stringify(publicRecord(record), null, 2));
    } else {
        formatRelease(record, ctx.style).forEach((l) => ctx.out(l));
    }
    return 0;
}

/** `promote retry ID`: resumes a Failed or Terminated release from where it stopped. */
export async function retry(ctx: CliContext): Promise<number> {
    const view = new ProgressView(ctx);
    try {
        return report(ctx, await (await engineFor(ctx, view.handle)).retry(releaseId(ctx)));
    } finally {
        view.stop();
    }
}

/** `promote terminate ID`: stops a queued or running release (it ends Terminated). */
export async function terminate(ctx: CliContext): Promise<number> {
    const record = await (await engineFor(ctx)).terminate(releaseId(ctx));
    if (ctx.args.flags.json) {
        ctx.out(JSON.stringify(publicRecord(record), null, 2));
    } else {
        formatRelease(record, ctx.style).forEach((l) => ctx.out(l));
    }
    return record.status === "Terminated" ? 0 : 1;
}
