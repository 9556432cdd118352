import { readFileSync, writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { buildSummary } from './src/core/summary';
import { runtimeDetailCard } from './src/cards/views/runtimeDetail';
import { runtimeListCard } from './src/cards/views/runtimeList';
import { summaryCard } from './src/cards/views/summary';
import { progressCard } from './src/cards/views/progress';
import { helpCard } from './src/cards/views/help';
import { versionsCard, versionCheckCard } from './src/cards/views/versions';
import { welcomeCard } from './src/cards/views/welcome';
const NOW = Date.now();
const at = (m: number) => new Date(NOW + m * 60000).toISOString();
const pip = 'ERROR: Cannot install promptflow-tools==1.4.0 and openai==0.27.0 because these package versions have conflicting dependencies.\n\nThe conflict is caused by:\n    promptflow-tools 1.4.0 depends on openai>=1.0.0\n    The user requested openai==0.27.0\nTo fix this you could try to:\n1. loosen the range';
const rt: any = { name: 'chat-prod', type: 'automatic', status: 'Failed', statusMessage: 'Package installation failed', outdated: true, imageVersion: '20260101.v3', latestVersion: '20260215.v1', owner: { objectId: 'x', name: 'Alex Wilber' }, createdOn: at(-40000), modifiedOn: at(-300), lastUsedOn: at(-20), description: 'Chat flow for the support bot **x** [link](http://evil) وقت التشغيل', vmSize: 'Standard_E4s_v3', idleTimeMinutes: 60, idleShutdownAt: at(35), identity: { type: 'user' }, packages: ['openai==0.27.0', 'promptflow-tools==1.4.0', 'azure-search-documents'], packagesInstalled: false, error: { code: 'PipInstallFailed', message: 'pip could not resolve the requirements.', details: pip }, lastOperation: { id: 'op1', kind: 'install', status: 'Failed', requestedBy: { objectId: 'y', name: 'Megan Bowen' }, createdOn: at(-30), endedOn: at(-25), error: { code: 'PipInstallFailed', message: 'pip could not resolve the requirements.', details: pip } }, activeOperation: { id: 'op2', kind: 'reset', status: 'Running', requestedBy: { objectId: 'y', name: 'Megan Bowen' }, createdOn: at(-2) } };
const runtimes = Array.from({ length: 40 }, (_, i) => ({ ...rt, name: `chat-${i}`, status: ['Running', 'Failed', 'Starting', 'Running'][i % 4], outdated: i % 3 === 0, type: ['automatic', 'computeInstance', 'managedOnlineDeployment'][i % 3], activeOperation: i % 7 === 0 ? rt.activeOperation : undefined, lastOperation: i % 5 === 0 ? { ...rt.lastOperation, status: 'Succeeded', error: undefined } : undefined, idleShutdownAt: i % 6 === 0 ? at(20 + i) : undefined }));
const op: any = { id: 'op-7f3a', kind: 'install', runtimeName: 'chat-prod', status: 'Failed', requestedBy: { objectId: 'x', name: 'Alex Wilber' }, createdOn: at(-10), updatedOn: at(-1), endedOn: at(-1), input: {}, warnings: ['openai 0.27.0 is older than the version the flow was tested with.'], error: rt.error, steps: [{ at: at(-10), status: 'Running', message: 'Accepted' }, { at: at(-9), status: 'Running', message: 'Resolving requirements' }, { at: at(-1), status: 'Failed', message: 'pip failed' }] };
const cards: Record<string, object> = {
  welcome: welcomeCard(),
  help: helpCard({ kind: 'help', commands: [{ name: 'status', aliases: ['show'], summary: 'One runtime in detail, or the on-call summary.', usage: 'status [name]', examples: ['status', 'status chat-dev'] }, { name: 'list', aliases: ['ls'], summary: 'List the runtimes.', usage: 'list [--status S]', examples: ['list'] }] }),
  list: runtimeListCard({ kind: 'runtimeList', runtimes: runtimes.slice(0, 6), page: 2, pages: 3, total: 40, filter: 'status Failed' }),
  detail: runtimeDetailCard({ kind: 'runtimeDetail', runtime: rt, actions: ['install', 'update', 'reset', 'stop', 'upgrade'] }),
  summary: summaryCard({ kind: 'summary', summary: buildSummary(runtimes, NOW) }),
  versions: versionsCard({ kind: 'versions', report: { repository: 'mcr.microsoft.com/azureml/promptflow/promptflow-runtime-stable', latest: '20260215.v1', versions: [{ tag: '20260215.v1', notes: 'Python 3.11, promptflow 1.17', publishedOn: at(-5000) }], outdated: [{ name: 'chat-1', type: 'automatic', imageVersion: '20260101.v3', newer: ['a', 'b'] }, { name: 'chat-2', type: 'computeInstance', imageVersion: '20251201.v1', newer: ['a', 'b', 'c'] }] }, canUpgrade: true }),
  check: versionCheckCard({ kind: 'versionCheck', check: { name: 'chat-1', imageVersion: '20260101.v3', latestVersion: '20260215.v1', outdated: true, newer: [{ tag: '20260115.v2', notes: 'Security fixes', publishedOn: at(-20000) }, { tag: '20260215.v1', notes: 'Python 3.11', publishedOn: at(-5000) }] } }),
  progress: progressCard({ kind: 'operation', operation: op, title: 'Installing packages on chat-prod' }),
};
const js = readFileSync('/work/main/node_modules/adaptivecards/dist/adaptivecards.js', 'utf8');
(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 700, height: 800 } });
  for (const [name, card] of Object.entries(cards)) {
    await page.setContent(`<html><body style="font-family: Segoe UI, sans-serif; background:#f5f5f5"><div id="c" style="width:640px;background:white"></div><script>${js}</script></body></html>`);
    await page.evaluate((card) => {
      const AC = (window as any).AdaptiveCards;
      const c = new AC.AdaptiveCard();
      c.hostConfig = new AC.HostConfig({ fontFamily: 'Segoe UI, sans-serif', actions: { maxActions: 6 }, containerStyles: { default: { backgroundColor: '#FFFFFF' }, emphasis: { backgroundColor: '#F0F0F0' }, attention: { backgroundColor: '#FDE7E9' }, good: { backgroundColor: '#DFF6DD' }, warning: { backgroundColor: '#FFF4CE' }, accent: { backgroundColor: '#E8EBFA' } } });
      c.parse(card);
      document.getElementById('c')!.appendChild(c.render());
    }, card);
    await page.locator('#c').screenshot({ path: `/tmp/shots/${name}.png` });
  }
  await browser.close();
})();
