import type Docker from "dockerode";

/** A Docker Engine failure worded for the user; `unreachable` means the engine did not answer at all. */
export class DockerError extends Error {
  override name = "DockerError";
  constructor(
    message: string,
    readonly unreachable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ENOENT", "EACCES", "EHOSTUNREACH", "ENOTFOUND", "ETIMEDOUT", "EPIPE"]);

/** HTTP status of a docker-modem error, when the engine answered. */
export function dockerStatus(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

export function isNotFound(err: unknown): boolean {
  return dockerStatus(err) === 404;
}

/** True when the request never reached an engine (no socket, refused, no permission on the socket). */
export function isUnreachable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && UNREACHABLE_CODES.has(code) && dockerStatus(err) === undefined;
}

/** The engine's own one-line message (`json.message`), else the error's message. */
export function dockerMessage(err: unknown): string {
  const json = (err as { json?: unknown } | null)?.json;
  const fromEngine = json && typeof json === "object" ? (json as { message?: unknown }).message : undefined;
  const text = typeof fromEngine === "string" ? fromEngine : err instanceof Error ? err.message : String(err);
  return text.replace(/\s+/g, " ").trim();
}

/** Where a dockerode client points, as a DOCKER_HOST-style address for messages. */
export function describeDockerHost(docker: Docker): string {
  const modem = docker.modem as unknown as {
    socketPath?: unknown;
    socketPathCache?: unknown;
    host?: string;
    port?: string | number;
    protocol?: string;
  };
  if (modem.host) return `${modem.protocol ?? "http"}://${modem.host}${modem.port ? `:${modem.port}` : ""}`;
  const socket = typeof modem.socketPathCache === "string" ? modem.socketPathCache : modem.socketPath;
  return typeof socket === "string" ? `unix://${socket}` : "the default Docker socket";
}

/** Rewords any failure of a Docker call as a DockerError saying what we were doing. */
export function toDockerError(docker: Docker, doing: string, err: unknown): DockerError {
  if (err instanceof DockerError) return err;
  if (isUnreachable(err)) {
    return new DockerError(`cannot reach Docker at ${describeDockerHost(docker)}: ${dockerMessage(err)}`, true, { cause: err });
  }
  return new DockerError(`${doing}: ${dockerMessage(err)}`, false, { cause: err });
}
