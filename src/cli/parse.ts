/**
 * The command line, parsed. Kept apart from the commands themselves (cli/commands.ts and all it
 * loads) so main.ts can start the master key's scrypt before loading them.
 */
import { parseArgs } from "node:util";

/**
 * A command line that cannot be run. `key` and `params` say it in the reader's language
 * (`locales/<lang>/cli.ftl`, printed by main.ts); `message` is the same in English.
 */
export class UsageError extends Error {
  override name = "UsageError";
  constructor(
    message: string,
    readonly key?: string,
    readonly params: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** node:util parseArgs' own complaints, with the option they name. */
function parseArgsError(err: Error & { code?: string }): UsageError {
  const option = /'([^']+)'/.exec(err.message)?.[1]?.replace(/ <value>$/, "") ?? "";
  if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return new UsageError(`unknown option ${option}`, "cli-usage-unknown-option", { option });
  if (err.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && /argument missing/.test(err.message)) return new UsageError(`${option} needs a value`, "cli-usage-option-needs-value", { option });
  if (err.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") return new UsageError(`${option} takes no value`, "cli-usage-option-takes-no-value", { option });
  return new UsageError(err.message);
}

export type Command =
  | { name: "help" }
  | { name: "run" }
  | { name: "health" }
  | { name: "migrate" }
  | { name: "backup"; job: string; json: boolean }
  | { name: "restore"; runId: number; to?: string; file?: string; identity?: string; passphraseFile?: string; replace?: boolean; newDatabase?: string }
  | { name: "verify"; runId: number }
  | { name: "drill"; job: string }
  | { name: "config-export"; file?: string; withSecrets: boolean }
  | { name: "config-import"; file: string }
  | { name: "adopt"; chat: string; yes: boolean; takeOver: boolean }
  | { name: "discover"; add?: string };

export function parseCommand(argv: string[]): Command {
  const [name, ...rest] = argv;
  const parse = <O extends Record<string, { type: "string" | "boolean" }>>(options: O, positionals: number) => {
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
    } catch (err) {
      throw parseArgsError(err as Error);
    }
    if (parsed.positionals.length > positionals) throw new UsageError(`unexpected argument "${parsed.positionals[positionals]}"`, "cli-usage-unexpected-argument", { argument: String(parsed.positionals[positionals]) });
    return parsed;
  };
  const runId = (v: string | undefined): number => {
    if (!v || !/^\d+$/.test(v)) throw new UsageError(`expected a run id (a number), got "${v ?? ""}"`, "cli-usage-run-id", { got: v ?? "" });
    return Number(v);
  };
  switch (name) {
    case undefined:
    case "help":
    case "--help":
    case "-h":
      return { name: "help" };
    case "migrate":
      parse({}, 0);
      return { name: "migrate" };
    case "run":
      parse({}, 0);
      return { name: "run" };
    case "health":
      parse({}, 0);
      return { name: "health" };
    case "backup": {
      const { values, positionals } = parse({ json: { type: "boolean" } }, 1);
      if (!positionals[0]) throw new UsageError("backup needs a job name", "cli-usage-job-name", { command: "backup" });
      return { name: "backup", job: positionals[0], json: Boolean(values.json) };
    }
    case "restore": {
      // `--new-database` alone means "the proposed name"; `--new-database=<name>` names it.
      for (let i = 0; i < rest.length; i++) if (rest[i] === "--new-database") rest[i] = "--new-database=";
      const { values, positionals } = parse({ to: { type: "string" }, file: { type: "string" }, identity: { type: "string" }, "passphrase-file": { type: "string" }, replace: { type: "boolean" }, "new-database": { type: "string" } }, 1);
      if (!values.to === !values.file) throw new UsageError("restore needs exactly one of --to <source> or --file <path>", "cli-usage-restore-target");
      const newDatabase = values["new-database"];
      if ((values.replace || newDatabase !== undefined) && !values.to) throw new UsageError("--replace and --new-database need --to <source>", "cli-usage-restore-needs-to");
      if (values.replace && newDatabase !== undefined) throw new UsageError("choose one of --replace or --new-database", "cli-usage-restore-replace-or-new");
      return { name: "restore", runId: runId(positionals[0]), to: values.to, file: values.file, identity: values.identity, passphraseFile: values["passphrase-file"], replace: Boolean(values.replace), newDatabase };
    }
    case "verify": {
      const { positionals } = parse({}, 1);
      return { name: "verify", runId: runId(positionals[0]) };
    }
    case "drill": {
      const { positionals } = parse({}, 1);
      if (!positionals[0]) throw new UsageError("drill needs a job name", "cli-usage-job-name", { command: "drill" });
      return { name: "drill", job: positionals[0] };
    }
    case "adopt": {
      // A chat id such as -1001234567890 is no option.
      const negative = rest.filter((a) => /^-\d+$/.test(a));
      if (negative.length > 0) rest.splice(0, rest.length, ...rest.filter((a) => !negative.includes(a)), "--", ...negative);
      const { values, positionals } = parse({ yes: { type: "boolean" }, "take-over": { type: "boolean" } }, 1);
      const chat = positionals[0];
      if (!chat || !(/^-?\d{1,20}$/.test(chat) || /^@[A-Za-z][A-Za-z0-9_]{3,}$/.test(chat))) throw new UsageError(`adopt needs a chat id (-100…) or @username, got "${chat ?? ""}"`, "cli-usage-adopt-chat", { got: chat ?? "" });
      return { name: "adopt", chat, yes: Boolean(values.yes), takeOver: Boolean(values["take-over"]) };
    }
    case "discover": {
      const { values } = parse({ add: { type: "string" } }, 0);
      return { name: "discover", add: values.add };
    }
    case "config": {
      const [sub, ...subRest] = rest;
      rest.splice(0, rest.length, ...subRest);
      if (sub === "export") {
        const { values, positionals } = parse({ "with-secrets": { type: "boolean" } }, 1);
        return { name: "config-export", file: positionals[0], withSecrets: Boolean(values["with-secrets"]) };
      }
      if (sub === "import") {
        const { positionals } = parse({}, 1);
        if (!positionals[0]) throw new UsageError("config import needs a YAML file", "cli-usage-config-import-file");
        return { name: "config-import", file: positionals[0] };
      }
      throw new UsageError(`unknown config command "${sub ?? ""}" (use export or import)`, "cli-usage-config-command", { got: sub ?? "" });
    }
    default:
      throw new UsageError(`unknown command "${name}"`, "cli-usage-unknown-command", { command: name });
  }
}
