/**
 * Private to {@link H2StreamsConnection}: builds and initiates the engine
 * with the adapter's receive-window defaults, and the BDP estimator that may
 * grow them (`lib/_bdp.ts`).
 *
 * @module
 */

import { H2Connection } from "./connection.ts";
import { SettingCode } from "./constants.ts";
import type { H2StreamsConnectOptions } from "./web_streams.ts";
import { DEFAULT_STREAM_WINDOW } from "./_streams_recv.ts";
import { BdpEstimator } from "./_bdp.ts";

const DEFAULT_CONNECTION_WINDOW = 16_777_216;
/** How far adaptive windows grow by default: hyper's and grpc-go's BDP limit per stream. */
const DEFAULT_MAX_STREAM_WINDOW = 16_777_216;
/** Four full-size streams (Go's client opens its connection window to 1 GiB). */
const DEFAULT_MAX_CONNECTION_WINDOW = 16_777_216;
const RFC_DEFAULT_WINDOW = 65_535;

/** Builds and initiates an engine with our window defaults. */
export function initiate(
  clientSide: boolean,
  options: H2StreamsConnectOptions,
): { connection: H2Connection; bdp: BdpEstimator | undefined } {
  const connectionOptions = options.connectionOptions ?? {};
  const configured = connectionOptions.settings?.[SettingCode.INITIAL_WINDOW_SIZE];
  const streamWindow = configured ?? options.streamWindow ?? DEFAULT_STREAM_WINDOW;
  const connectionWindow = options.connectionWindow ?? DEFAULT_CONNECTION_WINDOW;
  // Windows chosen by the caller stay as they are unless adaptiveWindow says otherwise.
  const adaptive = options.adaptiveWindow ??
    (configured === undefined && options.streamWindow === undefined &&
      options.connectionWindow === undefined);
  const bdp = adaptive
    ? new BdpEstimator({
      streamWindow,
      connectionWindow: Math.max(connectionWindow, RFC_DEFAULT_WINDOW),
      maxStreamWindow: options.maxStreamWindow ?? DEFAULT_MAX_STREAM_WINDOW,
      maxConnectionWindow: options.maxConnectionWindow ?? DEFAULT_MAX_CONNECTION_WINDOW,
      now: connectionOptions.now,
    })
    : undefined;
  const connection = new H2Connection({
    ...connectionOptions,
    clientSide,
    settings: { [SettingCode.INITIAL_WINDOW_SIZE]: streamWindow, ...connectionOptions.settings },
  });
  if (options.upgradeSettings !== undefined) {
    if (clientSide) throw new TypeError("Cannot use upgradeSettings on a client connection");
    connection.initiateUpgradeConnection(options.upgradeSettings);
  } else {
    connection.initiateConnection();
  }
  // RFC 9113 §6.9.2: the connection window starts at 65,535 whatever SETTINGS say; open it.
  if (connectionWindow > RFC_DEFAULT_WINDOW) {
    connection.incrementFlowControlWindow(connectionWindow - RFC_DEFAULT_WINDOW);
  }
  return { connection, bdp };
}
