/**
 * Loads hpack-test-case stories (the vendored subset in
 * `tests/fixtures/hpack/`, or the full upstream set when present).
 *
 * @module
 */

import type { HeaderField } from "../../lib/events.ts";

/** One case of a story: a header block and the list it encodes. */
export interface StoryCase {
  seqno: number;
  headerTableSize: number | undefined;
  wire: string | undefined;
  fields: HeaderField[];
}

/** A story: cases that share one compression context. */
export interface Story {
  path: string;
  cases: StoryCase[];
}

/** The vendored fixtures directory. */
export const FIXTURES = new URL("../fixtures/hpack/", import.meta.url);

/** The team's shared reference folder beside the repository (`../shared`), when present. */
export const SHARED = new URL("../../../shared/", import.meta.url).pathname;

/** The full upstream set, used when present. */
export const UPSTREAM = `${SHARED}hpack-test-case/`;

interface RawStory {
  cases: Array<{
    seqno: number;
    header_table_size?: number;
    wire?: string;
    headers: Array<Record<string, string>>;
  }>;
}

/**
 * Reads and converts one story file.
 *
 * @param path The JSON file.
 * @returns The story.
 */
export function readStory(path: string | URL): Story {
  const raw = JSON.parse(Deno.readTextFileSync(path)) as RawStory;
  return {
    path: String(path),
    cases: raw.cases.map((c) => ({
      seqno: c.seqno,
      headerTableSize: c.header_table_size,
      wire: c.wire,
      // Each header is a one-key object; order matters.
      fields: c.headers.map((h) => {
        const entries = Object.entries(h);
        if (entries.length !== 1) throw new Error(`Header object with ${entries.length} keys`);
        return entries[0]! as HeaderField;
      }),
    })),
  };
}

/**
 * Lists the story files of one directory, sorted.
 *
 * @param dir The directory (file URL or path ending in `/`).
 * @returns The story paths.
 */
export function storyFiles(dir: string | URL): string[] {
  const base = typeof dir === "string" ? dir : dir.pathname;
  const files: string[] = [];
  for (const entry of Deno.readDirSync(base)) {
    if (entry.isFile && /^story_\d+\.json$/.test(entry.name)) files.push(base + entry.name);
  }
  return files.sort();
}

/**
 * The implementation directories (those with `wire`) plus `raw-data`, under a root.
 *
 * @param root A directory holding the story directories.
 * @returns Directory names.
 */
export function storyDirectories(root: string | URL): string[] {
  const base = typeof root === "string" ? root : root.pathname;
  const dirs: string[] = [];
  for (const entry of Deno.readDirSync(base)) if (entry.isDirectory) dirs.push(entry.name);
  return dirs.sort();
}

/**
 * Whether a directory exists (false when reading is not permitted).
 *
 * @param path The directory.
 * @returns True if it exists.
 */
export function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}
