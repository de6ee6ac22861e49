import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { describe, expect, it } from "vitest";
import { PayloadRefusedError, PsqlScript } from "./pg-restore-script.js";

/** The script psql would receive for `payload` (fed in small chunks), or the refusal. */
async function script(payload: string, chunk = 7): Promise<string> {
  const pieces: Buffer[] = [];
  const bytes = Buffer.from(payload);
  for (let i = 0; i < bytes.length; i += chunk) pieces.push(bytes.subarray(i, i + chunk));
  return text(Readable.from(pieces).pipe(new PsqlScript({ key: "KEY" })));
}

async function refusal(payload: string): Promise<string> {
  try {
    await script(payload);
  } catch (err) {
    expect(err).toBeInstanceOf(PayloadRefusedError);
    return (err as Error).message;
  }
  throw new Error("expected a refusal");
}

describe("PsqlScript", () => {
  it.each([1, 7, 4096])("wraps the payload in our \\restrict and one transaction, dropping pg_dump's own \\restrict pair and large-object BEGIN/COMMIT (chunks of %i bytes)", async (chunk) => {
    const out = await script("--\n\\restrict abc\nSET x = 1;\nBEGIN;\nSELECT lo_create(1);\nCOMMIT;\n\\unrestrict abc\n", chunk);
    expect(out).toBe("\\restrict KEY\nBEGIN;\n--\nSET x = 1;\nSELECT lo_create(1);\nCOMMIT;\n");
  });

  it("passes backslashes, semicolons and keywords inside strings, dollar quotes, comments and COPY data", async () => {
    const payload = [
      "SELECT 'a;\\! b', E'it\\'s \\\\! ; COMMIT;', \"we;ird\\\" FROM x; -- \\! comment",
      "/* nested /* \\! */ COMMIT; */ SELECT 1;",
      "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $fn$",
      "BEGIN",
      "  COMMIT;",
      "  RETURN 1; END $fn$;",
      "CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END;",
      "COPY t (a) FROM stdin;",
      "\\restrict not-a-header",
      "\\!",
      "COMMIT;",
      "\\.",
      "SELECT 2;",
      "",
    ].join("\n");
    const out = await script(payload);
    expect(out).toBe(`\\restrict KEY\nBEGIN;\n${payload}COMMIT;\n`);
  });

  it("hands psql a chunk's lines in one piece, not a write per line", async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => `${i}\tsome text`).join("\n");
    const payload = Buffer.from(`COPY t (a, b) FROM stdin;\n${rows}\n\\.\nBEGIN;\nSELECT 1;\nCOMMIT;\n`);
    const chunks: Buffer[] = [];
    for (let i = 0; i < payload.length; i += 64 * 1024) chunks.push(payload.subarray(i, i + 64 * 1024));
    const pieces: Buffer[] = [];
    // Flowing mode: every push is one 'data' event, as it is one write into psql's stdin.
    const out = Readable.from(chunks).pipe(new PsqlScript({ key: "KEY" }));
    out.on("data", (piece: Buffer) => pieces.push(piece));
    await new Promise((resolve, reject) => out.on("end", resolve).on("error", reject));
    expect(Buffer.concat(pieces).toString()).toBe(`\\restrict KEY\nBEGIN;\n${payload.toString().replace("BEGIN;\n", "").replace(/COMMIT;\n$/, "")}COMMIT;\n`);
    expect(pieces.length).toBeLessThanOrEqual(chunks.length + 2);
  });

  it("refuses meta-commands, transaction commands and a payload cut short", async () => {
    expect(await refusal("SELECT 1;\n\\! touch /tmp/x\n")).toBe('the backup contains the psql meta-command "\\!" on line 2; a restore runs SQL only; nothing was restored');
    expect(await refusal("\\restrict a\nSELECT 1;\n\\unrestrict b\n")).toBe('the backup contains the psql meta-command "\\unrestrict" on line 3; a restore runs SQL only; nothing was restored');
    expect(await refusal("SELECT 1;\nROLLBACK;\n")).toBe('the backup contains the transaction command "ROLLBACK" on line 2, which would commit part of it; nothing was restored');
    expect(await refusal("SELECT 1; commit\n;\n")).toBe('the backup contains the transaction command "COMMIT" on line 1, which would commit part of it; nothing was restored');
    expect(await refusal("COPY t (a) FROM stdin;\n1\n2\n")).toBe("the backup ends inside the data of a COPY statement (it is cut short); nothing was restored");
    expect(await refusal("SELECT 'unterminated\n")).toBe("the backup ends in the middle of a statement (it is cut short); nothing was restored");
  });
});
