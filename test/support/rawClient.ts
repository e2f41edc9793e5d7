import * as fs from "fs";
import * as net from "net";

/** One raw TCP connection to a server: what it sent back, and whether the server closed it. */
export class RawConnection {
    readonly socket: net.Socket;
    private readonly chunks: Buffer[] = [];
    closed = false;
    readonly ended: Promise<void>;

    constructor(port: number, host = "127.0.0.1") {
        this.socket = net.connect(port, host);
        this.socket.on("data", (d: Buffer) => this.chunks.push(d));
        // A reset after the answer (the server closed with bytes unread) is a close like another.
        this.socket.on("error", () => undefined);
        this.ended = new Promise((resolve) =>
            this.socket.once("close", () => {
                this.closed = true;
                resolve();
            }),
        );
    }

    /** Resolves once connected. */
    async connected(): Promise<this> {
        if (this.socket.readyState !== "open") {
            await new Promise<void>((resolve, reject) => {
                this.socket.once("connect", resolve);
                this.socket.once("error", reject);
            });
        }
        return this;
    }

    /** Writes, waiting for the socket to drain when its buffer is full; false when the socket is gone. */
    async write(data: string | Buffer): Promise<boolean> {
        if (this.closed || this.socket.destroyed || !this.socket.writable) {
            return false;
        }
        if (!this.socket.write(data)) {
            await new Promise<void>((resolve) => {
                const done = () => {
                    this.socket.off("drain", done);
                    this.socket.off("close", done);
                    resolve();
                };
                this.socket.on("drain", done);
                this.socket.on("close", done);
            });
        }
        return !this.closed;
    }

    /** Everything received so far. */
    get received(): string {
        return Buffer.concat(this.chunks).toString("utf8");
    }

    /** The status code of the first answer, if one arrived. */
    get status(): number | undefined {
        const m = /^HTTP\/1\.1 (\d{3})/.exec(this.received);
        return m ? Number(m[1]) : undefined;
    }

    destroy(): void {
        this.socket.destroy();
    }
}

/** Polls `done` every 50 ms until it holds or `boundMs` passed; returns whether it held. */
export async function waitUntil(done: () => boolean | Promise<boolean>, boundMs: number): Promise<boolean> {
    const deadline = Date.now() + boundMs;
    for (;;) {
        if (await done()) {
            return true;
        }
        if (Date.now() > deadline) {
            return false;
        }
        await new Promise((r) => setTimeout(r, 50));
    }
}

/** The number of file descriptors this process has open (Linux). */
export function openFds(): number {
    return fs.readdirSync("/proc/self/fd").length;
}
