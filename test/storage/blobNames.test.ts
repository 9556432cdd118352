/** Storage keys as blob names: reversible, safe in a URL and a path, and prefix-preserving. */
import { describe, expect, it } from 'vitest';
import { blobName, blobPrefix, decodeSegment, encodeSegment, keyOf } from '../../src/storage/blobNames';
import { InvalidKeyError } from '../../src/storage/storage';

describe('blob names', () => {
  it('should keep plain characters and escape every other byte', () => {
    expect(encodeSegment('chat-dev_1')).toBe('chat-dev_1');
    expect(encodeSegment('a.b')).toBe('a~2Eb');
    expect(encodeSegment('..')).toBe('~2E~2E');
    expect(encodeSegment('é')).toBe('~C3~A9');
    expect(encodeSegment('%2F')).toBe('~252F');
  });

  it.each(['chat-dev', 'Ünïcödé 名前', '../../etc/passwd', 'a~b', '🙂', ' ', 'MiXeD'])(
    'should give back %j from its name',
    (key) => {
      expect(decodeSegment(encodeSegment(key))).toBe(key);
      expect(keyOf('runtimes', blobName('runtimes', key))).toBe(key);
    },
  );

  it('should keep the key’s folders as the name’s', () => {
    expect(blobName('events', 'page/000001')).toBe('events/page/000001');
    expect(keyOf('events', 'events/page/000001')).toBe('page/000001');
  });

  it('should not read names it did not make', () => {
    expect(decodeSegment('a.b')).toBeUndefined();
    expect(decodeSegment('~2e')).toBeUndefined(); // lower-case hex is not ours
    expect(decodeSegment('~FF')).toBeUndefined(); // not UTF-8
    expect(keyOf('runtimes', 'other/x')).toBeUndefined();
    expect(keyOf('runtimes', 'runtimes/a//b')).toBeUndefined();
  });

  it('should refuse a key too long for a blob name', () => {
    expect(() => blobName('a', 'é'.repeat(200))).toThrow(InvalidKeyError);
  });

  it('should give a prefix whose names are the encodings of the keys that start with it', () => {
    const keys = ['chat-dev', 'chat.dev', 'chat-dev/x', 'chat', 'chatbot'];
    const prefix = blobPrefix('runtimes', 'chat-');
    expect(keys.filter((k) => blobName('runtimes', k).startsWith(prefix))).toEqual(['chat-dev', 'chat-dev/x']);
    expect(blobPrefix('runtimes', 'a/b.')).toBe('runtimes/a/b~2E');
  });

  it('should leave half a character out of a prefix', () => {
    expect(blobPrefix('x', 'a\uD83D')).toBe('x/a');
  });
});
