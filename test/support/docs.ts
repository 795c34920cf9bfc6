// The README's and the manual's Markdown, as the documentation tests read it: the pages, their fenced
// examples, their links and the anchors their headings make.
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../../harness/paths";

export { ROOT };

/** The README and every page of docs/, as paths from the root. */
export function docPages(): string[] {
  const docs = fs
    .readdirSync(path.join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`);
  return ["README.md", ...docs];
}

/** A fenced block of a page. */
export interface Fence {
  /** The page, from the root. */
  readonly page: string;
  /** The line of its opening fence, from 1. */
  readonly line: number;
  /** Its language (`yaml`, `sh`), or "" when it names none. */
  readonly lang: string;
  /** What it holds, each line ending in a newline. */
  readonly text: string;
}

/** The fenced blocks of a page. */
export function fences(page: string): Fence[] {
  const lines = fs.readFileSync(path.join(ROOT, page), "utf8").split("\n");
  const out: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith("```"));
    if (end < 0) throw new Error(`${page}:${i + 1}: a fence that does not close`);
    out.push({
      page,
      line: i + 1,
      lang: open[1],
      text: lines
        .slice(i + 1, end)
        .map((l) => `${l}\n`)
        .join(""),
    });
    i = end;
  }
  return out;
}

/** A page's text outside its fenced blocks, where headings are. */
function outsideFences(page: string): string {
  return fs.readFileSync(path.join(ROOT, page), "utf8").replace(/^```[\s\S]*?^```/gm, "");
}

/** A page's text outside its fenced blocks and inline code, where links are. */
function prose(page: string): string {
  return outsideFences(page).replace(/`[^`\n]*`/g, "``");
}

/** The relative links of a page: its Markdown links that name no scheme. */
export function relativeLinks(page: string): string[] {
  return [...prose(page).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((href) => !/^[a-z]+:/i.test(href));
}

/** The anchor GitHub gives a heading: lowercase, punctuation dropped, spaces as hyphens. */
export function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/ /g, "-");
}

/** The anchors a page's headings make. */
export function anchors(page: string): Set<string> {
  return new Set([...outsideFences(page).matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1].trim())));
}
