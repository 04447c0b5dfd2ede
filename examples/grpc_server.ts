/**
 * A gRPC server on {@link serveConnection}, without a gRPC library: gRPC
 * over HTTP/2 is a POST with `content-type: application/grpc`,
 * Length-Prefixed-Messages in both bodies (1 flag octet, 4-octet big-endian
 * length, the message), and the call's status in the response trailers
 * (`grpc-status`, `grpc-message`) — or, for an immediate failure, in a
 * "Trailers-Only" response: one HEADERS frame with END_STREAM.
 * (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md)
 *
 * The demo service `demo.Echo` uses JSON messages, so any client with a
 * custom serializer can call it (the interop test uses `@grpc/grpc-js`):
 *
 * ```sh
 * deno run --allow-net examples/grpc_server.ts [--port 50051]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  serveConnection,
  type ServeConnectionHandler,
  type ServedConnection,
  withTrailers,
} from "../lib/serve_connection.ts";

/** gRPC status codes used here (https://grpc.github.io/grpc/core/md_doc_statuscodes.html). */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
} as const;

/** Thrown by a method (or its reply iterator) to end the call with a status. */
export class GrpcError extends Error {
  /** The gRPC status code. */
  readonly code: number;

  /**
   * Builds the error.
   *
   * @param code The gRPC status code.
   * @param message Sent as `grpc-message`.
   */
  constructor(code: number, message: string) {
    super(message);
    this.name = "GrpcError";
    this.code = code;
  }
}

/** What a method sees besides its messages. */
export interface GrpcCall {
  /** The request's metadata (its header fields). */
  readonly metadata: Headers;
  /** Aborted if the client cancels (RST_STREAM). */
  readonly signal: AbortSignal;
}

/** A method: the request messages in, the reply messages out (one of each for unary). */
export type GrpcMethod = (
  requests: AsyncIterable<Uint8Array>,
  call: GrpcCall,
) => AsyncIterable<Uint8Array>;

/**
 * A unary method from `(request) => reply`.
 *
 * @param fn Answers the one request message.
 * @returns The method.
 */
export function unary(
  fn: (request: Uint8Array, call: GrpcCall) => Uint8Array | Promise<Uint8Array>,
): GrpcMethod {
  return async function* (requests, call) {
    yield await fn(await single(requests), call);
  };
}

/**
 * A server-streaming method from `(request) => replies`.
 *
 * @param fn Yields the replies to the one request message.
 * @returns The method.
 */
export function serverStreaming(
  fn: (request: Uint8Array, call: GrpcCall) => AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): GrpcMethod {
  return async function* (requests, call) {
    yield* fn(await single(requests), call);
  };
}

/**
 * A client-streaming method from `(requests) => reply`.
 *
 * @param fn Answers once the request messages are read.
 * @returns The method.
 */
export function clientStreaming(
  fn: (requests: AsyncIterable<Uint8Array>, call: GrpcCall) => Promise<Uint8Array>,
): GrpcMethod {
  return async function* (requests, call) {
    yield await fn(requests, call);
  };
}

async function single(requests: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  let message: Uint8Array | undefined;
  for await (const m of requests) {
    if (message !== undefined) {
      throw new GrpcError(GrpcStatus.INVALID_ARGUMENT, "Expected one request message");
    }
    message = m;
  }
  if (message === undefined) {
    throw new GrpcError(GrpcStatus.INVALID_ARGUMENT, "Expected a request message");
  }
  return message;
}

/**
 * One Length-Prefixed-Message: flag 0 (uncompressed), 4-octet length, the message.
 *
 * @param message The serialized message.
 * @returns The framed message.
 */
export function frameMessage(message: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(5 + message.length);
  new DataView(out.buffer).setUint32(1, message.length);
  out.set(message, 5);
  return out;
}

/**
 * Splits a body into its Length-Prefixed-Messages as they arrive, whatever
 * the DATA frame boundaries.
 *
 * @param body The request body.
 * @param maxMessage The largest message accepted. @default 4_194_304 (gRPC's default)
 * @returns The messages.
 * @throws {GrpcError} A compressed or oversized message, or a truncated body.
 */
export async function* readMessages(
  body: ReadableStream<Uint8Array> | null,
  maxMessage = 4_194_304,
): AsyncGenerator<Uint8Array, void, undefined> {
  if (body === null) return;
  let buffer = new Uint8Array(0);
  for await (const chunk of body) {
    const joined = new Uint8Array(buffer.length + chunk.length);
    joined.set(buffer);
    joined.set(chunk, buffer.length);
    buffer = joined;
    while (buffer.length >= 5) {
      if (buffer[0] !== 0) {
        throw new GrpcError(GrpcStatus.UNIMPLEMENTED, "Compressed messages are not supported");
      }
      const length = new DataView(buffer.buffer, buffer.byteOffset).getUint32(1);
      if (length > maxMessage) {
        throw new GrpcError(
          GrpcStatus.INVALID_ARGUMENT,
          `Message of ${length} octets is too large`,
        );
      }
      if (buffer.length < 5 + length) break;
      yield buffer.slice(5, 5 + length);
      buffer = buffer.subarray(5 + length);
    }
  }
  if (buffer.length > 0) throw new GrpcError(GrpcStatus.INVALID_ARGUMENT, "Truncated message");
}

