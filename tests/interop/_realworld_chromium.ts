/**
 * Headless Chromium for the browser interop test: find the binary, run it
 * bounded in time with a throw-away profile, and talk to it over the Chrome
 * DevTools Protocol (a WebSocket from Deno; no npm driver).
 *
 * @module
 */

/**
 * The Chromium executable. Debian's `/usr/bin/chromium` is a shell wrapper
 * that sources `/etc/chromium.d/*` and appends flags (an empty
 * `--load-extension=`, a `/dev/shm` probe that breaks on hosts with two
 * mounts there); in headless mode those can make it refuse the URL
 * ("Multiple targets are not supported"), so the real binary it wraps is
 * preferred.
 *
 * @returns The path of the binary.
 * @throws {Error} When Chromium is not installed.
 */
export async function chromiumPath(): Promise<string> {
  for (const path of ["/usr/lib/chromium/chromium", "/usr/bin/chromium"]) {
    try {
      if ((await Deno.stat(path)).isFile) return path;
    } catch { /* next */ }
  }
  throw new Error(
    "chromium is not installed (apt-get install chromium); the browser interop test needs it",
  );
}

/**
 * The flags every run uses: headless, no sandbox (we are root in a
 * container), no GPU, no QUIC (so h2 is what a TLS origin gets), nothing
 * that phones home, certificate errors ignored (the test's certificate is
 * self-signed).
 *
 * @param profileDir A fresh `--user-data-dir`.
 * @returns The flags.
 */
export function chromiumFlags(profileDir: string): string[] {
  return [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--ignore-certificate-errors",
    `--user-data-dir=${profileDir}`,
  ];
}

/** A running Chromium with its DevTools endpoint. */
export interface Chromium {
  /** `ws://127.0.0.1:PORT/devtools/browser/…`. */
  readonly browserWsUrl: string;
  /** `127.0.0.1:PORT` of the DevTools HTTP endpoint. */
  readonly devtoolsHost: string;
  /** What Chromium printed on stderr so far. */
  stderr(): string;
  /** Kills the process (SIGKILL after 5 s of SIGTERM) and removes the profile. */
  close(): Promise<void>;
}

/**
 * Starts Chromium with `--remote-debugging-port=0` on `about:blank`.
 *
 * @param options `timeoutMs` bounds the wait for the DevTools line.
 * @returns The running browser.
 * @throws {Error} When Chromium is missing, exits, or prints no DevTools URL in time.
 */
export async function launchChromium(options: { timeoutMs?: number } = {}): Promise<Chromium> {
  const binary = await chromiumPath();
  const profileDir = await Deno.makeTempDir({ prefix: "h2-chromium-" });
  const child = new Deno.Command(binary, {
    args: [
      ...chromiumFlags(profileDir),
      "--remote-debugging-address=127.0.0.1",
      "--remote-debugging-port=0",
      "about:blank",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let stderrText = "";
  let found: (url: string) => void = () => {};
  const wsUrl = new Promise<string>((resolve) => found = resolve);
  const stderrDone = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      stderrText += chunk;
      const match = /DevTools listening on (ws:\/\/[^\s]+)/.exec(stderrText);
      if (match) found(match[1]!);
    }
  })();
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    const killer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }, 5_000);
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    await child.status;
    clearTimeout(killer);
    await stderrDone.catch(() => {});
    await Deno.remove(profileDir, { recursive: true }).catch(() => {});
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const browserWsUrl = await Promise.race([
    wsUrl,
    child.status.then((s) => {
      throw new Error(`chromium exited (${s.code}) before DevTools was up:\n${stderrText}`);
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`chromium printed no DevTools URL:\n${stderrText}`)),
        options.timeoutMs ?? 20_000,
      );
    }),
  ]).catch(async (error) => {
    await close();
    throw error;
  }).finally(() => clearTimeout(timer));
  return {
    browserWsUrl,
    devtoolsHost: new URL(browserWsUrl).host,
    stderr: () => stderrText,
    close,
  };
}

/** A CDP event. */
export interface CdpEvent {
  /** e.g. `Network.responseReceived`. */
  method: string;
  /** Its parameters. */
  params: Record<string, unknown>;
}

/** A minimal Chrome DevTools Protocol client over one WebSocket. */
export class CdpClient {
  #ws: WebSocket;
  #nextId = 1;
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** Every event received, in order. */
  readonly events: CdpEvent[] = [];
  #waiters: { test: (e: CdpEvent) => boolean; resolve: (e: CdpEvent) => void }[] = [];

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (message) => {
      const data = JSON.parse(String(message.data));
      if (typeof data.id === "number") {
        const pending = this.#pending.get(data.id);
        this.#pending.delete(data.id);
        if (data.error) pending?.reject(new Error(`CDP: ${JSON.stringify(data.error)}`));
        else pending?.resolve(data.result);
        return;
      }
      const event: CdpEvent = { method: data.method, params: data.params ?? {} };
      this.events.push(event);
      this.#waiters = this.#waiters.filter((w) => {
        if (!w.test(event)) return true;
        w.resolve(event);
        return false;
      });
    };
    ws.onclose = () => {
      for (const { reject } of this.#pending.values()) reject(new Error("CDP socket closed"));
      this.#pending.clear();
    };
  }

  /**
   * Opens a WebSocket to a DevTools target.
   *
   * @param url `webSocketDebuggerUrl` of the target.
   * @returns The connected client.
   */
  static async connect(url: string): Promise<CdpClient> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error(`Cannot open CDP WebSocket ${url}`));
    });
    return new CdpClient(ws);
  }

  /**
   * Sends a command.
   *
   * @param method e.g. `Runtime.evaluate`.
   * @param params Its parameters.
   * @returns The command's result.
   */
  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.#nextId++;
    this.#ws.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve: (v) => resolve(v as Record<string, unknown>), reject });
    });
  }

  /**
   * Waits for an event (already received or coming).
   *
   * @param method The event name.
   * @param test An extra condition on it.
   * @returns The event.
   */
  waitFor(method: string, test: (e: CdpEvent) => boolean = () => true): Promise<CdpEvent> {
    const full = (e: CdpEvent) => e.method === method && test(e);
    const seen = this.events.find(full);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ test: full, resolve }));
  }

  /**
   * Evaluates an expression in the page, awaiting a returned promise.
   *
   * @param expression JavaScript.
   * @returns Its value (JSON-serialisable).
   * @throws {Error} When it throws in the page.
   */
  async evaluate(expression: string): Promise<unknown> {
    const result = await this.send("Runtime.evaluate", {
      expression,
      awaitPromise: true,
      returnByValue: true,
    });
    if (result.exceptionDetails) {
      throw new Error(`In the page: ${JSON.stringify(result.exceptionDetails)}`);
    }
    return (result.result as { value?: unknown }).value;
  }

  /** Closes the WebSocket. */
  close(): void {
    this.#ws.close();
  }
}

/**
 * The WebSocket URL of the first page target of a running Chromium.
 *
 * @param devtoolsHost `127.0.0.1:PORT`.
 * @returns `webSocketDebuggerUrl` of the page.
 * @throws {Error} When there is no page.
 */
export async function pageWsUrl(devtoolsHost: string): Promise<string> {
  const response = await fetch(`http://${devtoolsHost}/json/list`);
  const targets = (await response.json()) as { type: string; webSocketDebuggerUrl: string }[];
  const page = targets.find((t) => t.type === "page");
  if (!page) throw new Error(`No page target: ${JSON.stringify(targets)}`);
  return page.webSocketDebuggerUrl;
}
