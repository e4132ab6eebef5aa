#!/usr/bin/env python3
"""Wraps C# lines over .editorconfig's 140 columns (what House/LineLengthTests asks): breaks only at spaces between
code tokens (never inside a string, char or comment), wraps comment-only lines by words, moves a trailing comment
above its line, and as a last resort splits a regular or interpolated string literal into two concatenated ones
(NOSPLIT=1: never). Prints the lines it left. Build and test after it: it reads C# with a small lexer, not Roslyn.
Usage: python3 scripts/wrap-lines.py FILE.cs..."""
import sys, re
LIMIT = 140

def classify(text):
    """Per char: 'c' code, 's' string text, 'h' interpolation hole (code, but inside a string), 'm' comment.
    Also per char the string token's prefix (for 's')."""
    n = len(text); cls = ['c'] * n; pre = [None] * n
    i = 0
    stack = []  # for holes: list of (kind, verbatim, depth)
    def lex_code(i, in_hole):
        depth = 0
        while i < n:
            ch = text[i]
            if in_hole:
                cls[i] = 'h'
            if ch == '/' and i + 1 < n and text[i+1] == '/':
                j = text.find('\n', i); j = n if j < 0 else j
                for k in range(i, j): cls[k] = 'm'
                i = j; continue
            if ch == '/' and i + 1 < n and text[i+1] == '*':
                j = text.find('*/', i + 2); j = n if j < 0 else j + 2
                for k in range(i, j): cls[k] = 'm'
                i = j; continue
            if ch == "'":
                j = i + 1
                while j < n and text[j] != "'":
                    j += 2 if text[j] == '\\' else 1
                j += 1
                for k in range(i, min(j, n)): cls[k] = 'h' if in_hole else 's'
                i = j; continue
            m = re.match(r'(\$*)(@?)(\$*)("+)', text[i:i+12]) if ch in '$@"' else None
            if m and (m.group(1) or m.group(2) or m.group(3) or True) and m.group(4):
                dollars = len(m.group(1)) + len(m.group(3)); verb = bool(m.group(2)); quotes = len(m.group(4))
                start = i; prefix = text[i:i + m.end() - quotes]
                if quotes >= 3:  # raw string
                    j = text.find('"' * quotes, i + m.end())
                    j = n if j < 0 else j + quotes
                    for k in range(start, j): cls[k] = 'R'
                    i = j; continue
                i += m.end() - quotes + 1
                for k in range(start, i): cls[k] = 's'; pre[k] = prefix
                while i < n:
                    c2 = text[i]
                    if verb and c2 == '"' and i + 1 < n and text[i+1] == '"':
                        cls[i] = cls[i+1] = 's'; pre[i] = pre[i+1] = prefix; i += 2; continue
                    if not verb and c2 == '\\':
                        cls[i] = 's'; pre[i] = prefix
                        if i + 1 < n: cls[i+1] = 's'; pre[i+1] = prefix
                        i += 2; continue
                    if c2 == '"':
                        cls[i] = 's'; pre[i] = prefix; i += 1; break
                    if dollars and c2 == '{':
                        if i + 1 < n and text[i+1] == '{':
                            cls[i] = cls[i+1] = 's'; pre[i] = pre[i+1] = prefix; i += 2; continue
                        cls[i] = 'h'; i = lex_code(i + 1, True); continue
                    cls[i] = 's'; pre[i] = prefix; i += 1
                continue
            if in_hole:
                if ch in '([{': depth += 1
                elif ch in ')]}':
                    if depth == 0 and ch == '}':
                        cls[i] = 'h'; return i + 1
                    depth -= 1
            i += 1
        return i
    lex_code(0, False)
    return cls, pre

PRIORITY = [
    lambda L, i: L[i-1] == ',',
    lambda L, i: L[i+1:i+3] in ('&&', '||', '??') or L[i+1:i+3] == '? ' or L[i+1:i+3] == ': ',
    lambda L, i: L[i-2:i] == '=>' or L[i+1:i+3] == '=>',
    lambda L, i: L[i+1:i+3] == '+ ' or L[i-1] == '=',
    lambda L, i: True,
]

def width(s): return len(s)

def wrap_code(line, lcls, lpre, cont_extra=4):
    """Returns a list of lines, or None when it cannot."""
    indent = len(line) - len(line.lstrip(' '))
    out = []
    cur, ccls, cpre = line, lcls, lpre
    cont = ' ' * (indent + cont_extra)
    first = True
    guard = 0
    while width(cur) > LIMIT and guard < 50:
        guard += 1
        lead = len(cur) - len(cur.lstrip(' '))
        cands = [i for i in range(lead + 1, min(len(cur) - 1, LIMIT + 1)) if cur[i] == ' ' and ccls[i] == 'c'
                 and ccls[i-1] != 'm' and cur[i-1] != ' ' and i + 1 < len(cur) and ccls[i+1] in 'cshR' and cur[i+1] != ' '
                 and not cur[:i].rstrip().endswith(('(', '[', '!')) or False]
        # never break before a '(' (a call's name and its arguments), nor after 'new', 'return', 'throw', keywords
        cands = [i for i in cands if cur[i+1] not in '(.;)' and cur[i-1] not in '([' and len(cur[lead:i].strip()) > 3
                 and cur[:i].split()[-1] not in ('new', 'return', 'throw', 'is', 'not', 'await', 'var', 'case', 'in', 'out', 'ref', 'static', 'public', 'private', 'internal', 'readonly', 'const', 'using', 'params', 'this')]
        chosen = None
        for p in PRIORITY:
            ok = [i for i in cands if p(cur, i)]
            # the rest must not start with a comment-only remainder
            if ok: chosen = max(ok); break
        if chosen is None:
            return None if first else out + [cur]
        out.append(cur[:chosen].rstrip())
        rest = cur[chosen+1:]
        cur = cont + rest
        ccls = ['c'] * len(cont) + ccls[chosen+1:]
        cpre = [None] * len(cont) + cpre[chosen+1:]
        first = False
    out.append(cur)
    return out

