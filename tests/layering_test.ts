// The engine stays Sans-IO and layered (STYLE.md "Layering"): these checks read the source of
// lib/ so the rules cannot erode silently.
import assert from "node:assert/strict";

const LIB = new URL("../lib/", import.meta.url);

function sources(dir: URL, prefix = ""): Array<{ path: string; text: string }> {
  const out: Array<{ path: string; text: string }> = [];
  for (const entry of Deno.readDirSync(dir)) {
    if (entry.isDirectory) {
      out.push(...sources(new URL(`${entry.name}/`, dir), `${prefix}${entry.name}/`));
    } else if (entry.name.endsWith(".ts")) {
      out.push({
        path: `lib/${prefix}${entry.name}`,
        text: Deno.readTextFileSync(new URL(entry.name, dir)),
      });
    }
  }
  return out;
}

function importsOf(text: string): string[] {
  return [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/gms)].map((m) => m[1]!);
}

Deno.test("lib/ uses no Deno APIs, timers or wall clock: time is passed in", () => {
  const forbidden = /\bDeno\.|\bsetTimeout\b|\bsetInterval\b|\bDate\.now\b/;
  const offenders = sources(LIB)
    .flatMap(({ path, text }) =>
      text.split("\n").map((line, i) => ({ where: `${path}:${i + 1}`, line }))
    )
    .filter(({ line }) => forbidden.test(line))
    .map(({ where, line }) => `${where}: ${line.trim()}`);
  assert.deepEqual(offenders, []);
});

Deno.test("lib/ imports nothing outside lib/ (no dependencies, no npm: or jsr: specifiers)", () => {
  const offenders = sources(LIB).flatMap(({ path, text }) =>
    importsOf(text)
      .filter((spec) => !spec.startsWith("./") && !spec.startsWith("../"))
      .map((spec) => `${path} imports ${spec}`)
  );
  assert.deepEqual(offenders, []);
});

Deno.test("lib/frame and lib/hpack import nothing from the connection layer", () => {
  // STYLE.md: "lib/frame and lib/hpack import nothing from the connection."
  const allowed = new Set(["../constants.ts", "../errors.ts", "../events.ts"]);
  const offenders = sources(LIB)
    .filter(({ path }) => path.startsWith("lib/frame/") || path.startsWith("lib/hpack/"))
    .flatMap(({ path, text }) =>
      importsOf(text)
        .filter((spec) => !(spec.startsWith("./") || allowed.has(spec)))
        .map((spec) => `${path} imports ${spec}`)
    );
  assert.deepEqual(offenders, []);
});
