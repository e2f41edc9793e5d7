/**
 * Errors carry the entity they are about, the field path and a fix, so a message reads like
 * `PromotionFlow "seq": steps[2].dependsOn: unknown environment "qa2"`.
 * Exit codes (documented in the README): 1 release Failed or Terminated, 2 invalid input,
 * 3 environment problem (engine missing, repository unreachable).
 */
export abstract class PromotionError extends Error {
    abstract readonly exitCode: number;
    constructor(message: string, options?: { cause?: unknown }) {
        super(message, options);
        this.name = new.target.name;
    }
}

/** The machine lacks something we need: the Pulumi engine, git, a reachable repository. Exit code 3. */
export class EnvironmentError extends PromotionError {
    readonly exitCode = 3;
}

/** The user's input is wrong. Exit code 2. */
export class InvalidInputError extends PromotionError {
    readonly exitCode = 2;
}
