import { isSecretRef, protectedEnvRef } from "../crypto/secret-ref.js";
import { hostSchema, optional, portSchema, secretSchema, textSchema } from "../shared/schema.js";
import type { SourceKindSchema } from "./kind-schema.js";

/**
 * A Redis server (every database of it): `host`, `port`, an optional ACL `user` and an
 * optional `password` (or `env:`/`file:` reference). Dumped as one RDB snapshot (`rdb`).
 */
export const redisSchema = {
  kind: "redis",
  settings: {
    host: hostSchema,
    port: portSchema,
    user: optional(textSchema),
    password: optional(secretSchema({ isRef: isSecretRef, protectedRef: protectedEnvRef }, { allowEmpty: true })),
  },
  secret: "password",
  formats: ["rdb"],
  toConfig: (s, password) => ({
    kind: "redis",
    host: String(s.host),
    port: Number(s.port),
    ...(typeof s.user === "string" && s.user !== "" ? { user: s.user } : {}),
    password,
  }),
} satisfies SourceKindSchema<"redis">;
