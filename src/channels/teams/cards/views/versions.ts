/**
 * The versions cards: the latest base image with the outdated runtimes (Upgrade buttons only for a
 * viewer who may upgrade), and one runtime's check against the latest with the newer versions' notes.
 * Both say that the images are frozen (prompt flow is retiring), and since when.
 */
import type { Reply } from '../../../../core/replies';
import type { ImageVersionInfo } from '../../../../domain/runtime';
import type { AdaptiveCard } from '../render';
import {
  budget,
  capList,
  cardTime,
  DOT,
  dataName,
  plural,
  renderWithin,
  safeText,
  type TextColor,
  typeLabel,
} from './common';
import { imagesRetirement, type RetirementLineData } from './retirementLine';

type VersionsReply = Extract<Reply, { kind: 'versions' }>;
type VersionCheckReply = Extract<Reply, { kind: 'versionCheck' }>;

/** Outdated runtimes one card lists; the rest are counted. */
export const VERSIONS_ROWS = 20;
/** Newer versions one check lists, newest first. */
export const CHECK_VERSIONS = 10;

export interface VersionsRow {
  name: string;
  dataName: string;
  /** "1.2.0" or "custom image" */
  current: string;
  /** " · 3 newer" */
  newer: string;
  /** " · Automatic" */
  type: string;
}

export interface VersionsCardData {
  /** "Base image versions", or for a notice "New base image version". */
  title: string;
  latest: string;
  hasPublished: boolean;
  published: string;
  repository: string;
  hasNotes: boolean;
  notes: string;
  frozen: RetirementLineData;
  headline: string;
  headlineColor: TextColor;
  rows: VersionsRow[];
  canUpgrade: boolean;
  more: number;
  moreText: string;
}

export function versionsCard(reply: VersionsReply): AdaptiveCard {
  return renderWithin('versions', (scale) => versionsData(reply, scale));
}

export function versionsData(reply: VersionsReply, scale = 1): VersionsCardData {
  const b = (max: number) => budget(max, scale);
  const r = reply.report;
  const latestInfo = r.latest ? r.versions.find((v) => v.tag === r.latest) : undefined;
  const { shown, more } = capList(r.outdated, VERSIONS_ROWS);
  const n = r.outdated.length;
  return {
    title: reply.notice ? 'New base image version' : 'Base image versions',
    latest: safeText(r.latest, b(40), 'unknown'),
    hasPublished: !!latestInfo?.publishedOn,
    published: `${DOT}published ${cardTime(latestInfo?.publishedOn)}`,
    repository: safeText(r.repository, b(160), 'unknown repository'),
    hasNotes: !!latestInfo?.notes?.trim(),
    notes: safeText(latestInfo?.notes, b(400)),
    frozen: imagesRetirement(reply.retirement),
    headline:
      n === 0
        ? 'Every runtime is up to date.'
        : `${plural(n, 'runtime')} ${n === 1 ? 'is' : 'are'} outdated${reply.notice ? ': upgrade them from here' : ''}`,
    headlineColor: n === 0 ? 'Good' : 'Warning',
    rows: shown.map((o) => ({
      name: safeText(o.name, b(80)),
      dataName: dataName(o.name),
      current: o.imageVersion ? `on ${safeText(o.imageVersion, b(40))}` : 'custom image',
      newer: `${DOT}${o.newer.length} newer`,
      type: `${DOT}${typeLabel(o.type)}`,
    })),
    canUpgrade: reply.canUpgrade,
    more,
    moreText: `and ${more} more — say list to see every runtime.`,
  };
}

export interface VersionCheckNewer {
  tag: string;
  hasPublished: boolean;
  published: string;
  hasNotes: boolean;
  notes: string;
}

export interface VersionCheckCardData {
  name: string;
  dataName: string;
  state: string;
  stateColor: TextColor;
  current: string;
  latest: string;
  outdated: boolean;
  frozen: RetirementLineData;
  newerTitle: string;
  newer: VersionCheckNewer[];
  more: number;
  moreText: string;
}

export function versionCheckCard(reply: VersionCheckReply): AdaptiveCard {
  return renderWithin('versionCheck', (scale) => versionCheckData(reply, scale));
}

export function versionCheckData(reply: VersionCheckReply, scale = 1): VersionCheckCardData {
  const b = (max: number) => budget(max, scale);
  const c = reply.check;
  // The service lists newer versions oldest first; show the newest first.
  const { shown, more } = capList([...c.newer].reverse(), CHECK_VERSIONS);
  const state = !c.imageVersion
    ? { text: 'Custom base image: no version to compare.', color: 'Default' as const }
    : c.outdated
      ? { text: `Outdated: ${plural(c.newer.length, 'newer version')} available`, color: 'Warning' as const }
      : { text: 'Up to date', color: 'Good' as const };
  return {
    name: safeText(c.name, b(120)),
    dataName: dataName(c.name),
    state: state.text,
    stateColor: state.color,
    current: safeText(c.imageVersion, b(40), 'custom image'),
    latest: safeText(c.latestVersion, b(40), 'unknown'),
    outdated: c.outdated,
    frozen: imagesRetirement(reply.retirement),
    newerTitle: `New since ${c.imageVersion ? 'this version' : 'then'}`,
    newer: shown.map((v) => newerRow(v, b)),
    more,
    moreText: `and ${plural(more, 'older release')} not shown`,
  };
}

function newerRow(v: ImageVersionInfo, b: (n: number) => number): VersionCheckNewer {
  return {
    tag: safeText(v.tag, b(40)),
    hasPublished: !!v.publishedOn,
    published: `${DOT}${cardTime(v.publishedOn)}`,
    hasNotes: !!v.notes?.trim(),
    notes: safeText(v.notes, b(300)),
  };
}
