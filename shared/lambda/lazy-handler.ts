/**
 * Builds the real handler on the first invocation (reading config, the secret, creating clients) and reuses it for
 * every warm invocation. A failed build is retried on the next invocation rather than cached.
 */
export const lazyHandler = <E, R>(build: () => Promise<(event: E, context?: unknown) => Promise<R>>) => {
  let pending: Promise<(event: E, context?: unknown) => Promise<R>> | undefined;
  return async (event: E, context?: unknown): Promise<R> => {
    pending ??= build().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return (await pending)(event, context);
  };
};
