import type { TestProject } from "vitest/node";
import { DockerEngineUnavailable, startTestDockerEngine } from "./helpers/docker-engine.js";

/**
 * Starts what the suites need that the machine may not run by default.
 * Each helper announces loudly what it could not start.
 *
 * Docker: tests get the engine through `inject("dockerHost")` / `inject("dockerHelperImage")`
 * (see `testDocker()` in test/helpers/docker-engine.ts); DOCKER_HOST is also exported so that
 * the workers' default dockerode clients reach the same engine. When no engine can be started,
 * `inject("dockerError")` carries the reason and every Docker suite fails with it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const teardowns: Array<() => Promise<void>> = [];
  const log = (line: string) => console.error(`[test docker] ${line}`);

  try {
    const engine = await startTestDockerEngine({ log });
    process.env.DOCKER_HOST = engine.host;
    project.provide("dockerHost", engine.host);
    project.provide("dockerHelperImage", engine.helperImage);
    project.provide("dockerError", "");
    teardowns.push(() => engine.stop());
  } catch (err) {
    const reason = err instanceof DockerEngineUnavailable ? err.message : `cannot start the test Docker engine: ${String(err)}`;
    console.error(`\n${"!".repeat(78)}\n[test docker] ${reason}\n[test docker] The Docker volume tests will FAIL.\n${"!".repeat(78)}\n`);
    project.provide("dockerHost", "");
    project.provide("dockerHelperImage", "");
    project.provide("dockerError", reason);
  }

  return async () => {
    for (const t of teardowns.reverse()) await t();
  };
}
