import type Docker from "dockerode";
import { lazyRequire } from "../lazy.js";

/**
 * A dockerode client for a DOCKER_HOST value (`unix:///path`, `tcp://host:port`,
 * `http(s)://host:port`); undefined = dockerode's own default (DOCKER_HOST or the local socket).
 * Connecting is lazy: nothing is dialled until the first call.
 */
export function createDockerClient(dockerHost: string | undefined): Docker {
  const Docker = lazyRequire("dockerode") as typeof import("dockerode");
  if (!dockerHost) return new Docker();
  // `host: undefined` so that a tcp DOCKER_HOST in the environment cannot override the socket.
  if (dockerHost.startsWith("unix://")) return new Docker({ socketPath: dockerHost.slice("unix://".length), host: undefined });
  if (dockerHost.startsWith("npipe://")) return new Docker({ socketPath: dockerHost.slice("npipe://".length), host: undefined });
  const url = new URL(dockerHost.includes("://") ? dockerHost : `tcp://${dockerHost}`);
  const protocol = url.protocol === "https:" || url.port === "2376" ? "https" : "http";
  return new Docker({ host: url.hostname, port: url.port || (protocol === "https" ? 2376 : 2375), protocol });
}
