/**
 * Private helpers of `lib/client.ts` for promises and streams.
 *
 * @module
 */

/**
 * The adapter's body behind a stream of our own, so that a cancel by the
 * application ends the exchange and a failure can carry our reason.
 *
 * @param inner The adapter's body stream.
 * @param onCancel Called when the application cancels the body.
 * @returns The stream to hand out and a function that errors it.
 */
export function guardBody(
  inner: ReadableStream<Uint8Array>,
  onCancel: (reason: unknown) => void,
): { body: ReadableStream<Uint8Array>; fail: (reason: unknown) => void } {
  const reader = inner.getReader();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let settled = false;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    async pull(c) {
      const { value, done } = await reader.read();
      if (settled) return;
      if (done) {
        settled = true;
        c.close();
      } else {
        c.enqueue(value);
      }
    },
    cancel(reason) {
      settled = true;
      onCancel(reason);
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  const fail = (reason: unknown) => {
    if (settled) return;
    settled = true;
    controller.error(reason);
    void reader.cancel(reason).catch(() => {});
  };
  return { body, fail };
}

/**
 * `Promise.withResolvers`, which Node 20 lacks.
 *
 * @returns A promise and its resolve/reject functions.
 */
export function resolvers<T>(): PromiseWithResolvers<T> {
  let resolve!: (value: T | PromiseLike<T>) => void;
  let reject!: (reason?: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Resolvers whose promise never reports an unhandled rejection (nobody may ask for it).
 *
 * @returns A promise and its resolve/reject functions.
 */
export function quietResolvers<T>(): PromiseWithResolvers<T> {
  const pair = resolvers<T>();
  pair.promise.catch(() => {});
  return pair;
}
