import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { createBotStorage } from "../../src/bot/storage.js";
import { createWorkspace, type Workspace } from "../helpers/workspace.js";

describe("bot storage over bot_storage", () => {
  let ws: Workspace;
  let app: App;

  beforeAll(async () => {
    ws = createWorkspace();
    app = await ws.app();
  });
  afterAll(() => {
    app?.close();
    ws?.remove();
  });

  it("reads, writes, deletes and lists keys per namespace, and survives reopening the database", async () => {
    const storage = createBotStorage(app.botStorage);
    const session = storage.adapter<{ prompt?: string }>("session");
    const other = storage.adapter<number>("other_ns");
    expect(session.read("42")).toBeUndefined();
    session.write("42", { prompt: "schedule" });
    session.write("43", {});
    other.write("42", 7);
    expect(session.read("42")).toEqual({ prompt: "schedule" });
    expect(other.read("42")).toBe(7);
    expect(session.has!("43")).toBe(true);
    session.write("42", { prompt: "restore" });
    expect([...(session.readAllKeys!() as Iterable<string>)].sort()).toEqual(["42", "43"]);
    session.delete("43");
    expect(session.has!("43")).toBe(false);
    expect(() => storage.adapter("a:b")).toThrow(/namespace/);

    app.close();
    app = await ws.app();
    expect(createBotStorage(app.botStorage).adapter("session").read("42")).toEqual({ prompt: "restore" });
  });
});
