import { createHash } from "node:crypto";
import type Docker from "dockerode";
import { redact, redactParams } from "../crypto/redact.js";
import { resolveSecret, SecretRefError } from "../crypto/secret-ref.js";
import {
  findDatabaseContainer,
  listDatabaseContainers,
  listNamedVolumes,
  type DatabaseContainer,
  type NamedVolume,
} from "../docker/discover.js";
import { ValidationError, type Issue } from "../services/errors.js";
import type { SourceSpec, SourcesService, SourceView } from "../services/sources.service.js";
import { Issues } from "../services/validation.js";
import { freeName, slugName } from "../shared/names.js";
import { translatableOf, type Translatable } from "../shared/translatable.js";
import type { SourceCheck, SourceConfig, SourceKind } from "../sources/port.js";
import { SOURCE_SCHEMAS } from "../sources/registry.js";
import { specOfContainer, type DiscoveredSpec } from "./discover-spec.js";

/**
 * Compose discovery (`/discover`, `tele-backup discover`): the database containers and named
 * volumes the Docker Engine shows, each as a source one step from saved. Adding one looks the
 * container or volume up again by its ref (a button may be days old), tests the connection
 * exactly as /newsource does, and only then creates the source through SourcesService (so its
 * password is stored encrypted, or as the `file:` reference the container itself uses).
 */

export interface Finding {
  /**
   * What `add` looks it up by again, short enough for a button's callback data (64 bytes):
   * `c:<short container id>`, `v:<volume name>`, or `h:<hash>` for a volume with a long name.
   */
  ref: string;
  kind: Extract<SourceKind, "postgres" | "mysql" | "redis" | "volume">;
  /** `project/service` from the Compose labels, else the container's or volume's name. */
  label: string;
  /** The container's image (databases only). */
  image?: string;
  /** What a source would connect to (`user@host:port/db`, `redis://host:port`, the volume); never a password. */
  target: string;
  /** A free source name: the Compose service (or volume) name, slugged. */
  suggestedName: string;
  /** The source that already backs this up. */
  coveredBy?: string;
  /** Why it cannot be added as it is (a stopped container, no credentials in its environment). */
  problem?: Translatable;
}

export type AddResult =
  | { kind: "added"; source: SourceView; serverVersion?: string }
  | { kind: "covered"; source: string }
  | { kind: "gone" }
  /** Nothing was saved; `reason` names no secret. */
  | { kind: "failed"; reason: Translatable };

export interface DiscoveryDeps {
  docker: () => Docker;
  sources: SourcesService;
  /** The connection test /newsource runs (the source registry's `check`). */
  checkSource: (config: SourceConfig, signal?: AbortSignal) => Promise<SourceCheck | undefined>;
  /** Where `env:` references are looked up for the test; default process.env. */
  env?: NodeJS.ProcessEnv;
}

interface Found {
  finding: Finding;
  spec?: DiscoveredSpec | { kind: "volume"; volume: string };
}

export class Discovery {
  constructor(private readonly deps: DiscoveryDeps) {}

  /** Database containers first, then named volumes. @throws DockerError (its `unreachable` says the Engine did not answer) */
  async list(): Promise<Finding[]> {
    const docker = this.deps.docker();
    const containers = await listDatabaseContainers(docker);
    const volumes = await listNamedVolumes(docker);
    const taken = new Set(this.deps.sources.list().map((s) => s.name));
    const found = [...containers.map((c) => this.ofContainer(c, taken)), ...volumes.map((v) => this.ofVolume(v, taken))];
    return found.map((f) => f.finding);
  }

  /** Tests and saves the finding `ref` names, as the Engine shows it now. @throws DockerError */
  async add(ref: string, signal?: AbortSignal): Promise<AddResult> {
    const found = await this.lookUp(ref);
    if (!found) return { kind: "gone" };
    const { finding, spec } = found;
    if (finding.coveredBy) return { kind: "covered", source: finding.coveredBy };
    if (finding.problem || !spec) return { kind: "failed", reason: finding.problem ?? { key: "discover-problem-gone" } };

    const full: SourceSpec = { name: finding.suggestedName, ...spec } as SourceSpec;
    const literal = "password" in spec ? spec.password : undefined;
    const issues = new Issues();
    const draft = this.deps.sources.prepare(full, null, issues);
    if (!draft) return { kind: "failed", reason: invalid(issues.items, [literal]) };
    let password = "";
    try {
      if (draft.password) password = await resolveSecret(draft.password, this.deps.env ?? process.env);
    } catch (err) {
      if (!(err instanceof SecretRefError)) throw err;
      return { kind: "failed", reason: { key: "discover-failed-secret", params: { reference: draft.password ?? "" } } };
    }
    let check: SourceCheck | undefined;
    try {
      check = await this.deps.checkSource(SOURCE_SCHEMAS[draft.kind].toConfig(draft.settings, password), signal);
    } catch (err) {
      return { kind: "failed", reason: { key: "discover-failed-test", params: { reason: reasonOf(err, [literal, password]) } } };
    }
    // Another admin or the CLI may have added it, or taken the name, while the test ran.
    const covering = this.coveringSource(spec);
    if (covering) return { kind: "covered", source: covering };
    try {
      const free = freeName(finding.suggestedName, new Set(this.deps.sources.list().map((s) => s.name)));
      const source = this.deps.sources.create({ ...full, name: free });
      return { kind: "added", source, ...(check?.serverVersion ? { serverVersion: check.serverVersion } : {}) };
    } catch (err) {
      if (err instanceof ValidationError) return { kind: "failed", reason: invalid(err.issues, [literal, password]) };
      throw err;
    }
  }

