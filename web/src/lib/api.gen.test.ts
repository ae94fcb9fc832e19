import { readFileSync } from 'node:fs';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);

describe('generated API types', () => {
  it('match openapi.json (regenerate with `make openapi` after changing a route)', async () => {
    const ast = await openapiTS(new URL('openapi.json', root));
    const committed = readFileSync(new URL('src/lib/api.gen.ts', root), 'utf8');
    expect(committed).toBe(COMMENT_HEADER + astToString(ast));
  });
});
