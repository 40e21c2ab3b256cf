// Dropping written data pack files from the kernel's page cache (Linux only).
//
// A backup writes gigabytes of pack blobs it will not read back. Left in the page cache they
// push out the data the server actually uses, and every page of the next pack has to come
// from free memory — which on VMs with free page reporting (virtio-balloon) means a host-side
// fault per 4 KiB page: the kernel's copy into new page-cache pages ran at ~0.5 GB/s instead
// of several GB/s on the 2-core test VM (see docs/PERFORMANCE.md). posix_fadvise(DONTNEED)
// after fsync frees the clean pages at once, so the next pack reuses them while they are hot.
//
// Node has no posix_fadvise; bun:ffi calls libc's. Loaded on first use (never at start-up),
// and any failure (not Linux, no libc.so.6, FFI unavailable) turns it into a no-op: the
// advice is an optimisation, never needed for correctness.

type Fadvise = (fd: number, offset: number, length: number, advice: number) => number;

const POSIX_FADV_DONTNEED = 4;

let fadvise: Fadvise | null | undefined;

async function load(): Promise<Fadvise | null> {
  if (process.platform !== "linux" || process.env.CORSO_KEEP_PAGE_CACHE === "1") return null;
  try {
    const { dlopen, FFIType } = await import("bun:ffi");
    const lib = dlopen("libc.so.6", {
      posix_fadvise: { args: [FFIType.i32, FFIType.i64, FFIType.i64, FFIType.i32], returns: FFIType.i32 },
    });
    const fn = lib.symbols.posix_fadvise as unknown as Fadvise;
    return (fd, offset, length, advice) => fn(fd, offset, length, advice);
  } catch {
    return null;
  }
}

/**
 * Asks the kernel to drop the (clean, already fsynced) cached pages of an open file.
 * Returns whether the advice was given; errors are ignored.
 */
export async function dropFromPageCache(fd: number): Promise<boolean> {
  if (fadvise === undefined) fadvise = await load();
  if (!fadvise) return false;
  try {
    return fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) === 0;
  } catch {
    return false;
  }
}
