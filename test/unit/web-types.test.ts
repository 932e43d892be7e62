import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

const WEB_SRC = path.resolve('web/src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(entry.name) ? [full] : [];
  });
}

/** Every import or re-export statement of a file, with the module it names. */
function importsOf(file: string): Array<{ statement: string; from: string }> {
  const text = fs.readFileSync(file, 'utf8');
  const statements = text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'([^']+)';/gms);
  return [...statements].map((m) => ({ statement: m[0], from: m[1]! }));
}

/** The server's files the web page takes its response types from (issue 18: one typed API layer). */
const serverImports = sourceFiles(WEB_SRC).flatMap((file) =>
  importsOf(file)
    .map((i) => ({ ...i, file, target: path.resolve(path.dirname(file), i.from) }))
    .filter((i) => i.from.startsWith('.') && !i.target.startsWith(WEB_SRC + path.sep)),
);

describe('the web page takes its response types from the server without bundling it', () => {
  it('takes them from the server', () => {
    assert.ok(serverImports.length >= 8, `only ${serverImports.length} imports of the server's schemas`);
  });

  it('imports the server only with `import type`', () => {
    const valueImports = serverImports.filter((i) => !/^(?:import|export) type\b/.test(i.statement));
    assert.deepEqual(valueImports.map((i) => `${path.relative(WEB_SRC, i.file)}: ${i.statement}`), []);
  });

  it('reads only view schemas, which import nothing but zod and each other', () => {
    const seen = new Set<string>();
    const visit = (target: string) => {
      if (seen.has(target)) return;
      seen.add(target);
      const name = path.relative(process.cwd(), target);
      assert.match(name, /^src\/[a-z]+\/[a-z-]+\.schema\.ts$/, `${name} is a schema file`);
      for (const { from } of importsOf(target)) {
        if (from === 'zod') continue;
        assert.ok(from.startsWith('.'), `${name} imports ${from}: only zod and other schema files`);
        visit(path.resolve(path.dirname(target), from));
      }
    };
    for (const target of new Set(serverImports.map((i) => i.target))) visit(target);
  });
});
