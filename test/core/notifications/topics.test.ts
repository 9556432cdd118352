/** Topic words: named ones, `all`, nothing (= all), the singular forms people type, and the rest kept apart. */
import { describe, expect, it } from 'vitest';
import { parseTopics, TOPICS } from '../../../src/core/notifications/topics';

describe('parseTopics', () => {
  it('should read every topic from nothing and from all', () => {
    expect(parseTopics([])).toEqual({ topics: [...TOPICS], unknown: [] });
    expect(parseTopics(['ALL'])).toEqual({ topics: [...TOPICS], unknown: [] });
  });

  it('should keep the topics in their own order, once, whatever was typed', () => {
    expect(parseTopics(['idle,versions', 'version', 'failed']).topics).toEqual(['versions', 'failures', 'idle']);
  });

  it('should return unknown words as typed, and no topic for them alone', () => {
    expect(parseTopics(['Weather', 'digest'])).toEqual({ topics: ['digest'], unknown: ['Weather'] });
    expect(parseTopics(['weather'])).toEqual({ topics: [], unknown: ['weather'] });
  });
});
