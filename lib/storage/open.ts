// Opens the configured storage backend. The S3 module (and with it the AWS SDK, ~MBs of JS)
// is imported only when an S3 repository is actually opened, keeping CLI startup fast.
import { openFilesystemStorage } from "./filesystem.ts";
import type { S3Options } from "./s3-options.ts";
import type { BlobStorage } from "./types.ts";

export type { S3Options } from "./s3-options.ts";

export type StorageConfig = { provider: "filesystem"; path: string } | ({ provider: "s3" } & S3Options);

export async function openStorage(cfg: StorageConfig, opts: { create: boolean }): Promise<BlobStorage> {
  switch (cfg.provider) {
    case "filesystem":
      return openFilesystemStorage({ path: cfg.path, create: opts.create });
    case "s3": {
      const { openS3Storage } = await import("./s3.ts");
      const { provider: _provider, ...s3 } = cfg;
      return openS3Storage(s3);
    }
  }
}
