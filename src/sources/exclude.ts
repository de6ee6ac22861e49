/**
 * A directory source's `exclude` patterns, matched against each entry's path relative to the
 * source folder (`/`-separated, no leading `./`):
 * - `*` matches within one path segment, `?` one character of it, `**` any number of segments;
 * - a pattern without a `/` (but for a trailing one) matches an entry's name at any depth, like
 *   `tar --exclude` (`*.log`, `node_modules`);
 * - a pattern with a `/` inside matches from the source folder (`cache/tmp`, `data/**\/*.tmp`);
 * - a trailing `/` matches directories only (`cache/`).
 * An excluded directory is left out with everything under it.
 */
export type ExcludeMatcher = (rel: string, isDirectory: boolean) => boolean;

/** A matcher for `patterns` (none: nothing is excluded). */
export function excludeMatcher(patterns: readonly string[] | undefined): ExcludeMatcher {
  const compiled = (patterns ?? []).map(compile);
  if (compiled.length === 0) return () => false;
  return (rel, isDirectory) => {
    const name = rel.slice(rel.lastIndexOf("/") + 1);
    return compiled.some((p) => (!p.directoriesOnly || isDirectory) && p.regex.test(p.anywhere ? name : rel));
  };
}

/** Whether `pattern` can match anything: not empty, relative, no `.`/`..` segment, no NUL. */
export function usableExclude(pattern: string): boolean {
  if (pattern.trim() === "" || pattern.startsWith("/") || pattern.includes("\0")) return false;
  return !pattern.split("/").some((segment) => segment === ".." || segment === ".");
}

interface Compiled {
  regex: RegExp;
  /** Matched against the entry's name only. */
  anywhere: boolean;
  directoriesOnly: boolean;
}

function compile(pattern: string): Compiled {
  const directoriesOnly = pattern.endsWith("/");
  const body = directoriesOnly ? pattern.slice(0, -1) : pattern;
  const anywhere = !body.includes("/");
  let source = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === "*" && body[i + 1] === "*") {
      // `**/` matches no segment or several; a lone `**` anything.
      if (body[i + 2] === "/") {
        source += "(?:.*/)?";
        i += 2;
      } else {
        source += ".*";
        i += 1;
      }
    } else if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return { regex: new RegExp(`^${source}$`), anywhere, directoriesOnly };
}
