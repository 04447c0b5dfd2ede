/**
 * # h2 for TypeScript
 *
 * A Sans-IO HTTP/2 protocol stack (RFC 9113 + RFC 7541) modelled on python
 * `h2`: a connection object that does no I/O, turns received bytes into
 * typed events and turns actions into bytes to send. It is written against
 * `Uint8Array` and Web Streams only, so it runs on Deno, Node, Bun and in
 * browsers.
 *
 * Start with `H2Connection` (the engine), `H2StreamsConnection` (the engine
 * on any `{ readable, writable }` pair), `serveConnection` (a fetch-style
 * server) or `connect` (a fetch-style client).
 *
 * @example A server and a client engine talking in memory
 * ```ts
 * import assert from "node:assert/strict";
 * import { DataReceived, H2Connection, RequestReceived, ResponseReceived } from "./mod.ts";
 *
 * const server = new H2Connection({ clientSide: false });
 * const client = new H2Connection({ clientSide: true });
 * server.initiateConnection();
 * client.initiateConnection();
 *
 * const streamId = client.getNextAvailableStreamId();
 * client.sendHeaders(streamId, [
 *   [":method", "GET"],
 *   [":scheme", "https"],
 *   [":authority", "example.com"],
 *   [":path", "/"],
 * ], { endStream: true });
 *
 * for (const event of server.receiveData(client.dataToSend())) {
 *   if (event instanceof RequestReceived) {
 *     const body = new TextEncoder().encode(JSON.stringify(Object.fromEntries(event.headers)));
 *     server.sendHeaders(event.streamId, [
 *       [":status", "200"],
 *       ["content-type", "application/json"],
 *       ["content-length", String(body.length)],
 *     ]);
 *     server.sendData(event.streamId, body, { endStream: true });
 *   }
 * }
 *
 * const events = client.receiveData(server.dataToSend());
 * const response = events.find((event) => event instanceof ResponseReceived);
 * assert.deepEqual(response?.headers[0], [":status", "200"]);
 * const data = events.find((event) => event instanceof DataReceived);
 * assert.equal(JSON.parse(new TextDecoder().decode(data?.data))[":path"], "/");
 * ```
 *
 * @module
 */

export * from "./lib/constants.ts";
export * from "./lib/errors.ts";
export * from "./lib/events.ts";
export type * from "./lib/frame/types.ts";
export { HpackDecoder, type HpackDecoderOptions } from "./lib/hpack/decoder.ts";
export {
  type HpackEncodeOptions,
  HpackEncoder,
  type HpackEncoderOptions,
} from "./lib/hpack/encoder.ts";
export { FrameDecoder, type FrameDecoderOptions } from "./lib/frame/decoder.ts";
export { encodeFrame, FrameWriter } from "./lib/frame/encoder.ts";
export {
  extractMethod,
  extractStatus,
  type FieldValidationFlags,
  type NormalizedFields,
  normalizeInboundHeaders,
  normalizeOutboundHeaders,
  type NormalizeOutboundOptions,
  parseContentLength,
  validateInboundHeaders,
  validateOutboundHeaders,
} from "./lib/fields.ts";
export {
  H2Connection,
  type H2ConnectionOptions,
  type SendDataOptions,
  type SendHeadersOptions,
} from "./lib/connection.ts";
export { DEFAULT_LIMITS, type H2Limits, resolveLimits, TokenBucket } from "./lib/limits.ts";
export {
  type H2Body,
  type H2SendOptions,
  H2StreamsConnection,
  type H2StreamsConnectOptions,
  type H2StreamsOptions,
  type H2Transport,
  StreamResetError,
} from "./lib/web_streams.ts";
export {
  type ClientRequestInit,
  connect,
  type ConnectOptions,
  H2ClientSession,
  H2RequestError,
  type InformationalResponse,
  type PushPromise,
  trailers,
} from "./lib/client.ts";
export {
  decodeSettingsHeader,
  encodeSettingsHeader,
  Settings,
  validateSetting,
} from "./lib/settings.ts";
export {
  responseTrailers,
  serveConnection,
  type ServeConnectionHandler,
  type ServeConnectionInfo,
  type ServeConnectionOptions,
  type ServedConnection,
  type ServeTransport,
  type ServeTunnel,
  withTrailers,
} from "./lib/serve_connection.ts";
