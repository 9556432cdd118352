/**
 * The retirement notice (90, 30, 7 and 1 days before): the same card to every subscribed
 * conversation, so nothing in it depends on who reads it; its buttons open the inventory.
 */
import type { Reply } from '../../../../core/replies';
import { longDate, runtimesLeft, WHAT_HAPPENS } from '../../../../core/retirement/retirementText';
import { type AdaptiveCard, renderCard } from '../render';

type RetirementNoticeReply = Extract<Reply, { kind: 'retirementNotice' }>;

export interface RetirementNoticeCardData {
  title: string;
  headline: string;
  style: 'warning' | 'attention';
  about: string;
}

export function retirementNoticeCard(reply: RetirementNoticeReply): AdaptiveCard {
  const s = reply.retirement;
  const when =
    s.phase === 'retired' ? 'has retired' : s.daysLeft === 1 ? 'retires tomorrow' : `retires in ${s.daysLeft} days`;
  const urgent = s.phase === 'retired' || s.daysLeft <= 30;
  const data: RetirementNoticeCardData = {
    title: `Prompt flow ${when}`,
    headline: [
      `Prompt flow in Azure Machine Learning and Foundry retires on ${longDate(s.retiresOn)}.`,
      runtimesLeft(s),
    ]
      .filter(Boolean)
      .join(' '),
    style: urgent ? 'attention' : 'warning',
    about: WHAT_HAPPENS,
  };
  return renderCard('retirementNotice', data);
}
