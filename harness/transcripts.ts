// The CLI output of the cases the manual (docs/) shows, kept as files when E2E_TRANSCRIPTS names a folder
// (`E2E_TRANSCRIPTS=/tmp/t node --import tsx --test test/e2e/lifecycle.test.ts`); else nothing.
import { writeFileSync } from "node:fs";
import * as path from "node:path";

/** Writes `output` to `$E2E_TRANSCRIPTS/<name>.txt` when that variable is set. */
export function keepTranscript(name: string, output: string): void {
  const dir = process.env.E2E_TRANSCRIPTS;
  if (dir !== undefined && dir !== "") writeFileSync(path.join(dir, `${name}.txt`), output);
}
