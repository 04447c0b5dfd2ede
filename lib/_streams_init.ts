/**
 * Private to {@link H2StreamsConnection}: builds and initiates the engine
 * with the adapter's receive-window defaults.
 *
 * @module
 */

import { H2Connection } from "./connection.ts";
import { SettingCode } from "./constants.ts";
import type { H2StreamsConnectOptions } from "./web_streams.ts";
import { DEFAULT_STREAM_WINDOW } from "./_streams_recv.ts";

const DEFAULT_CONNECTION_WINDOW = 16_777_216;
const RFC_DEFAULT_WINDOW = 65_535;

/** Builds and initiates an engine with our window defaults. */
export function initiate(clientSide: boolean, options: H2StreamsConnectOptions): H2Connection {
  const streamWindow = options.streamWindow ?? DEFAULT_STREAM_WINDOW;
  const connectionWindow = options.connectionWindow ?? DEFAULT_CONNECTION_WINDOW;
  const connectionOptions = options.connectionOptions ?? {};
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
  return connection;
}
