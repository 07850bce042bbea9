import type { Diagnostic } from '@codemirror/lint';
import type { EditorView } from '@codemirror/view';
import { isNode, parseDocument } from 'yaml';
import { api, messageOf } from '../api';

interface Issue {
  message: string;
  at: (string | number)[];
}

/**
 * Lint with the server's own parser (POST /api/v1/tests/validate): the messages a save or an
 * import would give, underlined where the YAML node of each issue's path is (else line 1).
 */
export async function validateWithServer(view: EditorView): Promise<Diagnostic[]> {
  const text = view.state.doc.toString();
  if (text.trim() === '') return [];
  let result: { valid: boolean; issues: Issue[] };
  try {
    result = await api('/tests/validate', { method: 'POST', body: { content: text } });
  } catch (e) {
    return [
      { from: 0, to: 0, severity: 'warning', message: `Could not check the test: ${messageOf(e)}` },
    ];
  }
  if (result.valid) return [];
  const doc = parseDocument(text);
  return result.issues.map((issue) => {
    // The deepest node of the path that exists: a missing key is reported on its parent.
    for (let n = issue.at.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(issue.at.slice(0, n), true);
      if (isNode(node) && node.range) {
        const [from, , to] = node.range;
        return {
          from,
          to: Math.max(from, Math.min(to, text.length)),
          severity: 'error' as const,
          message: issue.message,
        };
      }
    }
    return { from: 0, to: 0, severity: 'error' as const, message: issue.message };
  });
}
