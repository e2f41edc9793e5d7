/**
 * Inline-program updates running in this process. The Pulumi runtime of an inline program is process-wide (the
 * Automation API points it at each update's engine in turn), so two updates at once in one process would send
 * one program's resources to the other's engine. Writers of records check {@link inlineUpdateRunning} and,
 * when one is, write from a process of their own.
 */
let running = 0;

/** Runs `fn` (an inline-program update) counted as running. */
export async function inlineUpdate<T>(fn: () => Promise<T>): Promise<T> {
    running++;
    try {
        return await fn();
    } finally {
        running--;
    }
}

export function inlineUpdateRunning(): boolean {
    return running > 0;
}
