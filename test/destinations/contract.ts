import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DestinationError, type Destination, type PartInfo, type RunLabel, type StoredLocation } from "../../src/destinations/port.js";

/**
 * The `Destination` contract (src/destinations/port.ts) as one suite, run against every
 * destination by a small file per kind (local.test.ts, telegram.test.ts). A subject gives the
 * suite a working destination, a refusing one, and a way to count what the backend holds; the
 * optional hooks are for what only some backends can do (refuse a deletion, fail for a while,
 * hold an upload in flight).
 */
export interface ContractSubject {
  /** A destination that works. */
  destination: Destination;
  /** One that can store nothing and knows it for good (no such chat, a folder under a file). */
  refusing: Destination;
  /** Copies of the part named `name` the backend holds now (temporary files included). */
  copies(name: string): Promise<number>;
  /** What a second successful `putPart` of the same part does (documented in port.ts). */
  repeatPut: "replaces" | "adds";
  /** A location inside this destination where nothing was ever stored. */
  neverStored(): StoredLocation;
  /**
   * Makes the backend refuse to delete `location` from now on (Telegram: the 48-hour rule) and
   * returns the location as the runner records it (with `storedAt`).
   */
  refuseDeletion?(location: StoredLocation, storedAt: Date): StoredLocation;
  /** Makes the next call of `op` fail the way a network fault does (retrying can help). */
  transientFault?(op: "put" | "delete"): void;
  /**
   * Holds the next upload of `file` in flight: returns the file to put (the same or a stand-in
   * that feeds it slowly) and a promise that settles once the upload is under way; `release`
   * lets go of whatever the hook holds open.
   */
  holdNextPut(file: string): Promise<{ file: string; underway: Promise<void>; release(): Promise<void> }>;
  close(): Promise<void>;
}

const RUN: RunLabel = { runId: 7, jobName: "contract" };
const MiB = 1024 * 1024;

