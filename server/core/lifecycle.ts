/** Every long-lived part of the platform. The entry point starts them in order and stops them in reverse. */
export interface Service {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Stops services in reverse order; one that hangs past its share of the deadline is abandoned. */
export async function stopAll(
  services: Service[],
  timeoutMs: number,
  onError: (name: string, err: unknown) => void,
) {
  const deadline = Date.now() + timeoutMs;
  for (const s of [...services].reverse()) {
    const left = Math.max(100, deadline - Date.now());
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        s.stop(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${s.name} did not stop within ${left} ms`)), left);
        }),
      ]);
    } catch (err) {
      onError(s.name, err);
    } finally {
      clearTimeout(timer);
    }
  }
}
