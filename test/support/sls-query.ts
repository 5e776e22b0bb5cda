// The part of SLS's query language the fake endpoint understands: a search statement
// (field: "phrase", bare "phrase", numeric comparisons, and/or/not, parentheses, *)
// optionally followed by `| select * [order by <field> asc|desc] [limit n]`.
// Anything else is refused with SLS's ParameterInvalid, so a query the platform builds
// that the fake cannot answer fails loudly instead of silently matching everything.

export type Contents = Record<string, string>;

export class SlsQueryError extends Error {
  override name = 'SlsQueryError';
}

// SLS's default token delimiters for text indexes (plus space).
const DELIMS = /[, '";=()[\]{}?@&<>/:\n\t\r]+/;
export const tokenize = (s: string) => s.toLowerCase().split(DELIMS).filter(Boolean);

type Node =
  | { kind: 'all' }
  | { kind: 'phrase'; field: string | null; tokens: string[] }
  | { kind: 'cmp'; field: string; op: '<' | '<=' | '>' | '>=' | '='; value: number }
  | { kind: 'and' | 'or'; left: Node; right: Node }
  | { kind: 'not'; inner: Node };

type Tok = { t: 'str'; v: string } | { t: 'word'; v: string } | { t: 'op'; v: string };

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"') {
      let v = '';
      i++;
      while (i < src.length && src[i] !== '"') {
        if (src[i] === '\\' && i + 1 < src.length) i++;
        v += src[i++];
      }
      if (src[i] !== '"') throw new SlsQueryError('unterminated quoted string');
      i++;
      out.push({ t: 'str', v });
    } else if ('()'.includes(c)) {
      out.push({ t: 'op', v: c });
      i++;
    } else if (c === ':' || c === '<' || c === '>' || c === '=') {
      const two = src.slice(i, i + 2);
      const op = two === '<=' || two === '>=' ? two : c;
      out.push({ t: 'op', v: op });
      i += op.length;
    } else {
      let v = '';
      while (i < src.length && !/[\s():<>="]/.test(src[i])) {
        if (src[i] === '\\' && i + 1 < src.length) i++;
        v += src[i++];
      }
      out.push({ t: 'word', v });
    }
  }
  return out;
}

function parseSearch(src: string): Node {
  const toks = lex(src);
  let p = 0;
  const peek = () => toks[p];
  const isKw = (k: string) => peek()?.t === 'word' && peek()!.v.toLowerCase() === k;

  const primary = (): Node => {
    const t = toks[p++];
    if (!t) throw new SlsQueryError('unexpected end of query');
    if (t.t === 'op' && t.v === '(') {
      const n = orExpr();
      if (toks[p]?.v !== ')') throw new SlsQueryError('missing )');
      p++;
      return n;
    }
    if (t.t === 'str') return { kind: 'phrase', field: null, tokens: tokenize(t.v) };
    if (t.t === 'word' && t.v === '*') return { kind: 'all' };
    if (t.t !== 'word') throw new SlsQueryError(`unexpected ${t.v}`);
    const next = peek();
    if (next?.t === 'op' && next.v === ':') {
      p++;
      const v = toks[p++];
      if (!v || v.t === 'op') throw new SlsQueryError(`missing value after ${t.v}:`);
      return { kind: 'phrase', field: t.v, tokens: tokenize(v.v) };
    }
    if (next?.t === 'op' && ['<', '<=', '>', '>=', '='].includes(next.v)) {
      p++;
      const v = toks[p++];
      const value = Number(v?.v);
      if (!v || v.t !== 'word' || !Number.isFinite(value))
        throw new SlsQueryError(`${t.v} ${next.v} needs a number`);
      return { kind: 'cmp', field: t.v, op: next.v as '<', value };
    }
    return { kind: 'phrase', field: null, tokens: tokenize(t.v) };
  };
  const unary = (): Node => {
    if (isKw('not')) {
      p++;
      return { kind: 'not', inner: unary() };
    }
    return primary();
  };
  const andExpr = (): Node => {
    let left = unary();
    while (p < toks.length && !isKw('or') && !(toks[p].t === 'op' && toks[p].v === ')')) {
      if (isKw('and')) p++;
      left = { kind: 'and', left, right: unary() };
    }
    return left;
  };
  const orExpr = (): Node => {
    let left = andExpr();
    while (isKw('or')) {
      p++;
      left = { kind: 'or', left, right: andExpr() };
    }
    return left;
  };
  const tree = orExpr();
  if (p !== toks.length) throw new SlsQueryError(`unexpected ${toks[p].v}`);
  return tree;
}

const containsRun = (hay: string[], needle: string[]) => {
  if (needle.length === 0) return true;
  for (let i = 0; i + needle.length <= hay.length; i++) {
    if (needle.every((n, j) => hay[i + j] === n)) return true;
  }
  return false;
};

function matches(n: Node, log: Contents): boolean {
  switch (n.kind) {
    case 'all':
      return true;
    case 'phrase':
      if (n.field === null) return Object.values(log).some((v) => containsRun(tokenize(v), n.tokens));
      return n.field in log && containsRun(tokenize(log[n.field]), n.tokens);
    case 'cmp': {
      const v = Number(log[n.field]);
      if (!(n.field in log) || !Number.isFinite(v)) return false;
      return n.op === '<'
        ? v < n.value
        : n.op === '<='
          ? v <= n.value
          : n.op === '>'
            ? v > n.value
            : n.op === '>='
              ? v >= n.value
              : v === n.value;
    }
    case 'and':
      return matches(n.left, log) && matches(n.right, log);
    case 'or':
      return matches(n.left, log) || matches(n.right, log);
    case 'not':
      return !matches(n.inner, log);
  }
}

export interface CompiledQuery {
  filter: (log: Contents) => boolean;
  /** Present when the query had an analytic part (`| select ...`). */
  sql: { orderBy: string | null; desc: boolean; limit: number } | null;
}

const SQL = /^\s*select\s+\*\s*(?:order\s+by\s+([a-zA-Z_]\w*)(?:\s+(asc|desc))?)?\s*(?:limit\s+(\d+))?\s*$/i;

export function compileQuery(query: string): CompiledQuery {
  const bar = query.indexOf('|');
  const search = (bar === -1 ? query : query.slice(0, bar)).trim();
  const tree = search === '' ? ({ kind: 'all' } as Node) : parseSearch(search);
  let sql: CompiledQuery['sql'] = null;
  if (bar !== -1) {
    const m = SQL.exec(query.slice(bar + 1));
    if (!m)
      throw new SlsQueryError(
        `the fake SLS supports only "select * [order by f asc|desc] [limit n]", got: ${query.slice(bar + 1).trim()}`,
      );
    sql = {
      orderBy: m[1] ?? null,
      desc: (m[2] ?? 'asc').toLowerCase() === 'desc',
      limit: m[3] ? Number(m[3]) : 100,
    };
  }
  return { filter: (log) => matches(tree, log), sql };
}
