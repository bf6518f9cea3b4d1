import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CODE_VERSION } from '#shared/version.ts';

describe('CODE_VERSION', () => {
  it("is package.json's version", async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };

    const version = CODE_VERSION;

    expect(version).toBe(pkg.version);
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
  });
});
