import { setTimeout as sleep } from "node:timers/promises";

export interface RetryOptions {
    /** How many times `fn` runs at most (the first call included). */
    readonly attempts: number;
    /** The backoff cap of the first retry (ms); it doubles with each further retry. */
    readonly baseMs: number;
    /** The backoff cap never exceeds this (ms). */
    readonly maxMs: number;
    /** Aborting stops the wait at once and rejects with the signal's reason; no further attempt is made. */
    readonly signal?: AbortSignal;
    /** Whether a failure is worth another attempt; default: every failure is. */
    readonly retryIf?: (error: unknown, attempt: number) => boolean;
    /** Told before each wait (for logs and counters). */
    readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
    /** A number in [0, 1); default Math.random (tests pass their own). */
    readonly random?: () => number;
}

/**
 * The wait before retry number `retry` (1 for the first retry): "full jitter", a uniform draw between 0 and
 * min(maxMs, baseMs * 2^(retry-1)), so writers that collided spread out instead of colliding again.
 */
export function backoffMs(
    retry: number,
    opts: Pick<RetryOptions, "baseMs" | "maxMs">,
    random: () => number = Math.random,
): number {
    const cap = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, retry - 1));
    return Math.floor(random() * cap);
}

/**
 * Runs `fn` (given the attempt number, from 1) until it resolves, a failure is not retryable, `attempts` runs
 * have failed (the last failure is thrown) or `signal` aborts (its reason is thrown). Waits between attempts
 * with exponential backoff and full jitter ({@link backoffMs}).
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
    for (let attempt = 1; ; attempt++) {
        opts.signal?.throwIfAborted();
        try {
            return await fn(attempt);
        } catch (e) {
            if (attempt >= opts.attempts || (opts.retryIf && !opts.retryIf(e, attempt))) {
                throw e;
            }
            const delay = backoffMs(attempt, opts, opts.random);
            opts.onRetry?.(e, attempt, delay);
            await sleep(delay, undefined, opts.signal ? { signal: opts.signal } : undefined).catch(() =>
                opts.signal?.throwIfAborted(),
            );
        }
    }
}
