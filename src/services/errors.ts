import type { Issue } from "../shared/schema.js";

export type { Issue };

export function formatIssue(issue: Issue): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}

/**
 * Input was refused; `issues` lists every problem found (not just the first), each with its
 * locale key and parameters (the bot translates them) and its English text (the message).
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
