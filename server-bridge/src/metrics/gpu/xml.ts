/**
 * A minimal XML reader for nvidia-smi's `-q -x` output: elements, attributes, text and the
 * five predefined entities. nvidia-smi writes no CDATA, namespaces or mixed content, so a
 * tokenizer of ~50 lines does, with no dependency and no DOM allocation beyond the tree.
 */

/** An element: its name, attributes, child elements and trimmed text. */
export interface IXmlNode {
  name: string;
  attrs: Record<string, string>;
  children: IXmlNode[];
  text: string;
}

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'"
};

function decode(s: string): string {
  if (!s.includes('&')) {
    return s;
  }
  return s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, ent: string) => {
    if (ent[0] === '#') {
      const code =
        ent[1] === 'x' || ent[1] === 'X'
          ? parseInt(ent.slice(2), 16)
          : parseInt(ent.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[ent] ?? whole;
  });
}

const TOKEN =
  /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<![^>]*>|<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
const ATTR = /([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/**
 * Parse one XML document into its root element.
 *
 * @throws Error on unbalanced tags or when there is no root element.
 */
export function parseXml(text: string): IXmlNode {
  const root: IXmlNode = {
    name: '#document',
    attrs: {},
    children: [],
    text: ''
  };
  const stack: IXmlNode[] = [root];
  let last = 0;
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m; m = TOKEN.exec(text)) {
    const between = text.slice(last, m.index);
    last = TOKEN.lastIndex;
    const top = stack[stack.length - 1];
    if (between.trim()) {
      top.text += decode(between.trim());
    }
    const name = m[2];
    if (!name) {
      continue; // comment, declaration, DOCTYPE
    }
    if (m[1]) {
      if (top.name !== name) {
        throw new Error(`unexpected </${name}> inside <${top.name}>`);
      }
      stack.pop();
      continue;
    }
    const node: IXmlNode = { name, attrs: {}, children: [], text: '' };
    if (m[3]) {
      ATTR.lastIndex = 0;
      for (let a = ATTR.exec(m[3]); a; a = ATTR.exec(m[3])) {
        node.attrs[a[1]] = decode(a[2] ?? a[3] ?? '');
      }
    }
    top.children.push(node);
    if (!m[4]) {
      stack.push(node);
    }
  }
  if (stack.length !== 1 || root.children.length === 0) {
    throw new Error('truncated or empty XML document');
  }
  return root.children[0];
}

/** The first child element called `name`, or undefined. */
export function child(
  node: IXmlNode | undefined,
  name: string
): IXmlNode | undefined {
  return node?.children.find(c => c.name === name);
}

/** Every child element called `name`. */
export function childrenNamed(
  node: IXmlNode | undefined,
  name: string
): IXmlNode[] {
  return node ? node.children.filter(c => c.name === name) : [];
}

/** The text at a path of child names, or undefined when any step is missing. */
export function textAt(
  node: IXmlNode | undefined,
  ...path: string[]
): string | undefined {
  let n = node;
  for (const p of path) {
    n = child(n, p);
  }
  return n?.text;
}
