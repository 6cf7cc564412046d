// biome-ignore-all lint/suspicious/noTemplateCurlyInString: OmegaConf ${...} interpolations are the subject of these tests
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { isOverrideToken, parseOverride, parseOverrideValue } from '../src/index.js';

describe('override parsing', () => {
  it('parses the three override kinds and dotted keys', () => {
    expect(parseOverride('lr=2e-4')).toMatchObject({
      kind: 'set',
      key: 'lr',
      path: ['lr'],
      value: 2e-4,
    });
    expect(parseOverride('+run_name=my_run')).toMatchObject({
      kind: 'add',
      key: 'run_name',
      value: 'my_run',
    });
    expect(parseOverride('++arch.L_layers=3')).toMatchObject({
      kind: 'force',
      path: ['arch', 'L_layers'],
      value: 3,
    });
  });

  it('reads values in YAML flow syntax like Hydra', () => {
    expect(parseOverrideValue('100000')).toBe(100000);
    expect(parseOverrideValue('1e-4')).toBe(1e-4);
    expect(parseOverrideValue('True')).toBe(true);
    expect(parseOverrideValue('false')).toBe(false);
    expect(parseOverrideValue('null')).toBeNull();
    expect(parseOverrideValue('[data/a,data/b]')).toEqual(['data/a', 'data/b']);
    expect(parseOverrideValue('[]')).toEqual([]);
    expect(parseOverrideValue('[{name: arc@ARC}]')).toEqual([{ name: 'arc@ARC' }]);
    expect(parseOverrideValue("'123'")).toBe('123');
    expect(parseOverrideValue('')).toBe('');
    expect(parseOverrideValue('${arch.hidden_size}')).toBe('${arch.hidden_size}');
    expect(parseOverrideValue('checkpoints/a:b')).toBe('checkpoints/a:b');
  });

  it('rejects malformed tokens with ConfigError', () => {
    expect(() => parseOverride('lr')).toThrow(ConfigError);
    expect(() => parseOverride('~lr')).toThrow(/not supported/);
    expect(() => parseOverride('a..b=1')).toThrow(/not a valid key/);
    expect(() => parseOverride('data_paths=[a,b')).toThrow(/cannot parse the value/);
  });

  it('tells overrides from positional arguments', () => {
    expect(isOverrideToken('lr=1')).toBe(true);
    expect(isOverrideToken('+run_name=x')).toBe(true);
    expect(isOverrideToken('arch.L_layers=2')).toBe(true);
    expect(isOverrideToken('data/sudoku')).toBe(false);
    expect(isOverrideToken('--flag=1')).toBe(false);
  });
});
