/**
 * Parses the summary h2load (nghttp2 1.5x) prints, e.g.
 *
 * ```
 * finished in 1.23s, 162601.63 req/s, 7.05MB/s
 * requests: 200000 total, 200000 started, 200000 done, 200000 succeeded, 0 failed, 0 errored, 0 timeout
 * status codes: 200000 2xx, 0 3xx, 0 4xx, 0 5xx
 * ```
 *
 * h2load computes req/s as succeeded requests / wall seconds, so payload
 * throughput is `reqPerSec × payloadBytes`.
 *
 * @module
 */

/** What one h2load run reports. */
export interface H2loadResult {
  /** Succeeded requests per second. */
  reqPerSec: number;
  /** Wall time in seconds (succeeded / reqPerSec). */
  seconds: number;
  /** Requests issued (`-n`). */
  total: number;
  /** Requests that completed. */
  succeeded: number;
  /** Requests that failed (stream reset, connection lost…). */
  failed: number;
  /** Requests that errored (non-protocol errors). */
  errored: number;
  /** Requests that timed out. */
  timeout: number;
  /** Responses with a status outside 2xx. */
  non2xx: number;
}

/**
 * Extracts the summary numbers from h2load's stdout.
 *
 * @param text h2load's stdout.
 * @returns The numbers.
 * @throws {Error} When the summary lines are missing (h2load failed to run).
 */
export function parseH2load(text: string): H2loadResult {
  const finished = /finished in [^,]+, ([\d.]+) req\/s/.exec(text);
  const requests =
    /requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/
      .exec(text);
  const status = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(text);
  if (finished === null || requests === null || status === null) {
    throw new Error(`h2load printed no summary:\n${text.slice(-1500)}`);
  }
  const reqPerSec = Number(finished[1]);
  const succeeded = Number(requests[2]);
  return {
    reqPerSec,
    seconds: reqPerSec > 0 ? succeeded / reqPerSec : 0,
    total: Number(requests[1]),
    succeeded,
    failed: Number(requests[3]),
    errored: Number(requests[4]),
    timeout: Number(requests[5]),
    non2xx: Number(status[2]) + Number(status[3]) + Number(status[4]),
  };
}