/** `grpc-message` is percent-encoded UTF-8 (PROTOCOL-HTTP2.md, "Responses"). */
function percentEncode(text: string): string {
  let out = "";
  for (const octet of new TextEncoder().encode(text)) {
    out += octet >= 0x20 && octet <= 0x7e && octet !== 0x25
      ? String.fromCharCode(octet)
      : `%${octet.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

function status(error: unknown): Record<string, string> {
  const code = error instanceof GrpcError ? error.code : GrpcStatus.INTERNAL;
  const message = error instanceof Error ? error.message : String(error);
  return { "grpc-status": String(code), "grpc-message": percentEncode(message) };
}

/**
 * A `serveConnection` handler dispatching gRPC calls by path
 * (`/package.Service/Method`).
 *
 * @param methods The methods by path.
 * @returns The handler.
 */
export function grpcHandler(methods: Record<string, GrpcMethod>): ServeConnectionHandler {
  return async (request) => {
    const contentType = request.headers.get("content-type") ?? "";
    if (request.method !== "POST" || !contentType.startsWith("application/grpc")) {
      return new Response("gRPC only", { status: 415 });
    }
    const grpcHeaders = { "content-type": "application/grpc" };
    const method = methods[new URL(request.url).pathname];
    if (method === undefined) {
      // Trailers-Only: the status rides on the one HEADERS frame.
      return new Response(null, {
        headers: {
          ...grpcHeaders,
          ...status(new GrpcError(GrpcStatus.UNIMPLEMENTED, "Unknown method")),
        },
      });
    }
    const call: GrpcCall = { metadata: request.headers, signal: request.signal };
    const replies = method(readMessages(request.body), call)[Symbol.asyncIterator]();
    // The first reply decides between a normal response and Trailers-Only.
    let first: IteratorResult<Uint8Array>;
    try {
      first = await replies.next();
    } catch (error) {
      return new Response(null, { headers: { ...grpcHeaders, ...status(error) } });
    }
    const { promise: trailers, resolve } = Promise.withResolvers<HeadersInit>();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        if (first.done) {
          controller.close();
          resolve({ "grpc-status": "0" });
        } else controller.enqueue(frameMessage(first.value));
      },
      async pull(controller) {
        try {
          const next = await replies.next();
          if (next.done) {
            controller.close();
            resolve({ "grpc-status": "0" });
          } else controller.enqueue(frameMessage(next.value));
        } catch (error) {
          // A failure after some replies: the status goes in the trailers.
          controller.close();
          resolve(status(error));
        }
      },
      cancel() {
        void replies.return?.();
      },
    }, { highWaterMark: 0 });
    return withTrailers(new Response(body, { headers: grpcHeaders }), trailers);
  };
}

const json = {
  decode: (bytes: Uint8Array): Record<string, unknown> =>
    JSON.parse(new TextDecoder().decode(bytes)),
  encode: (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value)),
};

/**
 * The demo service `demo.Echo` (JSON messages):
 * - `Unary {text}` → `{text, client}` (`client` is the `x-client` metadata);
 * - `Count {count, failAt?}` → `{i}` for i < count, failing with FAILED_PRECONDITION at `failAt`;
 * - `Sum` (client streaming) `{n}`… → `{sum, count}`;
 * - `Fail` → NOT_FOUND "no such thing".
 */
export const echoService: Record<string, GrpcMethod> = {
  "/demo.Echo/Unary": unary((request, call) => {
    const { text } = json.decode(request);
    return json.encode({ text, client: call.metadata.get("x-client") });
  }),
  "/demo.Echo/Count": serverStreaming(async function* (request) {
    const { count, failAt } = json.decode(request) as { count: number; failAt?: number };
    for (let i = 0; i < count; i++) {
      if (i === failAt) throw new GrpcError(GrpcStatus.FAILED_PRECONDITION, `failed at ${i} ✗`);
      yield json.encode({ i });
      await Promise.resolve();
    }
  }),
  "/demo.Echo/Sum": clientStreaming(async (requests) => {
    let sum = 0;
    let count = 0;
    for await (const message of requests) {
      sum += (json.decode(message) as { n: number }).n;
      count++;
    }
    return json.encode({ sum, count });
  }),
  "/demo.Echo/Fail": unary(() => {
    throw new GrpcError(GrpcStatus.NOT_FOUND, "no such thing");
  }),
};

/**
 * Serves `service` on every connection accepted by `listener` (h2c with prior
 * knowledge, as gRPC clients speak over insecure channels).
 *
 * @param listener A TCP listener.
 * @param service The methods.
 * @param signal Aborting shuts every connection down gracefully.
 * @returns Resolves once the listener is closed and every connection finished.
 */
export async function serveGrpc(
  listener: Deno.Listener,
  service: Record<string, GrpcMethod>,
  signal?: AbortSignal,
): Promise<void> {
  const handler = grpcHandler(service);
  const connections = new Set<ServedConnection>();
  signal?.addEventListener("abort", () => listener.close(), { once: true });
  try {
    for await (const conn of listener) {
      const served = serveConnection(conn, handler, signal === undefined ? {} : { signal });
      connections.add(served);
      void served.finished.then(() => connections.delete(served));
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource)) throw error;
  }
  await Promise.all([...connections].map((c) => c.finished));
}

if (import.meta.main) {
  const { values } = parseArgs({ args: Deno.args, options: { port: { type: "string" } } });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: Number(values.port ?? 50051) });
  console.log(`gRPC (h2c) on 127.0.0.1:${listener.addr.port}`);
  const controller = new AbortController();
  Deno.addSignalListener("SIGINT", () => controller.abort());
  await serveGrpc(listener, echoService, controller.signal);
}
