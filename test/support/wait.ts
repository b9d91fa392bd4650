export type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

/** Waiting for a state instead of sleeping: poll `probe` until it returns something truthy. */
export async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 20_000, everyMs = 25): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as Truthy<T>;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
