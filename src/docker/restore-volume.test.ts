import { describe, expect, it } from "vitest";
import { parseVolumeScratch, volumeScratch } from "./restore-volume.js";

describe("a restore's volume scratch entry", () => {
  it("names the volume and the restore's token, and reads back", () => {
    const entry = volumeScratch("myproject_uploads", "0f4c2a9e-1b7d-4c3e-9a51-6d2e8b7c4f10");
    expect(parseVolumeScratch(entry)).toEqual({ name: "myproject_uploads", token: "0f4c2a9e-1b7d-4c3e-9a51-6d2e8b7c4f10" });
  });

  it("is never confused with the files other restores record", () => {
    for (const file of ["/data/app.sqlite.tele-backup-restore", "/srv/site/.tele-backup-restore-12.345", "docker-volume", "docker-volume::x", "docker-volume:token:"]) {
      expect(parseVolumeScratch(file)).toBeNull();
    }
  });
});
