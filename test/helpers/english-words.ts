/** Names and technical words a Russian sentence keeps as they are. */
export const KEPT = new Set(["Tele-Backup", "tele-backup", "age-keygen", "id", "Telegram", "Bot", "BotFather", "PostgreSQL", "MySQL", "MariaDB", "SQLite", "Redis", "Docker", "age", "cron", "sha256", "Europe", "Berlin", "Moscow"]);

/**
 * Latin words of `text` that read as English: everything Latin except names (`KEPT`), acronyms
 * (API, UTC, PATH, JAN-DEC), and code — a chunk holding a digit, `_ / \ . * @ = < > $ { } [ ] |`,
 * a colon or parenthesis inside it (`env:NAME`, `http(s)`), or starting with `-` (paths, flags, part names, cron lines, `19MiB`);
 * and literals the user types: "quoted", `quoted`, [a, list], { a: mapping }.
 */
export function englishWords(text: string, kept: ReadonlySet<string> = KEPT): string[] {
  const found: string[] = [];
  const prose = text.replace(/"[^"\n]*"|`[^`\n]*`|\[[^\]\n]*\]|\{[^}\n]*\}/g, " ");
  for (const raw of prose.split(/\s+/)) {
    const chunk = raw.replace(/^[«»"'([:;,.!?…•]+|[«»"'):\],;.!?…]+$/g, "");
    if (chunk === "" || kept.has(chunk) || chunk.startsWith("-") || /[\d_/\\*@=<>${}[\]|]|\w[.:]\S|\w\(/.test(chunk)) continue;
    for (const word of chunk.split(/[-–—]/)) {
      if (!/[A-Za-z]/.test(word)) continue;
      if (kept.has(word) || /^[A-Z]{2,}$/.test(word)) continue;
      found.push(word);
    }
  }
  return found;
}
