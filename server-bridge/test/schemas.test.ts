/**
 * Every file of schema/ is a valid JSON Schema and compiles, references included: the bridge
 * skips the meta-schema check and compiles most validators on first use (createAjv,
 * lazyValidator), so a broken schema must fail here, not on a user's first request.
 */
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { lazyValidator, validators } from '../src/schemas';

const SCHEMA_DIR = path.join(__dirname, '..', '..', 'schema');
const files = readdirSync(SCHEMA_DIR).filter(f => f.endsWith('.schema.json'));
const schemas = files.map(f =>
  JSON.parse(readFileSync(path.join(SCHEMA_DIR, f), 'utf8'))
);

describe('schema/', () => {
  it('holds the schemas', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it.each(files)('%s is valid against the meta-schema and compiles', file => {
    const ajv = new Ajv({ strict: false, discriminator: true });
    addFormats(ajv);
    for (const schema of schemas) {
      ajv.addSchema(schema);
    }
    const schema = schemas[files.indexOf(file)];
    expect([ajv.validateSchema(schema), ajv.errors ?? null]).toEqual([
      true,
      null
    ]);
    expect(() => ajv.getSchema(schema.$id)).not.toThrow();
    expect(ajv.getSchema(schema.$id)).toBeInstanceOf(Function);
  });
});

describe('lazyValidator', () => {
  it('compiles once, on the first call, and reports its errors', () => {
    const compile = jest.fn(() => {
      const ajv = new Ajv();
      return ajv.compile<{ n: number }>({
        type: 'object',
        properties: { n: { type: 'integer' } },
        required: ['n']
      });
    });
    const validate = lazyValidator(compile);
    expect(compile).not.toHaveBeenCalled();
    expect(validate({ n: 1 })).toBe(true);
    expect(validate.errors).toBeNull();
    expect(validate({ n: 'x' })).toBe(false);
    expect(validate.errors?.[0].instancePath).toBe('/n');
    expect(compile).toHaveBeenCalledTimes(1);
  });

  it('the bridge validators work through it', () => {
    expect(validators.logRequest({ level: 'loud', message: 'x' })).toBe(false);
    expect(validators.logRequest.errors?.length).toBeGreaterThan(0);
  });
});
