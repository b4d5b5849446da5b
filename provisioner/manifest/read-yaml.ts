/**
 * YAML text to plain data, with syntax problems reported as a ManifestError carrying line and
 * column. YAML 1.2 core schema (so `yes` stays a string), merge keys (`<<: *defaults`) allowed.
 */
import { LineCounter, parseDocument } from "yaml";
import { ManifestError, errorMessage } from "../errors.ts";

export function readYaml(text: string, file: string): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ManifestError(
      file,
      doc.errors.map((error) => {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        return { path: "", message: `invalid YAML at line ${line}, column ${col}: ${error.message}` };
      }),
    );
  }
  try {
    // toJS resolves aliases; it throws on an undefined alias and caps alias expansion (billion laughs).
    return doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new ManifestError(file, [{ path: "", message: `invalid YAML: ${errorMessage(error)}` }], {
      cause: error,
    });
  }
}
