import { autocompletion } from '@codemirror/autocomplete';
import { yaml, yamlLanguage } from '@codemirror/lang-yaml';
import { linter, lintGutter } from '@codemirror/lint';
import { EditorView, basicSetup } from 'codemirror';
import { schemaCompletion } from './schema-complete';
import { validateWithServer } from './validate';
import { useEffect, useRef } from 'react';

// CodeMirror 6 with completion from the test language's JSON Schema (/api/v1/schemas/test.json)
// and problems from the server's own validation (/api/v1/tests/validate). Loaded only with the
// editor page.

export function YamlEditor({
  value,
  onChange,
  schema,
  label,
}: {
  value: string;
  onChange: (v: string) => void;
  schema: object | undefined;
  label: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const changed = useRef(onChange);
  changed.current = onChange;
  useEffect(() => {
    if (!host.current || !schema) return;
    const v = new EditorView({
      parent: host.current,
      doc: value,
      extensions: [
        basicSetup,
        yaml(),
        lintGutter(),
        linter(validateWithServer, { delay: 500 }),
        yamlLanguage.data.of({ autocomplete: schemaCompletion(schema) }),
        autocompletion({ activateOnTyping: true }),
        EditorView.contentAttributes.of({ 'aria-label': label }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) changed.current(u.state.doc.toString());
        }),
      ],
    });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
    // The document is owned by CodeMirror after the first render; `value` seeds it.
  }, [schema]);
  return <div ref={host} className="editor" />;
}
