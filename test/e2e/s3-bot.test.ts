import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoredMessage } from "../fake-telegram/state.js";
import { startFakeS3, type FakeS3 } from "../fake-s3/server.js";
import { ADMIN_ID, buttonsOf, startHarness, type Harness } from "../bot/harness.js";
import { editedSince, requestSeq } from "../bot/edited.js";

/**
 * /newdest → S3 through the real bot (long polling against the fake Bot API) and a real
 * connection test against the fake S3 server: a wrong secret key is explained, the right one
 * passes (a probe object put, read back and deleted) and the destination is saved with the
 * secret key encrypted, in no message the bot sent and in no log line.
 */
describe("/newdest → S3", () => {
  let h: Harness;
  let s3: FakeS3;
  const WRONG = "wrong-secret-key-for-the-test-0000";

  beforeAll(async () => {
    s3 = await startFakeS3({ buckets: ["backups"] });
    h = await startHarness();
    // the real connection test (the harness's default checks nothing)
    h.deps.checkDestination = (config) => h.app.checkDestination(config);
    await h.restart();
  });
  afterAll(async () => {
    await h?.close();
    await s3?.close();
  });

  const botMessages = (): StoredMessage[] => h.fake.messages(ADMIN_ID).filter((m) => m.sent_by_bot !== undefined);
  /** Request seq when `maxId()` was last taken: a prompt the bot edits after it counts as a new message. */
  let markSeq = 0;
  const maxId = (): number => {
    markSeq = requestSeq(h.fake);
    return Math.max(0, ...h.fake.messages(ADMIN_ID, { includeDeleted: true }).map((m) => m.message_id));
  };
  const lastPrompt = (): StoredMessage => botMessages().filter((m) => buttonsOf(m).length > 0).at(-1)!;
  const waitBot = (after: number, re: RegExp): Promise<StoredMessage> =>
    h.fake.waitFor(
      () => botMessages().find((m) => (m.message_id > after || editedSince(h.fake, markSeq).has(m.message_id)) && re.test(m.text ?? "")),
      20_000,
      `a bot message matching ${re} (last: ${JSON.stringify(botMessages().slice(-3).map((m) => m.text))})`,
    );
  const send = async (text: string, expect: RegExp): Promise<StoredMessage> => {
    const after = maxId();
    const update = h.fake.sendUserMessage(ADMIN_ID, text);
    const reply = await waitBot(after, expect);
    await h.fake.updateConfirmed(update);
    await h.idle();
    return reply;
  };
  const click = async (label: string | RegExp, expect: RegExp): Promise<StoredMessage> => {
    const after = maxId();
    await h.press(lastPrompt(), label);
    return waitBot(after, expect);
  };

  it("asks for the bucket, tests it with a probe object, explains a wrong key and saves the right one encrypted", async () => {
    await send("/newdest", /Where should backups be delivered/);
    await click("S3-compatible storage", /S3 endpoint URL/);
    await send(s3.endpoint, /Region\?/);
    await send(s3.region, /Bucket name\?/);
    await send("backups", /Key prefix inside the bucket/);
    await send("tele-backup/", /path style/);
    await click("Yes, path style", /Access key id\?/);
    await send(s3.accessKeyId, /Secret access key\?/);
    await send(WRONG, /Name for this destination/);
    const failed = await click("Use backups", /refused destination "backups" access to bucket backups/);
    expect(failed.text).toContain("SignatureDoesNotMatch");
    expect(s3.requests.map((r) => `${r.op}:${r.status}`)).toEqual(["put:403"]);

    // fix the secret key through "edit" and test again
    await click("Change a setting", /Which setting do you want to change/);
    await click("Secret access key", /Secret access key\?/);
    await send(s3.secretAccessKey, /Testing bucket backups/);
    await waitBot(0, /Review the new destination/);
    await click("💾 Save", /Destination "backups" saved/);

    const saved = h.app.destinations.getByName("backups")!;
    expect(saved).toMatchObject({ kind: "s3", endpoint: s3.endpoint, bucket: "backups", prefix: "tele-backup/", path_style: true, access_key_id: s3.accessKeyId, secret_access_key: "***" });
    expect(s3.requests.slice(1).map((r) => `${r.op}:${r.status}`)).toEqual(["put:200", "get:200", "delete:204"]);
    expect(s3.requests[1]!.key).toMatch(/^tele-backup\/\.tele-backup-probe-/);
    expect(s3.objects("backups").size).toBe(0);

    const resolved = await h.app.destinations.resolve("backups");
    expect(resolved.config).toMatchObject({ kind: "s3", secretAccessKey: s3.secretAccessKey, pathStyle: true });
    const sent = h.fake.allTextSent().join("\n");
    const logs = h.logLines.join("\n");
    const db = Buffer.concat([h.app.config.dbPath, `${h.app.config.dbPath}-wal`].map((f) => readOrEmpty(f)));
    for (const secret of [WRONG, s3.secretAccessKey]) {
      expect(sent).not.toContain(secret);
      expect(logs).not.toContain(secret);
      expect(db.includes(Buffer.from(secret))).toBe(false);
    }
    // the /destinations card names the bucket and hides the secret key
    await send("/destinations", /Destinations \(1\)/);
    await h.press(lastPrompt(), /backups/);
    const card = await h.waitForText((t) => /Bucket: backups at /.test(t)); // the list message becomes the card
    expect(card.text).toContain(`Access key: ${s3.accessKeyId}`);
    expect(card.text).toContain("Key prefix: tele-backup/");
    expect(card.text).not.toContain(s3.secretAccessKey);
    // the user's messages holding the keys were deleted from the chat
    for (const secret of [WRONG, s3.secretAccessKey]) {
      expect(h.fake.messages(ADMIN_ID).some((m) => m.text?.includes(secret))).toBe(false);
    }
  });
});

function readOrEmpty(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch {
    return Buffer.alloc(0);
  }
}
