import { completionScript } from "../reference";
import type { CliDeps } from "../context";
import type { CompletionCommandOptions } from "./completion.args";

/** `promote completion bash|zsh|fish`: the shell's completion script, made from the command specs. */
export function completion(opts: CompletionCommandOptions, deps: Pick<CliDeps, "io">): Promise<number> {
    deps.io.out(completionScript(opts.shell).trimEnd());
    return Promise.resolve(0);
}