/** `hashesInPlace`: the destination has `hashPart` (a folder), and the contract covers it. */
export function destinationContract(label: string, setup: () => Promise<ContractSubject>, options: { hashesInPlace?: boolean } = {}): void {
  describe(`Destination contract: ${label}`, () => {
    let s: ContractSubject;
    let dir: string;
    let n = 0;

    beforeEach(async () => {
      dir = mkdtempSync(path.join(tmpdir(), "tb-contract-"));
      s = await setup();
    });
    afterEach(async () => {
      await s?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    /** A part file of `size` random bytes (or zeros, sparse, for the big ones). */
    const partFile = (size: number, options: { sparse?: boolean } = {}): { info: PartInfo; file: string; bytes?: Buffer } => {
      const name = `contract_${++n}.sql.${String(1).padStart(3, "0")}`;
      const file = path.join(dir, `src-${n}`);
      if (options.sparse) {
        writeFileSync(file, "");
        truncateSync(file, size);
        const sha256 = createHash("sha256").update(Buffer.alloc(size)).digest("hex");
        return { info: { index: 1, total: 1, name, size, sha256 }, file };
      }
      const bytes = randomBytes(size);
      writeFileSync(file, bytes);
      return { info: { index: 1, total: 1, name, size, sha256: createHash("sha256").update(bytes).digest("hex") }, file, bytes };
    };
    const live = () => new AbortController().signal;
    const aborted = () => AbortSignal.abort(new Error("stopped by the test"));
    const read = async (stream: Readable): Promise<Buffer> => {
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    };
    const permanentFailure = async (p: Promise<unknown>): Promise<DestinationError> => {
      const err = await p.then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DestinationError);
      return err as DestinationError;
    };

    it("check passes; a part comes back byte for byte", async () => {
      await s.destination.check();
      const p = partFile(300_000);
      const location = await s.destination.putPart(RUN, p.info, p.file, live());
      expect(await s.copies(p.info.name)).toBe(1);
      expect((await read(await s.destination.fetch(location, live()))).equals(p.bytes!)).toBe(true);
    });

    if (options.hashesInPlace) it("hashPart gives the part's sha256 and size across several reads, fails on a gone part as fetch does, and stops on abort", async () => {
      if (!s.destination.hashPart) throw new Error(`${label} has no hashPart`);
      const p = partFile(2 * MiB + 12_345); // more than one 1 MiB read, the last one short
      const location = await s.destination.putPart(RUN, p.info, p.file, live());
      let reads = 0;
      expect(await s.destination.hashPart(location, live(), () => reads++)).toEqual({ sha256: p.info.sha256, size: p.info.size });
      expect(reads).toBe(4); // three with bytes, one at the end
      await expect(s.destination.hashPart(location, aborted())).rejects.toThrow("stopped by the test");
      await s.destination.delete([location], live());
      const gone = await permanentFailure(s.destination.hashPart(location, live()));
      expect((gone.cause as NodeJS.ErrnoException).code).toBe("ENOENT");
      const fetched = await permanentFailure(s.destination.fetch(location, live()));
      // What people read is the same (the English line names the system call, open or stat).
      expect({ key: gone.key, params: gone.params, permanent: gone.permanent }).toEqual({ key: fetched.key, params: fetched.params, permanent: fetched.permanent });
    });

    it("a second put of the same part does what port.ts says, and every location it returned reads back", async () => {
      const p = partFile(50_000);
      const first = await s.destination.putPart(RUN, p.info, p.file, live());
      const second = await s.destination.putPart(RUN, p.info, p.file, live());
      if (s.repeatPut === "replaces") {
        expect(second).toEqual(first);
        expect(await s.copies(p.info.name)).toBe(1);
      } else {
        expect(second).not.toEqual(first);
        expect(await s.copies(p.info.name)).toBe(2);
        await s.destination.delete([first], live());
        expect(await s.copies(p.info.name)).toBe(1);
      }
      expect((await read(await s.destination.fetch(second, live()))).equals(p.bytes!)).toBe(true);
    });

    it("a put that fails leaves nothing, and trying again leaves one copy", async () => {
      const p = partFile(50_000);
      await permanentFailure(s.destination.putPart(RUN, p.info, path.join(dir, "no-such-part-file"), live()));
      expect(await s.copies(p.info.name)).toBe(0);
      if (s.transientFault) {
        s.transientFault("put");
        const fault = await permanentFailure(s.destination.putPart(RUN, p.info, p.file, live()));
        expect(fault.permanent).toBe(false);
        expect(await s.copies(p.info.name)).toBe(0);
      }
      const location = await s.destination.putPart(RUN, p.info, p.file, live());
      expect(await s.copies(p.info.name)).toBe(1);
      expect((await read(await s.destination.fetch(location, live()))).equals(p.bytes!)).toBe(true);
    });

    it("deleting a part that is gone, or was never there, is no failure and no refusal", async () => {
      const p = partFile(10_000);
      const location = await s.destination.putPart(RUN, p.info, p.file, live());
      expect(await s.destination.delete([location], live())).toEqual({ refused: [] });
      expect(await s.copies(p.info.name)).toBe(0);
      expect(await s.destination.delete([location], live())).toEqual({ refused: [] });
      expect(await s.destination.delete([s.neverStored()], live())).toEqual({ refused: [] });
    });

    it("prepare, where a destination has it, never throws, even where it cannot work; puts go on as without it", async () => {
      expect(() => s.refusing.prepare?.()).not.toThrow();
      expect(() => s.destination.prepare?.()).not.toThrow();
      const p = partFile(50_000);
      const location = await s.destination.putPart(RUN, p.info, p.file, live());
      expect((await read(await s.destination.fetch(location, live()))).equals(p.bytes!)).toBe(true);
      const refused = await permanentFailure(s.refusing.putPart(RUN, p.info, p.file, live()));
      expect(refused.permanent).toBe(true);
    });

    it("a destination that cannot work says so, for good", async () => {
      const checked = await permanentFailure(s.refusing.check());
      expect(checked.permanent).toBe(true);
      const p = partFile(10_000);
      const put = await permanentFailure(s.refusing.putPart(RUN, p.info, p.file, live()));
      expect(put.permanent).toBe(true);
    });

    it("a deletion the backend refuses is reported, not thrown, and the part stays readable; a fault that may pass throws and is not a refusal", async () => {
      const p = partFile(20_000);
      const stored = await s.destination.putPart(RUN, p.info, p.file, live());
      if (s.transientFault) {
        s.transientFault("delete");
        const err = await permanentFailure(s.destination.delete([{ ...stored, storedAt: new Date() }], live()));
        expect(err.permanent).toBe(false);
        expect(await s.copies(p.info.name)).toBe(1);
      }
      if (s.refuseDeletion) {
        const old = s.refuseDeletion(stored, new Date());
        const other = s.neverStored();
        const { refused } = await s.destination.delete([old, other], live());
        expect(refused).toEqual([old]);
        expect(await s.copies(p.info.name)).toBe(1);
        expect((await read(await s.destination.fetch(old, live()))).equals(p.bytes!)).toBe(true);
      } else {
        // A backend without refusals deletes whatever it is asked to.
        expect(await s.destination.delete([{ ...stored, storedAt: new Date(0) }], live())).toEqual({ refused: [] });
        expect(await s.copies(p.info.name)).toBe(0);
      }
    });

    it("size limits: putPart refuses a part above maxPartSize before sending it; fetch refuses above maxFetchSize and serves at it", async () => {
      const { maxPartSize, maxFetchSize } = s.destination;
      if (maxPartSize === undefined && maxFetchSize === undefined) {
        // No limits of its own: a part above every Telegram cloud limit goes and comes back whole.
        const big = partFile(51 * MiB, { sparse: true });
        const location = await s.destination.putPart(RUN, big.info, big.file, live());
        expect((await read(await s.destination.fetch(location, live()))).length).toBe(big.info.size);
        return;
      }
      if (maxPartSize !== undefined) {
        const over = partFile(maxPartSize + 1, { sparse: true });
        const err = await permanentFailure(s.destination.putPart(RUN, over.info, over.file, live()));
        expect(err.permanent).toBe(true);
        expect(await s.copies(over.info.name)).toBe(0);
      }
      if (maxFetchSize !== undefined && Number.isFinite(maxFetchSize)) {
        const at = partFile(maxFetchSize, { sparse: true });
        const atLocation = await s.destination.putPart(RUN, at.info, at.file, live());
        expect((await read(await s.destination.fetch(atLocation, live()))).length).toBe(maxFetchSize);
        const over = partFile(maxFetchSize + 1, { sparse: true });
        const overLocation = await s.destination.putPart(RUN, over.info, over.file, live());
        const err = await permanentFailure(s.destination.fetch(overLocation, live()));
        expect(err.permanent).toBe(true);
      }
    });

    it("an aborted signal stops put, fetch and delete: nothing stored, nothing deleted", async () => {
      const p = partFile(20_000);
      await expect(s.destination.putPart(RUN, p.info, p.file, aborted())).rejects.toThrow();
      expect(await s.copies(p.info.name)).toBe(0);
      const location = await s.destination.putPart(RUN, p.info, p.file, live());
      await expect(s.destination.fetch(location, aborted())).rejects.toThrow();
      await expect(s.destination.delete([location], aborted())).rejects.toThrow();
      expect(await s.copies(p.info.name)).toBe(1);
      expect((await read(await s.destination.fetch(location, live()))).equals(p.bytes!)).toBe(true);
    });

    it("an abort while a part is read back ends the stream with an error", async () => {
      const p = partFile(4 * MiB);
      const location = await s.destination.putPart(RUN, p.info, p.file, live());
      const controller = new AbortController();
      const stream = await s.destination.fetch(location, controller.signal);
      const reading = (async () => {
        let bytes = 0;
        for await (const chunk of stream) {
          bytes += (chunk as Buffer).length;
          if (!controller.signal.aborted) controller.abort(new Error("stopped by the test"));
        }
        return bytes;
      })();
      await expect(reading).rejects.toThrow();
    });

    it("an abort while a part is being stored stops it and leaves nothing behind", async () => {
      const p = partFile(1 * MiB);
      const hold = await s.holdNextPut(p.file);
      const controller = new AbortController();
      const putting = s.destination.putPart(RUN, p.info, hold.file, controller.signal);
      const outcome = putting.then(
        () => "stored",
        () => "stopped",
      );
      await hold.underway;
      controller.abort(new Error("stopped by the test"));
      try {
        expect(await outcome).toBe("stopped");
        expect(await s.copies(p.info.name)).toBe(0);
      } finally {
        await hold.release();
      }
    });
  });
}
