import type { Dialog } from "./dialog.js";
import { askSecret, type SecretSlot } from "./steps.js";

/** The S3 branch of /newdest and of a bucket's ✏️ Edit (`s3-conv-*`, `conv-field-*` in locales/<lang>/s3.ftl). */
export type S3Field = "endpoint" | "region" | "bucket" | "prefix" | "pathStyle" | "accessKey" | "secretKey";

export interface S3Draft {
  endpoint?: string;
  region?: string;
  bucket?: string;
  prefix?: string;
  pathStyle?: boolean;
  accessKey?: string;
  secretKey?: SecretSlot;
}

/** One answer of the S3 branch; the service's schema checks them all before the test. */
export async function askS3Field(d: Dialog, s3: S3Draft, field: S3Field): Promise<void> {
  const text = (prompt: string) =>
    d.askValid(prompt, (a) => {
      const v = a.kind === "text" ? a.text.trim() : "";
      return v ? { ok: v } : { error: d.t("conv-err-required") };
    });
  switch (field) {
    case "endpoint":
      s3.endpoint = await text(d.t("s3-conv-endpoint"));
      return;
    case "region":
      s3.region = await text(d.t("s3-conv-region"));
      return;
    case "bucket":
      s3.bucket = await text(d.t("s3-conv-bucket"));
      return;
    case "prefix": {
      const prefix = await text(d.t("s3-conv-prefix"));
      if (prefix === "-") delete s3.prefix;
      else s3.prefix = prefix;
      return;
    }
    case "pathStyle":
      s3.pathStyle =
        (await d.choose(d.t("s3-conv-path-style"), [
          [{ value: "yes", label: d.t("s3-conv-yes") }],
          [{ value: "no", label: d.t("s3-conv-no") }],
        ])) === "yes";
      return;
    case "accessKey":
      s3.accessKey = await text(d.t("s3-conv-access-key"));
      return;
    case "secretKey":
      s3.secretKey = await askSecret(d, d.t("s3-conv-secret-key"), "password");
      return;
  }
}
