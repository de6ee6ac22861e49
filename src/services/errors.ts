/** One problem with a piece of configuration. `path` uses the YAML names: `jobs[1].schedule`, `port`. */
export interface Issue {
  path: string;
  message: string;
}

export function formatIssue(issue: Issue): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}

/**
 * Input was refused; `issues` lists every problem found (not just the first).
 * Messages never contain secret values.
 */
export class ValidationError extends Error {
  override name = "ValidationError";
  constructor(readonly issues: Issue[]) {
    super(issues.length === 1 ? formatIssue(issues[0]!) : `${issues.length} problems:\n${issues.map((i) => `  ${formatIssue(i)}`).join("\n")}`);
  }
}

export type EntityKind = "source" | "destination" | "job";

export class NotFoundError extends Error {
  override name = "NotFoundError";
  constructor(
    readonly entity: EntityKind,
    readonly ref: string | number,
  ) {
    super(`${entity} "${ref}" not found`);
  }
}

/** Deleting a source or destination that jobs still use. `jobs` names them. */
export class InUseError extends Error {
  override name = "InUseError";
  constructor(
    readonly entity: EntityKind,
    readonly entityName: string,
    readonly jobs: string[],
  ) {
    super(
      `${entity} "${entityName}" is used by ${jobs.length === 1 ? "job" : "jobs"} ${jobs.map((j) => `"${j}"`).join(", ")}; delete those jobs or change them first`,
    );
  }
}
