import { describe, expect, it } from "vitest";
import { inventoryCounter } from "./inventory.js";
import { watching } from "./stages/count.js";

/** Feeds `text` through the counter in chunks of `size` bytes (so lines and tuples are cut anywhere). */
async function count(kind: "postgres" | "mysql", text: string, size: number) {
  const counter = inventoryCounter(kind, "sql")!;
  const bytes = Buffer.from(text);
  async function* chunks() {
    for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
  }
  const out: Buffer[] = [];
  for await (const c of watching([counter])(chunks())) out.push(Buffer.from(c));
  expect(Buffer.concat(out).equals(bytes)).toBe(true);
  return counter.result();
}

describe("inventory counted as the dump streams by", () => {
  const pgDump = [
    "SET x = 1;",
    "CREATE TABLE public.a (id integer);",
    "COPY public.a (id, note) FROM stdin;",
    "1\tone",
    "2\t\\\\.not an end",
    "3\tline\\nwith escaped newline",
    "\\.",
    "",
    'COPY billing."Mixed Case" (id) FROM stdin;',
    "\\.",
    "COPY public.b  FROM stdin;",
    "x",
    "\\.",
    "",
  ].join("\n");

  it.each([1, 3, 7, 4096])("PostgreSQL COPY blocks, in chunks of %i bytes", async (size) => {
    expect(await count("postgres", pgDump, size)).toEqual({ kind: "rows", tables: { "public.a": 3, 'billing."Mixed Case"': 0, "public.b": 1 } });
  });

  const myDump = [
    "CREATE TABLE `t` (",
    "  `id` int",
    ");",
    "CREATE TABLE `empty``one` (`id` int);",
    "INSERT INTO `t` VALUES",
    "(1,'a (b), (c)'),",
    "(2,'it\\'s \\\\'),",
    // Shaped like one tuple but holding two, or a string holding how two are joined.
    "(7,'a'),(8,'b'),",
    "(9,'q),(r'),",
    "(10,'p'),  (11,'x\\'),(y'),",
    '(3,"x);(y"),',
    "(4,NULL);",
    "INSERT INTO `t` VALUES (5,'z'),(6,0x28);",
    "/*!40000 ALTER TABLE `t` ENABLE KEYS */;",
    "",
  ].join("\n");

  it.each([1, 5, 4096])("MySQL/MariaDB INSERT tuples (one line or one tuple a line), in chunks of %i bytes", async (size) => {
    expect(await count("mysql", myDump, size)).toEqual({ kind: "rows", tables: { t: 11, "empty`one": 0 } });
  });

  // Strings made of what the counter looks for, escaped as mysqldump escapes them; one to three
  // tuples a line (so some lines hold `),(` between tuples, some only inside a string).
  it.each([7, 4096, 1 << 16])("many tuples with tricky strings, one or more a line, in chunks of %i bytes", async (size) => {
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const alphabet = ["'", '"', "\\", "(", ")", ",", ";", "),(", "x", " "];
    const text = () => Array.from({ length: random(12) }, () => alphabet[random(alphabet.length)]!.replace(/['"\\]/g, "\\$&")).join("");
    const lines: string[] = [];
    let tuples = 0;
    while (tuples < 2000) {
      const n = 1 + random(3);
      lines.push(Array.from({ length: n }, (_, i) => `(${tuples + i},'${text()}',"${text()}")`).join(","));
      tuples += n;
    }
    const dump = `CREATE TABLE \`t\` (\`id\` int);\nINSERT INTO \`t\` VALUES\n${lines.join(",\n")};\n`;
    expect(await count("mysql", dump, size)).toEqual({ kind: "rows", tables: { t: tuples } });
  });

  // Lines longer than the 64 KiB head a line is recognised by, whole in one chunk or cut anywhere.
  it.each([4096, 100_003, 1 << 20])("lines longer than 64 KiB, in chunks of %i bytes", async (size) => {
    const tuples = Array.from({ length: 3000 }, (_, i) => `(${i},'${"v".repeat(40)}')`).join(",");
    const my = `CREATE TABLE \`t\` (\`id\` int);\nINSERT INTO \`t\` VALUES ${tuples};\nINSERT INTO \`t\` VALUES (1,'a');\n`;
    expect(await count("mysql", my, size)).toEqual({ kind: "rows", tables: { t: 3001 } });
    const pg = `COPY public.a (id, note) FROM stdin;\n1\t${"x".repeat(70_000)}\n2\tb\n\\.\n`;
    expect(await count("postgres", pg, size)).toEqual({ kind: "rows", tables: { "public.a": 2 } });
  });

  it("formats that cannot be read in passing have no counter", () => {
    expect(inventoryCounter("postgres", "custom")).toBeNull();
    expect(inventoryCounter("sqlite", "sql")).toBeNull();
  });
});
