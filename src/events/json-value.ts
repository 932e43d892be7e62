/**
 * Checks an already-parsed JSON value without recursion (so hostile nesting cannot
 * overflow the stack): depth, well-formed Unicode in keys and strings, and optionally
 * the serialized size. Returns a message naming the problem, or null.
 */
export function jsonValueProblem(value: unknown, maxDepth: number, maxBytes?: number): string | null {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (typeof current === 'string') {
      if (!current.isWellFormed()) return 'strings must be valid Unicode';
      continue;
    }
    if (typeof current === 'number') {
      if (!Number.isFinite(current)) return 'numbers must be finite';
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (depth > maxDepth) return `must be nested at most ${maxDepth} levels deep`;
    if (Array.isArray(current)) {
      for (const item of current) stack.push({ value: item, depth: depth + 1 });
    } else {
      for (const [key, item] of Object.entries(current)) {
        if (!key.isWellFormed()) return 'keys must be valid Unicode';
        stack.push({ value: item, depth: depth + 1 });
      }
    }
  }
  if (maxBytes !== undefined) {
    const size = Buffer.byteLength(JSON.stringify(value));
    if (size > maxBytes) return `must be at most ${maxBytes} bytes serialized (got ${size})`;
  }
  return null;
}
