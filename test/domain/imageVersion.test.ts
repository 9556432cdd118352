import { describe, expect, it } from 'vitest';
import {
  compareImageVersions,
  isImageVersion,
  isOutdated,
  latestImageVersion,
  newerThan,
  parseImageVersion,
  sortImageVersions,
} from '../../src/domain/imageVersion';

describe('parseImageVersion', () => {
  it('should read the date and the build number as integers', () => {
    expect(parseImageVersion('20240429.v10')).toEqual({ tag: '20240429.v10', date: 20240429, build: 10 });
  });

  it.each([
    'latest',
    '',
    '20240429',
    '20240429.v',
    '20240429.vx',
    '2024042.v1',
    '20240429.V8',
    'v20240429.v8',
    '20240429.v8-beta',
    ' 20240429.v8',
    '20241301.v1', // month 13
    '20240001.v1', // month 0
    '20240100.v1', // day 0
    '20240132.v1', // day 32
    '20240429.v12345', // more than four digits of build
  ])('should not take %j for a version', (tag) => {
    expect(parseImageVersion(tag)).toBeUndefined();
    expect(isImageVersion(tag)).toBe(false);
  });
});

describe('compareImageVersions', () => {
  it.each([
    // [older, newer, why]
    ['20240429.v8', '20240429.v10', 'build numbers compare as integers, not strings'],
    ['20240429.v9', '20240429.v100', 'a three-digit build beats a one-digit one'],
    ['20240429.v99', '20240511.v1', 'the date comes first'],
    ['20231231.v10', '20240101.v1', 'a new year beats any build of the old one'],
    ['20251211.v2', '20251211.v3', 'same date, next build'],
  ])('should order %s before %s (%s)', (older, newer) => {
    expect(compareImageVersions(older, newer)).toBeLessThan(0);
    expect(compareImageVersions(newer, older)).toBeGreaterThan(0);
  });

  it('should find equal tags equal', () => {
    expect(compareImageVersions('20240429.v8', '20240429.v8')).toBe(0);
  });

  it('should order tags that are not versions before every version', () => {
    expect(compareImageVersions('latest', '20240111.v2')).toBeLessThan(0);
    expect(compareImageVersions('20240111.v2', 'latest')).toBeGreaterThan(0);
  });
});

describe('sortImageVersions', () => {
  it('should sort by date then build, drop non-version tags and duplicates', () => {
    // The registry lists tags in lexical order: .v10 before .v8.
    const registry = [
      '20240429.v10',
      '20240429.v8',
      'latest',
      '20240511.v1',
      '20240111.v2',
      '20240429.v8',
      'dev',
      '20240429.v9',
    ];
    expect(sortImageVersions(registry)).toEqual([
      '20240111.v2',
      '20240429.v8',
      '20240429.v9',
      '20240429.v10',
      '20240511.v1',
    ]);
  });

  it('should give nothing for tags that are all non-versions', () => {
    expect(sortImageVersions(['latest', 'main', 'v1'])).toEqual([]);
    expect(latestImageVersion(['latest', 'main'])).toBeUndefined();
  });

  it('should take the newest as the latest, not the last in string order', () => {
    expect(latestImageVersion(['20240429.v8', '20240429.v10', 'latest'])).toBe('20240429.v10');
  });
});

describe('isOutdated', () => {
  it.each([
    ['20240429.v8', '20240429.v10', true],
    ['20240429.v10', '20240429.v8', false],
    ['20240429.v10', '20240429.v10', false],
    ['20240101.v1', '20251211.v2', true],
    [undefined, '20251211.v2', false], // no known version: not flagged
    ['latest', '20251211.v2', false], // a non-version tag is not flagged
    ['custom-image', '20251211.v2', false],
    ['20240429.v8', undefined, false], // nothing published
  ] as const)('should say %s against latest %s is outdated: %s', (current, latest, expected) => {
    expect(isOutdated(current, latest)).toBe(expected);
  });
});

describe('newerThan', () => {
  const tags = ['20240429.v10', 'latest', '20240429.v8', '20240511.v1', '20240111.v2', '20240429.v9'];

  it('should list the versions after the current one, oldest first', () => {
    expect(newerThan('20240429.v8', tags)).toEqual(['20240429.v9', '20240429.v10', '20240511.v1']);
  });

  it('should list nothing for the newest version', () => {
    expect(newerThan('20240511.v1', tags)).toEqual([]);
  });

  it('should list every version after a current one that is not in the list', () => {
    expect(newerThan('20240430.v1', tags)).toEqual(['20240511.v1']);
  });

  it.each([undefined, 'latest', 'not-a-tag'])('should list nothing when the current version is %j', (current) => {
    expect(newerThan(current, tags)).toEqual([]);
  });
});