  /** The finding behind a ref, looked up afresh (never trusted from a button). */
  private async lookUp(ref: string): Promise<Found | null> {
    const docker = this.deps.docker();
    const taken = new Set(this.deps.sources.list().map((s) => s.name));
    if (ref.startsWith("c:")) {
      const container = /^c:[0-9a-f]{12,64}$/.test(ref) ? await findDatabaseContainer(docker, ref.slice(2)) : null;
      return container ? this.ofContainer(container, taken) : null;
    }
    const volume = (await listNamedVolumes(docker)).find((v) => volumeRef(v.name) === ref);
    return volume ? this.ofVolume(volume, taken) : null;
  }

  /** `taken`: source names in use; the suggestion made here is added, so two findings never suggest the same name. */
  private ofContainer(c: DatabaseContainer, taken: Set<string>): Found {
    const outcome = specOfContainer(c);
    const spec = "ok" in outcome ? outcome.ok : undefined;
    const kind = c.engine;
    const finding: Finding = {
      ref: `c:${c.id.slice(0, 12)}`,
      kind,
      label: labelOf(c.compose, c.name),
      image: c.image,
      target: spec ? targetOf(spec) : c.name,
      suggestedName: freeName(slugName(c.compose.service ?? c.name) ?? kind, taken),
    };
    taken.add(finding.suggestedName);
    const covering = spec && this.coveringSource(spec);
    if (covering) finding.coveredBy = covering;
    if ("problem" in outcome) finding.problem = outcome.problem;
    return { finding, ...(spec ? { spec } : {}) };
  }

  private ofVolume(v: NamedVolume, taken: Set<string>): Found {
    const finding: Finding = {
      ref: volumeRef(v.name),
      kind: "volume",
      label: labelOf(v.compose, v.name),
      target: v.name,
      suggestedName: freeName(slugName(v.name) ?? "volume", taken),
    };
    taken.add(finding.suggestedName);
    const spec = { kind: "volume" as const, volume: v.name };
    const covering = this.coveringSource(spec);
    if (covering) finding.coveredBy = covering;
    return { finding, spec };
  }

  /** The source that already backs this up: the same volume, or the same server and database (Redis: the same server). */
  private coveringSource(spec: NonNullable<Found["spec"]>): string | undefined {
    const same = (s: SourceView): boolean => {
      if (s.kind !== spec.kind) return false;
      if (spec.kind === "volume") return s.volume === spec.volume;
      return s.host === spec.host && s.port === spec.port && (spec.kind === "redis" || s.database === spec.database);
    };
    return this.deps.sources.list().find(same)?.name;
  }
}

/** Names up to 50 characters as they are (readable in logs); longer ones by a hash of the name. */
function volumeRef(name: string): string {
  return name.length <= 50 ? `v:${name}` : `h:${createHash("sha256").update(name).digest("hex").slice(0, 24)}`;
}

function labelOf(compose: { project?: string; service?: string }, name: string): string {
  return compose.project && compose.service ? `${compose.project}/${compose.service}` : name;
}

function targetOf(spec: DiscoveredSpec): string {
  return spec.kind === "redis" ? `redis://${spec.host}:${spec.port}` : `${spec.user}@${spec.host}:${spec.port}/${spec.database}`;
}

/** The connection test's own words (translatable when the driver gave a key), with every secret taken out. */
function reasonOf(err: unknown, secrets: Array<string | undefined>): string | Translatable {
  const clean = secrets.filter((s): s is string => Boolean(s));
  const said = translatableOf(err);
  if (said) return { key: said.key, ...(said.params ? { params: redactParams(said.params, clean) } : {}) };
  return redact(err instanceof Error ? err.message : String(err), clean);
}

/** The first issue in the reader's language (the others are the same finding's, rarely more than one), secrets taken out. */
function invalid(issues: Issue[], secrets: Array<string | undefined>): Translatable {
  const clean = secrets.filter((s): s is string => Boolean(s));
  const first = issues[0];
  const issue: Translatable = first ? { key: first.key, ...(first.params ? { params: redactParams(first.params, clean) } : {}) } : { key: "discover-problem-gone" };
  return { key: "discover-failed-invalid", params: { field: first?.path ?? "", issue } };
}
