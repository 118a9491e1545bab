// Parse Mermaid diagrams with mermaid's own parser, as GitHub's renderer would before drawing.
// stdin: a JSON array of diagram texts. stdout: a JSON array, one {type} or {error} per diagram.
// Exit 0 when every diagram parses, 1 otherwise. No browser: jsdom supplies the DOM that
// mermaid's label sanitizer (DOMPurify) needs; nothing is laid out or drawn.
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

const { window } = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = window;
globalThis.document = window.document;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });

const diagrams = JSON.parse(readFileSync(0, 'utf8'));
const results = [];
for (const text of diagrams) {
  try {
    const parsed = await mermaid.parse(text);
    results.push({ type: parsed.diagramType });
  } catch (error) {
    results.push({ error: String(error?.message ?? error) });
  }
}
process.stdout.write(JSON.stringify(results));
process.exitCode = results.every((result) => 'type' in result) ? 0 : 1;