def split_string(line, lcls, lpre):
    """Splits the string literal that crosses the limit into two concatenated ones: after a space or a \\n inside its text."""
    if NOSPLIT: return None
    indent = len(line) - len(line.lstrip(' '))
    for j in range(min(LIMIT - 3, len(line) - 1), indent + 1, -1):
        if lcls[j-1] != 's' or lcls[j] != 's' or lpre[j] is None or lpre[j-1] != lpre[j] or '@' in lpre[j]: continue
        if line[j] == '"' or line[j-1] == '"': continue
        after_space = line[j-1] == ' ' and line[j-2] != '\\'
        after_newline = line[j-2:j] == '\\n' and line[j-3] != '\\'
        if after_space or after_newline:
            return [line[:j] + '" +', ' ' * (indent + 4) + lpre[j] + '"' + line[j:]]
    return None

def wrap_comment(line):
    indent = len(line) - len(line.lstrip(' '))
    s = line.lstrip(' ')
    m = re.match(r'(///?\s?)', s); prefix = ' ' * indent + m.group(1)
    if not prefix.endswith(' '): prefix += ' '
    words = re.findall(r'(?:<[^>]*>|[^\s<]|<(?![^>]*>))+', s[len(m.group(1)):])
    out = []; cur = prefix
    for w in words:
        cand = (cur + ' ' + w) if cur != prefix else cur + w
        if len(cand) > LIMIT and cur != prefix:
            out.append(cur); cur = prefix + w
        else: cur = cand
    out.append(cur)
    return out

def process(path):
    text = open(path, encoding='utf-8').read()
    cls, pre = classify(text)
    lines = text.split('\n')
    pos = 0; out = []; changed = 0; left = []
    for ln, line in enumerate(lines):
        lcls = cls[pos:pos+len(line)]; lpre = pre[pos:pos+len(line)]
        pos += len(line) + 1
        if len(line) <= LIMIT or line.lstrip().startswith('#'):
            out.append(line); continue
        stripped = line.lstrip(' ')
        if stripped.startswith('//') and all(c == 'm' for c in lcls[len(line)-len(stripped):]):
            out += wrap_comment(line); changed += 1; continue
        if lcls and lcls[len(line)-len(stripped)] == 'R' or all(c in 'sR' for c in lcls[len(line)-len(stripped):] if c):
            out.append(line); left.append(ln+1); continue
        # trailing comment: move it above when the code then fits or wraps
        mi = next((i for i in range(len(line)) if lcls[i] == 'm'), None)
        if mi is not None and line[mi:mi+2] == '//' and line[:mi].strip():
            code = line[:mi].rstrip(); comment = line[mi:]
            indent = len(line) - len(stripped)
            above = wrap_comment(' ' * indent + comment) if len(' ' * indent + comment) > LIMIT else [' ' * indent + comment]
            res = [code] if len(code) <= LIMIT else wrap_code(code, lcls[:len(code)], lpre[:len(code)])
            if res is not None:
                out += above + res; changed += 1; continue
        res = wrap_code(line, lcls, lpre)
        if res is not None and all(len(r) <= LIMIT for r in res):
            out += res; changed += 1; continue
        # partial: wrap what can be, then split strings in what is still long
        res = res or [line]
        final = []
        for r in res:
            guard = 0
            while len(r) > LIMIT and guard < 10:
                guard += 1
                c2, p2 = classify(r)
                s2 = split_string(r, c2, p2)
                if not s2: break
                final.append(s2[0]); r = s2[1]
                if len(r) > LIMIT:
                    c3, p3 = classify(r); w = wrap_code(r, c3, p3)
                    if w and len(w) > 1:
                        final += w[:-1]; r = w[-1]
            final.append(r)
        if all(len(r) <= LIMIT for r in final): changed += 1
        else: left.append(ln+1)
        out += final
    if changed: open(path, 'w', encoding='utf-8').write('\n'.join(out))
    return changed, left

NOSPLIT = False
if __name__ == '__main__':
    import os
    NOSPLIT = os.environ.get('NOSPLIT') == '1'
    tot = 0
    for p in sys.argv[1:]:
        c, left = process(p)
        tot += c
        for l in left: print(f'{p}:{l}: left as it is')
    print(tot, 'lines wrapped', file=sys.stderr)
