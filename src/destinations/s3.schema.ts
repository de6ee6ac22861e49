import * as v from "valibot";
import { isSecretRef, protectedEnvRef } from "../crypto/secret-ref.js";
import { booleanSchema, optional, say, sayValue, secretSchema, textSchema } from "../shared/schema.js";
import type { DestinationConfig } from "./port.js";
import type { DestinationKindSchema } from "./kind-schema.js";

/** `http(s)://host[:port][/path]`, no query, no credentials; a trailing slash is dropped. */
const s3EndpointSchema = v.pipe(
  textSchema,
  v.check((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === "http:" || u.protocol === "https:") && !u.search && !u.hash && !u.username && !u.password;
    } catch {
      return false;
    }
  }, sayValue("validation-s3-endpoint")),
  v.transform((s) => s.replace(/\/+$/, "")),
);

/** S3's bucket naming rules (3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit). */
const s3BucketSchema = v.pipe(textSchema, v.regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, sayValue("validation-s3-bucket")));

const regionSchema = v.pipe(textSchema, v.regex(/^[a-z0-9-]{1,40}$/, sayValue("validation-s3-region")));
const prefixSchema = v.pipe(
  v.string(sayValue("validation-text")),
  v.check((s) => s.length <= 512 && !s.includes("\0") && !s.split("/").some((seg) => seg === ".." || seg === "."), sayValue("validation-s3-prefix")),
);
const storageClassSchema = v.pipe(textSchema, v.regex(/^[A-Z_]{2,40}$/, sayValue("validation-s3-storage-class")));
const sseSchema = v.picklist(["AES256", "aws:kms", "aws:kms:dsse"], say("validation-one-of", () => ({ allowed: "AES256, aws:kms, aws:kms:dsse" })));
const accessKeySchema = v.pipe(textSchema, v.regex(/^[\x21-\x7e]{3,128}$/, say("validation-s3-access-key")));

/** YAML key ↔ stored setting. The secret access key is stored apart, encrypted. */
const STORED = {
  endpoint: "endpoint",
  region: "region",
  bucket: "bucket",
  prefix: "prefix",
  path_style: "pathStyle",
  access_key_id: "accessKeyId",
  storage_class: "storageClass",
  server_side_encryption: "serverSideEncryption",
} as const;

/**
 * An S3-compatible bucket. `secret_access_key` is the one secret (literal, `env:` or `file:`),
 * stored encrypted; `access_key_id` names the key and is kept as a setting like a database user.
 */
export const s3Schema = {
  kind: "s3",
  settings: {
    endpoint: s3EndpointSchema,
    region: optional(regionSchema),
    bucket: s3BucketSchema,
    prefix: optional(prefixSchema),
    path_style: optional(booleanSchema),
    access_key_id: accessKeySchema,
    secret_access_key: secretSchema({ isRef: isSecretRef, protectedRef: protectedEnvRef }),
    storage_class: optional(storageClassSchema),
    server_side_encryption: optional(sseSchema),
  },
  secret: "secret_access_key",
  toStored: (parsed: Record<string, unknown>) => {
    const out: Record<string, unknown> = {};
    for (const [yamlKey, stored] of Object.entries(STORED)) if (parsed[yamlKey] !== undefined && parsed[yamlKey] !== "") out[stored] = parsed[yamlKey];
    return out;
  },
  fromStored: (s: Record<string, unknown>) => {
    const out: Record<string, unknown> = {};
    for (const [yamlKey, stored] of Object.entries(STORED)) if (s[stored] != null) out[yamlKey] = s[stored];
    return out;
  },
  toConfig: (name: string, s: Record<string, unknown>, secret: string | undefined) => {
    const config: DestinationConfig = {
      kind: "s3",
      name,
      endpoint: String(s.endpoint),
      region: typeof s.region === "string" ? s.region : "us-east-1",
      bucket: String(s.bucket),
      pathStyle: s.pathStyle === true,
      accessKeyId: String(s.accessKeyId),
      secretAccessKey: secret ?? "",
    };
    if (typeof s.prefix === "string" && s.prefix) config.prefix = s.prefix;
    if (typeof s.storageClass === "string") config.storageClass = s.storageClass;
    if (typeof s.serverSideEncryption === "string") config.serverSideEncryption = s.serverSideEncryption;
    return config;
  },
} satisfies DestinationKindSchema<"s3">;
